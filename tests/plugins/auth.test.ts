import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { AS_BOOTSTRAP, BOOTSTRAP_TOKEN, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { registeredRoutes } from '../helpers/routes.js';

const NEW_SERVER = { hostname: 'auth-test', ip: '192.0.2.77' };
const REALM = 'Bearer realm="inventory-api"';

let t: TestApp;
afterEach(async () => {
  await t.app.close();
});

function post(headers: Record<string, string>, remoteAddress = '127.0.0.1') {
  return t.app.inject({ method: 'POST', url: '/api/v1/servers', headers, payload: NEW_SERVER, remoteAddress });
}

describe('authentication of writes', () => {
  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    t = await buildTestApp();
    for (const [method, url] of [
      ['POST', '/api/v1/servers'],
      ['PUT', '/api/v1/servers/1'],
      ['PATCH', '/api/v1/servers/1'],
      ['DELETE', '/api/v1/servers/1'],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: NEW_SERVER });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.headers['www-authenticate']).toBe(REALM);
      expect(res.json()).toStrictEqual({
        error: 'Authentication required: send Authorization: Bearer <token>',
        code: 'AUTH_REQUIRED',
      });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).statusCode).toBe(200);
  });

  it('answers 401 invalid_token for an unknown token, a malformed header or another scheme', async () => {
    t = await buildTestApp();
    for (const authorization of [
      'Bearer inv_notarealtokennotarealtokennotarealtoken12',
      'Bearer',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      `Bearer ${BOOTSTRAP_TOKEN}x`,
    ]) {
      const res = await post({ authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`${REALM}, error="invalid_token"`);
      expect(res.json<{ code: string }>().code).toBe('INVALID_TOKEN');
    }
  });

  it('answers 403 insufficient_scope for a read token, and writes nothing', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'reader', scope: 'read' });
    const res = await post({ authorization: `Bearer ${secret}` });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(`${REALM}, error="insufficient_scope", scope="write"`);
    expect(res.json()).toStrictEqual({
      error: 'This token may only read: writes need a token with the write scope',
      code: 'INSUFFICIENT_SCOPE',
    });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers' })).json<{ count: number }>().count).toBe(2);
  });

  it('accepts a write token and records its name as the actor', async () => {
    t = await buildTestApp();
    const tokens = createTokensService(t.db);
    const { secret } = await tokens.create({ name: 'ci-pipeline', scope: 'write' });
    const res = await post({ authorization: `Bearer ${secret}` });
    expect(res.statusCode).toBe(201);
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3/history' });
    expect(history.json<{ changes: { actor: string }[] }>().changes[0]?.actor).toBe('ci-pipeline');
    const [info] = await tokens.list();
    expect(info?.last_used_at).not.toBeNull();
  });

  it('accepts the bootstrap token as a write token named "bootstrap"', async () => {
    t = await buildTestApp();
    expect((await post(AS_BOOTSTRAP)).statusCode).toBe(201);
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3/history' });
    expect(history.json<{ changes: { actor: string }[] }>().changes[0]?.actor).toBe('bootstrap');
  });

  it('refuses a revoked token and an expired one', async () => {
    const past = new Date(Date.now() - 10 * 86_400_000);
    t = await buildTestApp();
    const tokens = createTokensService(t.db);
    const revoked = await tokens.create({ name: 'revoked', scope: 'write' });
    await tokens.revoke('revoked');
    const expired = await createTokensService(t.db, { now: () => past }).create({
      name: 'expired',
      scope: 'write',
      expiresInDays: 1,
    });
    for (const secret of [revoked.secret, expired.secret]) {
      const res = await post({ authorization: `Bearer ${secret}` });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ code: string }>().code).toBe('INVALID_TOKEN');
    }
  });

  it('has no bootstrap token unless one is configured', async () => {
    t = await buildTestApp({ env: { INVENTORY_BOOTSTRAP_TOKEN: undefined } });
    const res = await post(AS_BOOTSTRAP);
    expect(res.statusCode).toBe(401);
    expect(res.json<{ code: string }>().code).toBe('INVALID_TOKEN');
  });
});

