import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';
import { appError } from '../errors.js';
import { errorResponses } from '../shared/schemas.js';
import { Readiness } from './health.schemas.js';

export interface ReadinessRoutesOptions {
  db: Kysely<Database>;
  /** How long the database gets to answer before the process reports itself not ready. */
  timeoutMs: number;
}

const READY = Object.freeze({ status: 'READY' } as const);

/** Resolves when `db` answers a query on the servers table, rejects on failure or after `timeoutMs`. */
export async function checkDatabase(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the database did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([db.selectFrom('servers').select('id').limit(1).execute(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness: 200 when the database answers within a short timeout, 503 NOT_READY otherwise, so that
 * a load balancer or Kubernetes sends traffic elsewhere. Liveness stays at `/health`.
 */
export const readinessRoutes: FastifyPluginAsyncTypebox<ReadinessRoutesOptions> = async (app, { db, timeoutMs }) => {
  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness check',
        description: `200 when the database answers within ${timeoutMs} ms, 503 NOT_READY otherwise.`,
        response: { 200: Readiness, ...errorResponses(503) },
      },
    },
    async (request) => {
      try {
        await checkDatabase(db, timeoutMs);
      } catch (err) {
        request.log.warn({ err }, 'not ready: the database does not answer');
        throw appError('NOT_READY');
      }
      return READY;
    },
  );
};
