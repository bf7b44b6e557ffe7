import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/types.js';
import { changesRoutes } from './changes/changes.routes.js';
import { customFieldsDocument } from './custom-fields/custom-fields.openapi.js';
import { customFieldsRoutes } from './custom-fields/custom-fields.routes.js';
import { createCustomFieldsService } from './custom-fields/custom-fields.service.js';
import { createChangesService } from './changes/changes.service.js';
import { DEFAULT_STREAM_TUNING, type StreamTuning, createChangeStreams } from './changes/changes.streams.js';
import { healthRoutes } from './health/health.routes.js';
import { readinessRoutes } from './health/readiness.routes.js';
import { integrationsRoutes } from './integrations/integrations.routes.js';
import { auth } from './plugins/auth.js';
import { bodyParsers } from './plugins/body-parsers.js';
import { clientErrorHandler, errorHandler, frameworkErrors } from './plugins/error-handler.js';
import { gracefulClose } from './plugins/graceful-close.js';
import { createMetrics, metricsPlugin, observeChangeStreams, observeQueries } from './plugins/metrics.js';
import { consoleDir, consolePlugin, rootToDocs } from './plugins/console.js';
import { openapi } from './plugins/openapi.js';
import { type RequestTimeouts, protection, protectionOptions } from './plugins/protection.js';
import { requestLogging, requestLoggingOptions } from './plugins/request-logging.js';
import { validation } from './plugins/validation.js';
import { reportsRoutes } from './reports/reports.routes.js';
import { applyRoutes } from './servers/apply/apply.routes.js';
import { databaseLower } from './servers/query/lower-case.js';
import { createApplyService } from './servers/apply/apply.service.js';
import { serversRoutes } from './servers/servers.routes.js';
import { createServersService } from './servers/servers.service.js';
import { createIdempotencyService } from './idempotency/idempotency.service.js';
import { tokensRoutes } from './tokens/tokens.routes.js';
import { createTokensService } from './tokens/tokens.service.js';
import { webhooksRoutes } from './webhooks/webhooks.routes.js';
import { createWebhooksService } from './webhooks/webhooks.service.js';
import { createDeliveryMetrics } from './webhooks/webhooks.metrics.js';
import { type DeliveryWorkerOptions, createDeliveryWorker } from './webhooks/webhooks.worker.js';
import { onWriteCommitted } from './db/transaction.js';
import { createFanOut } from './webhooks/webhooks.fanout.js';
import { deliveryWorkerPlugin } from './webhooks/webhooks.worker.plugin.js';
import { apiLoadPlugin } from './plugins/api-load.js';

export interface AppOptions {
  config: Config;
  /** A migrated database; the app owns it from here on and closes it when it closes. */
  db: Kysely<Database>;
  /** The process's logger (see createLogger). */
  logger: FastifyBaseLogger;
  /** The built console (index.html and assets/); consoleDir() by default. */
  consoleDir?: string;
  /** Shorter header and request timeouts than production's, for tests that wait for them. */
  timeouts?: Partial<RequestTimeouts>;
  /** The clock of token expiries and grace periods, and of idempotency keys (tests move it). */
  now?: () => Date;
  /**
   * The webhook delivery worker and the fan-out that queues its deliveries: on by default, started when
   * the app is ready and stopped when it closes; `false` runs the app without them (tests that queue
   * deliveries they never mean to send, or look at the queue as the fan-out leaves it).
   */
  deliveryWorker?: DeliveryWorkerOptions | false;
  /** A shorter heartbeat or a smaller buffer for the change streams, for tests that wait for them. */
  streams?: Partial<StreamTuning>;
}