describe('INVENTORY_AUTH_READS', () => {
  it('keeps reads open by default', async () => {
    t = await buildTestApp();
    for (const url of ['/api/v1/servers', '/api/v1/servers/1', '/api/v1/servers/1/history', '/api/v1/changes']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('=true makes every /api/v1 route but the health check need a token, read scope being enough', async () => {
    t = await buildTestApp({ env: { INVENTORY_AUTH_READS: 'true' } });
    const { secret } = await createTokensService(t.db).create({ name: 'dashboard', scope: 'read' });
    for (const url of ['/api/v1/servers', '/api/v1/servers/1', '/api/v1/servers/1/history', '/api/v1/changes']) {
      const anonymous = await t.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe(REALM);
      const reader = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
      expect(reader.statusCode, url).toBe(200);
      const writer = await t.app.inject({ method: 'GET', url, headers: AS_BOOTSTRAP });
      expect(writer.statusCode, url).toBe(200);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/health/ready' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const metrics = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('http_requests_total');
  });
});

describe('the routes open with INVENTORY_AUTH_READS=true', () => {
  /** The lead's decision: the probes, and what describes the API (no inventory data), which /docs must load before Authorize. */
  const OPEN_API_ROUTES = ['/api/v1/health', '/api/v1/health/ready', '/api/v1/openapi.json'];
  // `/` only redirects to /docs.
  const isDocs = (url: string) => url === '/' || url === '/docs' || url.startsWith('/docs/');

  it('are the probes, the OpenAPI document and /docs; every other GET route of the app answers 401', async () => {
    t = await buildTestApp({ env: { INVENTORY_AUTH_READS: 'true' } });
    // From the router itself: a route added tomorrow is in this list without anyone adding it here.
    const routes = registeredRoutes(t.app)
      .filter((route) => route.method === 'GET')
      .map((route) => route.url);
    expect(routes).toContain('/api/v1/servers/:id');
    expect(routes).toContain('/docs/static/*');
    const open: string[] = [];
    for (const route of routes) {
      // A parameter gets a valid value; a wildcard (there are some under /docs only) a file that exists.
      const url = route.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'swagger-ui.css');
      const res = await t.app.inject({ method: 'GET', url });
      if (res.statusCode === 401) {
        expect(res.json<{ code: string }>().code, url).toBe('AUTH_REQUIRED');
      } else {
        expect(res.statusCode, url).toBeLessThan(400);
        open.push(route);
      }
    }
    expect(open.filter((url) => !isDocs(url)).sort()).toStrictEqual(OPEN_API_ROUTES);
    expect(open.filter(isDocs)).toStrictEqual(routes.filter(isDocs));
  });

  it('are the ones docs/api.md names', () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const start = doc.indexOf('With `INVENTORY_AUTH_READS=true`');
    expect(start).toBeGreaterThan(-1);
    const paragraph = doc.slice(start);
    const named = paragraph.slice(0, paragraph.indexOf('\n\n'));
    for (const route of [...OPEN_API_ROUTES, '/docs']) {
      expect(named).toContain(`\`GET ${route}\``);
    }
  });
});

describe('the failed-authentication throttle', () => {
  it('answers 429 with Retry-After after 10 bad tokens from one address, even to a good token', async () => {
    t = await buildTestApp();
    for (let i = 0; i < 10; i++) {
      expect((await post({ authorization: `Bearer inv_guess${i}` }, '203.0.113.9')).statusCode).toBe(401);
    }
    const blocked = await post({ authorization: 'Bearer inv_guess10' }, '203.0.113.9');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toStrictEqual({
      error: 'Too many failed authentications: check the token, then retry after the seconds in Retry-After',
      code: 'TOO_MANY_AUTH_FAILURES',
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await post(AS_BOOTSTRAP, '203.0.113.9')).statusCode).toBe(429);

    // Another address is not affected, and a missing token is not a failed guess.
    expect((await post(AS_BOOTSTRAP, '203.0.113.10')).statusCode).toBe(201);
    for (let i = 0; i < 12; i++) {
      expect((await post({}, '203.0.113.11')).statusCode).toBe(401);
    }
  });
});

describe('secrets', () => {
  it('appear in no log line and no error body', async () => {
    t = await buildTestApp({ env: { LOG_LEVEL: 'trace' } });
    const { secret } = await createTokensService(t.db).create({ name: 'logged', scope: 'read' });
    const bodies = [
      (await post({ authorization: `Bearer ${secret}` })).body,
      (await post({ authorization: `Bearer ${secret}-wrong` })).body,
      (await post(AS_BOOTSTRAP)).body,
      (await post({ authorization: `Bearer ${BOOTSTRAP_TOKEN}-wrong` })).body,
    ];
    const logs = t.logs.text();
    expect(logs.length).toBeGreaterThan(0);
    for (const text of [logs, ...bodies]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(BOOTSTRAP_TOKEN);
    }
  });
});
