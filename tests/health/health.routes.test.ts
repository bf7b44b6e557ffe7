import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';

describe('GET /api/v1/health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns exactly {"status": "OK", "version": "1.0"}', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"status":"OK","version":"1.0"}');
  });

  it('stays up when the database is gone: it is a liveness check only', async () => {
    const { app, db } = await buildTestApp();
    await db.destroy();
    const res = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({ status: 'OK', version: '1.0' });
    await app.close();
  });

  it('returns 405 with an Allow header for a method it does not support', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/health' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json()).toStrictEqual({
      error: 'Method not allowed: the Allow header lists the methods of this route',
      code: 'METHOD_NOT_ALLOWED',
    });
  });
});
