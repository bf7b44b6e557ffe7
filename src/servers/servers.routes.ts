import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../shared/schemas.js';
import { NoQuery, Server, ServerIdParams, ServerList } from './servers.schemas.js';
import type { ServersService } from './servers.service.js';

export interface ServersRoutesOptions {
  service: ServersService;
}

export const serversRoutes: FastifyPluginAsyncTypebox<ServersRoutesOptions> = async (app, { service }) => {
  app.get(
    '/servers',
    {
      schema: {
        operationId: 'listServers',
        tags: ['servers'],
        summary: 'List the servers',
        querystring: NoQuery,
        response: { 200: ServerList, ...errorResponses(400) },
      },
    },
    () => service.listServers(),
  );

  app.get(
    '/servers/:id',
    {
      schema: {
        operationId: 'getServer',
        tags: ['servers'],
        summary: 'Get one server',
        params: ServerIdParams,
        querystring: NoQuery,
        response: { 200: Server, ...errorResponses(400, 404) },
      },
    },
    (request) => service.getServer(Number(request.params.id)),
  );
};
