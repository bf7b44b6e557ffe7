import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../shared/schemas.js';
import { Health } from './health.schemas.js';

const HEALTHY = Object.freeze({ status: 'OK', version: '1.0' } as const);

/** Liveness: answers as long as the process serves HTTP, without touching the database. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Liveness check',
        response: { 200: Health, ...errorResponses() },
      },
    },
    () => HEALTHY,
  );
};
