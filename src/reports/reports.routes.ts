import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { filterParameters } from '../servers/query/params.js';
import { parseFilters } from '../servers/query/parsing.js';
import { Summary } from '../servers/servers.schemas.js';
import type { ServersService } from '../servers/servers.service.js';
import { errorResponses } from '../shared/schemas.js';

export interface ReportsRoutesOptions {
  service: ServersService;
}

const SummaryQuery = Type.Object(filterParameters, { additionalProperties: false });

export const reportsRoutes: FastifyPluginAsyncTypebox<ReportsRoutesOptions> = async (app, { service }) => {
  app.get(
    '/reports/summary',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getSummary',
        tags: ['reports'],
        summary: 'Counts of servers in all, by status, environment, role and location',
        description: 'Takes the same filters as the list. Servers without a value are counted under "(none)".',
        querystring: SummaryQuery,
        response: { 200: Summary, ...errorResponses(400, 401, 403, 429) },
      },
    },
    (request) => service.summary(parseFilters(request.query)),
  );
};
