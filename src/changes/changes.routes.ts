import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../shared/schemas.js';
import { changeListExamples } from './changes.examples.js';
import { ChangeList, ChangesQuery } from './changes.schemas.js';
import type { ChangesService } from './changes.service.js';

export interface ChangesRoutesOptions {
  service: ChangesService;
}

/** The change feed: every create, update and delete of the inventory, in order. */
export const changesRoutes: FastifyPluginAsyncTypebox<ChangesRoutesOptions> = async (app, { service }) => {
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
          'empty. Deletes are included. Each change carries the server as it was after it (before it, for ' +
          'a delete), so that a client can apply it without reading the server again.',
        querystring: ChangesQuery,
        response: { 200: ChangeList, ...errorResponses(400, 401, 403, 429) },
        responseExamples: { 200: changeListExamples },
      },
    },
    (request) => {
      const { after = 0, limit = 100 } = request.query;
      return service.list(after, limit);
    },
  );
};
