import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { appError } from '../errors.js';
import { summaryFields } from '../servers/query/custom-parsing.js';
import { customFilterDocumentation, customFilterParameters, filterParameters } from '../servers/query/params.js';
import { type DefinitionsLoader, collectedFilters, definitionsFor } from '../servers/query/parsing.js';
import { Summary } from '../servers/servers.schemas.js';
import type { ServersService } from '../servers/servers.service.js';
import { errorResponses } from '../shared/schemas.js';

export interface ReportsRoutesOptions {
  service: ServersService;
  /** The custom fields' definitions, read when the summary filters or counts by one. */
  definitions: DefinitionsLoader;
}

const SummaryQuery = Type.Object(
  {
    ...filterParameters,
    by: Type.Optional(
      Type.Array(Type.String({ maxLength: 1024 }), {
        maxItems: 64,
        description:
          'Custom fields to count by as well, cf_<name> (enum and boolean fields): each adds by_cf_<name>. ' +
          'Repeat the parameter or separate names with commas.',
      }),
    ),
  },
  { additionalProperties: false, patternProperties: customFilterParameters },
);

export const reportsRoutes: FastifyPluginAsyncTypebox<ReportsRoutesOptions> = async (app, { service, definitions }) => {
  app.get(
    '/reports/summary',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getSummary',
        tags: ['reports'],
        summary: 'Counts of servers in all, by status, environment, role and location',
        description:
          'Takes the same filters as the list. Servers without a value are counted under "(none)". ' +
          '`by=cf_<name>` counts by an enum or boolean custom field too, in `by_cf_<name>` ' +
          '(a boolean\'s values as "true" and "false").',
        querystring: SummaryQuery,
        queryPatterns: customFilterDocumentation,
        response: { 200: Summary, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { by, ...query } = request.query;
      const loaded = await definitionsFor(request.query, definitions);
      const { filters, details } = collectedFilters(query, loaded);
      const fields = summaryFields(by, loaded, details);
      if (details.length > 0) {
        throw appError('VALIDATION_FAILED', details);
      }
      return service.summary(filters, fields);
    },
  );
};
