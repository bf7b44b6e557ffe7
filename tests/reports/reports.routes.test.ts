import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: AS_BOOTSTRAP,
    payload: [
      { hostname: 'c1', ip: '10.1.0.1', role: 'cache', location: 'par-1', status: 'maintenance' },
      { hostname: 'c2', ip: '10.1.0.2', role: 'cache', environment: 'staging' },
    ],
  });
});
afterAll(async () => {
  await t.app.close();
});

describe('GET /api/v1/reports/summary', () => {
  it('counts in all and by status, environment, role and location, nulls under "(none)"', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/summary' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({
      total: 4,
      by_status: { up: 2, down: 1, maintenance: 1, decommissioned: 0 },
      by_environment: { production: 2, staging: 1, '(none)': 1 },
      by_role: { web: 1, database: 1, cache: 2 },
      by_location: { '(none)': 3, 'par-1': 1 },
    });
  });

  it('honours the list filters', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/summary?cidr=10.1.0.0/16&status=up' });
    expect(res.json()).toStrictEqual({
      total: 1,
      by_status: { up: 1, down: 0, maintenance: 0, decommissioned: 0 },
      by_environment: { staging: 1 },
      by_role: { cache: 1 },
      by_location: { '(none)': 1 },
    });
  });

  it('keeps "(none)" for servers without a value: no label can take that name', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'n1', ip: '10.2.0.1', environment: '(none)' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('refuses a bad filter and paging parameters', async () => {
    for (const query of ['?status=nope', '?sort=ip', '?limit=3']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/reports/summary${query}` });
      expect(res.statusCode, query).toBe(400);
    }
  });
});
