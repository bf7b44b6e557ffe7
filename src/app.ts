import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/types.js';
import { changesRoutes } from './changes/changes.routes.js';
import { createChangesService } from './changes/changes.service.js';
import { healthRoutes } from './health/health.routes.js';
import { integrationsRoutes } from './integrations/integrations.routes.js';
import { auth } from './plugins/auth.js';
import { bodyParsers } from './plugins/body-parsers.js';
import { clientErrorHandler, errorHandler, frameworkErrors } from './plugins/error-handler.js';
import { validation } from './plugins/validation.js';
import { reportsRoutes } from './reports/reports.routes.js';
import { serversRoutes } from './servers/servers.routes.js';
import { createServersService } from './servers/servers.service.js';
import { createTokensService } from './tokens/tokens.service.js';

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
    routerOptions: { ignoreTrailingSlash: true },
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onClose', async () => {
    await db.destroy();
  });

  await app.register(validation);
  await app.register(errorHandler);
  await app.register(bodyParsers);
  await app.register(auth, {
    tokens: createTokensService(db, { bootstrapTokenHash: config.auth.bootstrapTokenHash }),
    authReads: config.auth.reads,
  });
  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      const changes = createChangesService(db);
      const servers = createServersService(db, changes);
      await api.register(serversRoutes, { service: servers });
      await api.register(reportsRoutes, { service: servers });
      await api.register(integrationsRoutes, { service: servers });
      await api.register(changesRoutes, { service: changes });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
