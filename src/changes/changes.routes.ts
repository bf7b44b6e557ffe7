import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { ChangeList, ChangesQuery } from '../servers/servers.schemas.js';
import { errorResponses } from '../shared/schemas.js';
import { toChange } from './changes.mapper.js';
import { listChanges } from './changes.repository.js';

export interface ChangesRoutesOptions {
  db: Kysely<Database>;
}

/** The change feed: every create, update and delete of the inventory, in order. */
export const changesRoutes: FastifyPluginAsyncTypebox<ChangesRoutesOptions> = async (app, { db }) => {
  app.get(
    '/changes',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listChanges',
        tags: ['changes'],
        summary: "The inventory's change feed, in seq order",
        description:
          'To sync, remember the last seq you processed and ask for `after=<that seq>` until the list is ' +
          'empty. Deletes are included.',
        querystring: ChangesQuery,
        response: { 200: ChangeList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { after = 0, limit = 100 } = request.query;
      return { changes: (await listChanges(db, after, limit)).map(toChange) };
    },
  );
};
