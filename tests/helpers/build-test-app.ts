import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { type AppOptions, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { initialiseInventory } from '../../src/db/seed.js';
import { createLogger } from '../../src/logger.js';
import type { Database } from '../../src/db/types.js';
import { freshDatabaseUrl, migratedDatabase } from './database.js';
import { type LogCapture, captureLogs } from './logs.js';

/** The bootstrap token every test app accepts: an admin token named "bootstrap". */
export const BOOTSTRAP_TOKEN = 'test-bootstrap-token-0123456789abcdef-do-not-use';
/** Headers that authenticate as the bootstrap token. */
export const AS_BOOTSTRAP = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } as const;

export interface TestApp {
  app: FastifyInstance;
  db: Kysely<Database>;
  logs: LogCapture;
}

export interface TestAppOptions {
  /** Seed the sample servers (true by default, as in production). */
  seed?: boolean;
  /** Extra environment for the configuration; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Wraps the database the app gets, to observe its queries (Kysely's withPlugin). */
  wrapDb?: (db: Kysely<Database>) => Kysely<Database>;
  /** Runs before the app is ready, to add test-only routes. */
  extend?: (app: FastifyInstance) => void;
  /** Shorter header and request timeouts, for tests that wait for them. */
  timeouts?: AppOptions['timeouts'];
  /** The built console served with UI_ENABLED=true. */
  consoleDir?: AppOptions['consoleDir'];
  /** The clock of token expiries and grace periods, and of idempotency keys. */
  now?: AppOptions['now'];
  /** The webhook delivery worker: off unless given (tests queue deliveries to addresses never meant to be sent to). */
  deliveryWorker?: AppOptions['deliveryWorker'];
  /** A shorter heartbeat or a smaller buffer for the change streams. */
  streams?: AppOptions['streams'];
}

/** A migrated, throwaway database and an app on it, built the way `main.ts` builds them. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: options.env?.DATABASE_URL ?? (await freshDatabaseUrl()),
    LOG_LEVEL: 'info',
    INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    // On PostgreSQL the test files share one server (100 connections) and run in parallel.
    DATABASE_POOL_MAX: '4',
    // The console's tests turn it on, with a console of their own (consoleDir); elsewhere / is the docs'.
    UI_ENABLED: 'false',
    ...options.env,
  });
  const db = await migratedDatabase(config.database);
  await initialiseInventory(db, { seed: options.seed ?? true });
  const logs = captureLogs();
  const app = await buildApp({
    config,
    db: options.wrapDb?.(db) ?? db,
    logger: createLogger(config, logs.stream),
    timeouts: options.timeouts,
    ...(options.consoleDir === undefined ? {} : { consoleDir: options.consoleDir }),
    ...(options.streams === undefined ? {} : { streams: options.streams }),
    ...(options.now === undefined ? {} : { now: options.now }),
    deliveryWorker: options.deliveryWorker ?? false,
  });
  options.extend?.(app);
  await app.ready();
  return { app, db, logs };
}

/** A write through the API as the bootstrap token, to `/api/v1${url}`; its answer, which must be a success. */
export async function writeAsBootstrap(
  app: FastifyInstance,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: AS_BOOTSTRAP,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res;
}