/** Assembles the API. It does not listen: `main.ts` does, tests use `app.inject()`. */
export async function buildApp({
  config,
  db,
  logger,
  consoleDir: builtConsole,
  timeouts,
  now,
  deliveryWorker,
  streams,
}: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    ...requestLoggingOptions,
    ...protectionOptions(timeouts),
    routerOptions: { ignoreTrailingSlash: true },
    // X-Forwarded-For is believed only from these addresses (TRUST_PROXY); then request.ip, which the
    // request log, the failed-authentication throttle and the rate limit use, is the client's.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    clientErrorHandler,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onClose', async () => {
    await db.destroy();
  });

  // With metrics on, the routes' queries are timed (data routes get `dataDb`, not `db`).
  const metrics = config.metricsEnabled ? createMetrics(db) : undefined;
  const dataDb = metrics === undefined ? db : observeQueries(db, metrics);

  await app.register(validation);
  await app.register(errorHandler);
  // Hooks run in registration order: the request id first, then the protections, then
  // authentication, then the routes.
  await app.register(requestLogging);
  await app.register(gracefulClose);
  // What the webhooks' fan-out and deliveries yield to.
  await app.register(apiLoadPlugin);
  // The change streams never end by themselves: they end as the app begins to close, or it would wait
  // for them; their poller stops then too, before the database closes.
  const changeStreams = createChangeStreams(dataDb, {
    ...DEFAULT_STREAM_TUNING,
    ...streams,
    pollMs: config.streams.pollMs,
    maxClients: config.streams.maxClients,
    logger: app.log,
  });
  app.closeSignal.addEventListener('abort', () => {
    changeStreams.close();
  });
  await app.register(protection, { config });
  await app.register(bodyParsers);
  const tokens = createTokensService(dataDb, {
    bootstrapTokenHash: config.auth.bootstrapTokenHash,
    ...(now === undefined ? {} : { now }),
  });
  await app.register(auth, { tokens, authReads: config.auth.reads });
  const customFields = createCustomFieldsService(dataDb, { logger: app.log });
  // With reads behind a token, the open document does not publish the definitions (their names,
  // choices and defaults) that GET /api/v1/custom-fields shows to a token holder only.
  await app.register(openapi, {
    authReads: config.auth.reads,
    ...(config.auth.reads ? {} : { extension: customFieldsDocument(customFields) }),
  });
  // The address a person types first: the console, or the documentation without it.
  if (config.uiEnabled) {
    await app.register(consolePlugin, { dir: builtConsole ?? consoleDir() });
  } else {
    rootToDocs(app);
  }
  if (metrics !== undefined) {
    observeChangeStreams(metrics, () => changeStreams.size);
    await app.register(metricsPlugin, { metrics });
  }
  const deliveryMetrics =
    metrics === undefined ? undefined : createDeliveryMetrics(metrics.registry, db, now ?? (() => new Date()));
  // The worker reads and writes through `db`: its polls would swamp the routes' query timings.
  const worker =
    deliveryWorker === false
      ? null
      : createDeliveryWorker({
          db,
          config: config.webhooks,
          logger: app.log,
          ...(now === undefined ? {} : { now }),
          ...(deliveryMetrics === undefined ? {} : { metrics: deliveryMetrics }),
          // Attempts in flight at shutdown get half of SHUTDOWN_GRACE_MS, and the server's requests the same.
          stopGraceMs: Math.min(config.webhooks.timeoutMs, Math.floor(config.shutdownGraceMs / 2)),
          busy: app.apiLoad.busy,
          ...deliveryWorker,
        });
  const fanOut = createFanOut(db, {
    lower: () => databaseLower(db),
    logger: app.log,
    ...(now === undefined ? {} : { now }),
  });
  await app.register(deliveryWorkerPlugin, {
    worker,
    fanOut,
    ...(deliveryWorker === false || deliveryWorker?.pollIntervalMs === undefined
      ? {}
      : { pollIntervalMs: deliveryWorker.pollIntervalMs }),
    onCommitted: (listener) => onWriteCommitted(dataDb, listener),
    busy: app.apiLoad.busy,
  });
  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(readinessRoutes, { db, timeoutMs: config.readinessTimeoutMs });
      const changes = createChangesService(dataDb);
      const servers = createServersService(dataDb, changes);
      // Read by the listing-like routes only for a request that names a custom field.
      const definitions = () => customFields.definitions();
      const idempotency = createIdempotencyService(dataDb, { logger: app.log, ...(now === undefined ? {} : { now }) });
      await api.register(serversRoutes, { service: servers, idempotency, definitions });
      await api.register(applyRoutes, { service: createApplyService(dataDb, now) });
      await api.register(reportsRoutes, { service: servers, definitions });
      await api.register(integrationsRoutes, { service: servers, definitions });
      await api.register(changesRoutes, { service: changes, streams: changeStreams });
      await api.register(tokensRoutes, { service: tokens });
      await api.register(customFieldsRoutes, { service: customFields });
      const webhooks = createWebhooksService(dataDb, {
        definitions,
        guard: { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
        secretKey: config.webhooks.secretKey,
        ...(now === undefined ? {} : { now }),
        onQueued: () => worker?.wake(),
      });
      await api.register(webhooksRoutes, { service: webhooks });
    },
    { prefix: '/api/v1' },
  );
  return app;
}
