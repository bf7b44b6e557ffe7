import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvErrorsModule from 'ajv-errors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/types.js';
import { healthRoutes } from './health/health.routes.js';
import { readinessRoutes } from './health/readiness.routes.js';
import { clientErrorHandler, errorHandler } from './plugins/error-handler.js';
import { gracefulClose } from './plugins/graceful-close.js';
import { createMetrics, metricsPlugin, observeQueries } from './plugins/metrics.js';
import { openapi } from './plugins/openapi.js';
import { protection, protectionOptions } from './plugins/protection.js';
import { requestLogging, requestLoggingOptions } from './plugins/request-logging.js';
import { serversRoutes } from './servers/servers.routes.js';
import { createServersService } from './servers/servers.service.js';

// ajv-errors is CommonJS with its function on `default` for ESM callers.
const ajvErrors = ajvErrorsModule.default;

export interface AppOptions {
  config: Config;
  /** A migrated database; the app owns it from here on and closes it when it closes. */
  db: Kysely<Database>;
  /** The process's logger (see createLogger). */
  logger: FastifyBaseLogger;
}

/** Assembles the API. It does not listen: `main.ts` does, tests use `app.inject()`. */
export async function buildApp({ config, db, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    ...requestLoggingOptions,
    ...protectionOptions,
    routerOptions: { ignoreTrailingSlash: true },
    clientErrorHandler,
    ajv: {
      customOptions: {
        // Report every bad field at once, and refuse unknown fields instead of dropping them.
        allErrors: true,
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
      },
      plugins: [(ajv) => ajvErrors(ajv)],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onClose', async () => {
    await db.destroy();
  });

  // With metrics on, the routes' queries are timed (data routes get `dataDb`, not `db`).
  const metrics = config.metricsEnabled ? createMetrics(db) : undefined;
  const dataDb = metrics === undefined ? db : observeQueries(db, metrics);

  await app.register(errorHandler);
  // Hooks run in registration order: the request id first, then the protections, then the routes.
  await app.register(requestLogging);
  await app.register(gracefulClose);
  await app.register(protection, { config });
  await app.register(openapi);
  if (metrics !== undefined) {
    await app.register(metricsPlugin, { metrics });
  }
  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(readinessRoutes, { db, timeoutMs: config.readinessTimeoutMs });
      await api.register(serversRoutes, { service: createServersService(dataDb) });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
