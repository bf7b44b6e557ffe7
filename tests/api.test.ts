// The specification's four tests, by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, buildTestApp } from './helpers/build-test-app.js';

describe('inventory API (specification)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('health returns 200', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({ status: 'OK', version: '1.0' });
  });

  it('servers returns the list', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ servers: { id: number; hostname: string; ip: string; status: string }[]; count: number }>();
    expect(body.count).toBe(2);
    expect(body.servers.map(({ id, hostname, ip, status }) => ({ id, hostname, ip, status }))).toStrictEqual([
      { id: 1, hostname: 'web-prod-01', ip: '10.0.0.1', status: 'up' },
      { id: 2, hostname: 'db-prod-01', ip: '10.0.0.2', status: 'down' },
    ]);
  });

  it('servers/1 returns the right server', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 1, hostname: 'web-prod-01', ip: '10.0.0.1', status: 'up' });
  });

  it('servers/999 returns 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/999' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toStrictEqual({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });
  });
});
