import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import ajvErrorsModule from 'ajv-errors';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/types.js';
import { healthRoutes } from './health/health.routes.js';
import { clientErrorHandler, errorHandler } from './plugins/error-handler.js';
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
export async function buildApp({ db, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
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

  await app.register(errorHandler);
  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(serversRoutes, { service: createServersService(db) });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
