import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { createLogger } from '../../src/logger.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { captureLogs } from '../helpers/logs.js';

/** A database whose queries never answer, as a hung connection would. */
const STALL: KyselyPlugin = {
  transformQuery: (args) => args.node,
  transformResult: () => new Promise(() => undefined),
};

describe('GET /api/v1/health/ready', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns 200 {"status": "READY"} when the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({ status: 'READY' });
  });

  it('returns 503 NOT_READY with the JSON error when the database is gone, while liveness stays 200', async () => {
    const { app, db, logs } = await buildTestApp();
    await db.destroy();
    const res = await app.inject({ method: 'GET', url: '/api/v1/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toStrictEqual({ error: 'Not ready: the database does not answer', code: 'NOT_READY' });
    expect(logs.entries().some((e) => e.msg === 'not ready: the database does not answer')).toBe(true);

    const live = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(live.statusCode).toBe(200);
    expect(live.body).toBe('{"status":"OK","version":"1.0"}');
    await app.close();
  });

  it('returns 503 NOT_READY when the database does not answer within READINESS_TIMEOUT_MS', async () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', READINESS_TIMEOUT_MS: '50' });
    const db = createDatabase(config.database);
    await migrateToLatest(db);
    const logs = captureLogs();
    const app = await buildApp({
      config,
      db: db.withPlugin(STALL),
      logger: createLogger(config, logs.stream),
      deliveryWorker: false,
    });
    const res = await app.inject({ method: 'GET', url: '/api/v1/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toStrictEqual({ error: 'Not ready: the database does not answer', code: 'NOT_READY' });
    const logged = logs.entries().find((e) => e.msg === 'not ready: the database does not answer');
    expect((logged?.err as { message: string }).message).toBe('the database did not answer within 50 ms');
    await app.close();
  });
});
