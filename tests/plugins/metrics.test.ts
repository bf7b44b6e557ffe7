import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertServers } from '../../src/servers/servers.repository.js';
import { serverRow } from '../helpers/servers.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = promtool.status === 0;
// CI installs promtool (Debian's prometheus package): there, its absence is a failure, not a skip.
const requirePromtool = process.env.CI === 'true';

/** The value of one sample, such as `inventory_servers{status="up"}`, or undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  async function scrape(): Promise<string> {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return res.body;
  }

  it('counts requests and their durations by method, route template and status', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' });
    await t.app.inject({ method: 'GET', url: '/api/v1/servers/2' });
    await t.app.inject({ method: 'GET', url: '/api/v1/servers/999' });
    await t.app.inject({ method: 'GET', url: '/no/such/path/42' });
    const text = await scrape();
    expect(sample(text, 'http_requests_total{method="GET",route="/api/v1/servers/:id",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{method="GET",route="/api/v1/servers/:id",status="404"}')).toBe(1);
    // Unknown paths share one series: a scanner cannot blow up the number of series.
    expect(sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('/no/such/path');
    expect(
      sample(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/servers/:id",status="200"}'),
    ).toBe(2);
  });

  it('times database queries', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    const text = await scrape();
    expect(sample(text, 'db_query_duration_seconds_count{operation="select"}')).toBeGreaterThanOrEqual(2);
  });

  it('reports the process and Node.js: event-loop lag and heap', async () => {
    const text = await scrape();
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
  });

  it('reports the inventory by status and by environment, as it is at each scrape', async () => {
    let text = await scrape();
    expect(sample(text, 'inventory_servers{status="up"}')).toBe(1);
    expect(sample(text, 'inventory_servers{status="down"}')).toBe(1);
    expect(sample(text, 'inventory_servers{status="maintenance"}')).toBe(0);
    expect(sample(text, 'inventory_servers_by_environment{environment="production"}')).toBe(2);

    await insertServers(t.db, [serverRow({ hostname: 'cache-01', ip: '10.0.0.3', status: 'maintenance' })]);
    await t.db.deleteFrom('servers').where('hostname', '=', 'web-prod-01').execute();
    text = await scrape();
    expect(sample(text, 'inventory_servers{status="up"}')).toBe(0);
    expect(sample(text, 'inventory_servers{status="maintenance"}')).toBe(1);
    expect(sample(text, 'inventory_servers_by_environment{environment="production"}')).toBe(1);
    expect(sample(text, 'inventory_servers_by_environment{environment=""}')).toBe(1);
  });

  it('counts servers without an environment apart from an environment named "none"', async () => {
    const without = sample(await scrape(), 'inventory_servers_by_environment{environment=""}') ?? 0;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: [
        { hostname: 'none-01', ip: '10.9.0.1', environment: 'none' },
        { hostname: 'none-02', ip: '10.9.0.2', environment: 'none' },
        { hostname: 'bare-01', ip: '10.9.0.3' },
      ],
    });
    expect(created.statusCode).toBe(201);
    const text = await scrape();
    expect(sample(text, 'inventory_servers_by_environment{environment="none"}')).toBe(2);
    expect(sample(text, 'inventory_servers_by_environment{environment=""}')).toBe(without + 1);
  });

  it.skipIf(!hasPromtool && !requirePromtool)('passes promtool check metrics', async () => {
    expect(hasPromtool, 'promtool is not installed (apt-get install prometheus)').toBe(true);
    await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    const text = await scrape();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });

  it('is logged and answered like any route, with a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-request-id': 'scrape-1' } });
    expect(res.headers['x-request-id']).toBe('scrape-1');
  });
});

describe('GET /metrics with METRICS_ENABLED=false', () => {
  it('does not exist', async () => {
    const { app } = await buildTestApp({ env: { METRICS_ENABLED: 'false' } });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toStrictEqual({
      error: 'Route not found: the API is under /api/v1, its routes are listed at /docs',
      code: 'ROUTE_NOT_FOUND',
    });
    // The API itself is unaffected.
    expect((await app.inject({ method: 'GET', url: '/api/v1/servers/1' })).statusCode).toBe(200);
    await app.close();
  });
});
