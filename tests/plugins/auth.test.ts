import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { AS_BOOTSTRAP, BOOTSTRAP_TOKEN, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { registeredRoutes } from '../helpers/routes.js';

const NEW_SERVER = { hostname: 'auth-test', ip: '192.0.2.77' };
const REALM = 'Bearer realm="inventory-api"';

let t: TestApp;
afterEach(async () => {
  await t.app.close();
});

let posted = 0;
/** POSTs the test server; with `fresh`, under a new host name and address, so that it does not conflict. */
function post(headers: Record<string, string>, remoteAddress = '127.0.0.1', fresh = false) {
  posted += 1;
  const payload = fresh ? { hostname: `auth-test-${posted}`, ip: `192.0.2.${posted % 250}` } : NEW_SERVER;
  return t.app.inject({ method: 'POST', url: '/api/v1/servers', headers, payload, remoteAddress });
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

  it('answers 401 invalid_token for an unknown token or a near miss of the bootstrap token', async () => {
    t = await buildTestApp();
    for (const authorization of [
      'Bearer inv_notarealtokennotarealtokennotarealtoken12',
      `Bearer inv_${'A'.repeat(43)}`,
      `Bearer ${BOOTSTRAP_TOKEN}x`,
      `bearer   ${BOOTSTRAP_TOKEN.slice(1)}`,
    ]) {
      const res = await post({ authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`${REALM}, error="invalid_token"`);
      expect(res.json<{ code: string }>().code).toBe('INVALID_TOKEN');
    }
  });

  it('answers 401 with the Bearer hint for another scheme or a malformed header', async () => {
    t = await buildTestApp();
    for (const authorization of [
      'Bearer',
      'Bearer ',
      `Bearer ${BOOTSTRAP_TOKEN} extra`,
      `Token ${BOOTSTRAP_TOKEN}`,
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
      BOOTSTRAP_TOKEN,
    ]) {
      const res = await post({ authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`${REALM}, error="invalid_request"`);
      expect(res.json()).toStrictEqual({
        error:
          'Unsupported Authorization header: send Authorization: Bearer <token>, the Bearer scheme and the token only',
        code: 'INVALID_AUTH_SCHEME',
      });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers' })).json<{ count: number }>().count).toBe(2);
  });

  it('answers 403 insufficient_scope for a read token, and writes nothing', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'reader', scope: 'read' });
    const res = await post({ authorization: `Bearer ${secret}` });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(`${REALM}, error="insufficient_scope", scope="write"`);
    expect(res.json()).toStrictEqual({
      error:
        "The token's scope does not allow this: use a token with the scope named in WWW-Authenticate " +
        '(write to change servers, admin to manage tokens)',
      code: 'INSUFFICIENT_SCOPE',
    });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers' })).json<{ count: number }>().count).toBe(2);
  });

  it('answers 403 with scope="admin" for a write token on a token route', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'writer', scope: 'write' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(`${REALM}, error="insufficient_scope", scope="admin"`);
    expect(res.json<{ code: string }>().code).toBe('INSUFFICIENT_SCOPE');
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

  it('accepts the bootstrap token as an admin token named "bootstrap"', async () => {
    t = await buildTestApp();
    expect((await post(AS_BOOTSTRAP)).statusCode).toBe(201);
    const self = await t.app.inject({ method: 'GET', url: '/api/v1/tokens/self', headers: AS_BOOTSTRAP });
    expect(self.json()).toMatchObject({ name: 'bootstrap', scope: 'admin', source: 'environment' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: AS_BOOTSTRAP })).statusCode).toBe(200);
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

describe('credentials are never ignored', () => {
  it('a wrong, revoked or expired token, or another scheme, gets 401 on every route of the app, open ones included', async () => {
    t = await buildTestApp();
    const tokens = createTokensService(t.db);
    const revoked = await tokens.create({ name: 'revoked', scope: 'admin' });
    await tokens.revoke('revoked');
    const expired = await createTokensService(t.db, { now: () => new Date(Date.now() - 3 * 86_400_000) }).create({
      name: 'expired',
      scope: 'admin',
      expiresInDays: 1,
    });
    const valid = await tokens.create({ name: 'valid', scope: 'admin' });
    const credentials: [string, string][] = [
      [`Bearer inv_${'Z'.repeat(43)}`, 'INVALID_TOKEN'],
      [`Bearer ${revoked.secret}`, 'INVALID_TOKEN'],
      [`Bearer ${expired.secret}`, 'INVALID_TOKEN'],
      [`Token ${valid.secret}`, 'INVALID_AUTH_SCHEME'],
      [`Token ${BOOTSTRAP_TOKEN}`, 'INVALID_AUTH_SCHEME'],
    ];
    // From the router itself, every method: a route added tomorrow is checked without anyone adding it here.
    const routes = registeredRoutes(t.app).filter((route) => route.method !== 'OPTIONS');
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/health', 'GET /api/v1/openapi.json', 'POST /api/v1/servers', 'GET /docs/*']),
    );
    let client = 0;
    for (const route of [...routes, { method: 'GET', url: '/api/v1/no-such-route' }]) {
      const url = route.url.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'swagger-ui.css');
      for (const [authorization, code] of credentials) {
        client += 1;
        const res = await t.app.inject({
          method: route.method as 'GET',
          url,
          headers: { authorization, 'content-type': 'application/json' },
          payload: route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE' ? undefined : '{}',
          // Each from its own address: the throttle must not answer instead.
          remoteAddress: `198.51.100.${client % 250}`,
        });
        const where = `${route.method} ${url} with ${authorization.slice(0, 12)}`;
        expect(res.statusCode, where).toBe(401);
        if (route.method !== 'HEAD') {
          expect(res.json<{ code: string }>().code, where).toBe(code);
        }
      }
    }
  });

  it('tells a Token scheme user to send Bearer, on reads and writes', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'netbox-habit', scope: 'write' });
    for (const [method, url] of [
      ['GET', '/api/v1/servers'],
      ['GET', '/api/v1/servers/1'],
      ['POST', '/api/v1/servers'],
      ['DELETE', '/api/v1/servers/1'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: { authorization: `Token ${secret}` },
        payload: NEW_SERVER,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json<{ error: string }>().error).toContain('send Authorization: Bearer <token>');
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).statusCode).toBe(200);
  });

  it('a valid token on an open read is accepted, and named in the request log', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'dashboard', scope: 'read' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/health',
      headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'open-read' },
    });
    expect(res.statusCode).toBe(200);
    const line = t.logs.entries().find((e) => e.reqId === 'open-read' && e.msg === 'request completed');
    expect(line).toMatchObject({ token: 'dashboard', status: 200 });
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
    const start = doc.indexOf('Only these routes stay open');
    expect(start).toBeGreaterThan(-1);
    const paragraph = doc.slice(start);
    const named = paragraph.slice(0, paragraph.indexOf('\n\n'));
    for (const route of [...OPEN_API_ROUTES, '/docs']) {
      expect(named).toContain(`\`GET ${route}\``);
    }
  });
});

describe('the failed-authentication throttle', () => {
  const BAD = (i: number) => ({ authorization: `Bearer inv_guess${i}` });

  it('answers 429 with Retry-After to bad tokens after 10 from one address, never to a valid token', async () => {
    t = await buildTestApp();
    const { secret } = await createTokensService(t.db).create({ name: 'writer', scope: 'write' });
    for (let i = 0; i < 10; i++) {
      expect((await post(BAD(i), '203.0.113.9')).statusCode).toBe(401);
    }
    const blocked = await post(BAD(10), '203.0.113.9');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toStrictEqual({
      error: 'Too many failed authentications: check the token, then retry after the seconds in Retry-After',
      code: 'TOO_MANY_AUTH_FAILURES',
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A bad token on a read is refused the same way; valid tokens get through, reads and writes.
    const read = (headers: Record<string, string>) =>
      t.app.inject({ method: 'GET', url: '/api/v1/servers/1', headers, remoteAddress: '203.0.113.9' });
    expect((await read(BAD(11))).statusCode).toBe(429);
    expect((await post(AS_BOOTSTRAP, '203.0.113.9', true)).statusCode).toBe(201);
    expect((await post({ authorization: `Bearer ${secret}` }, '203.0.113.9', true)).statusCode).toBe(201);
    expect((await read({ authorization: `Bearer ${secret}` })).statusCode).toBe(200);
    expect((await read({})).statusCode).toBe(200);

    // Another address is not affected.
    expect((await post(BAD(12), '203.0.113.10')).statusCode).toBe(401);
    expect((await post(AS_BOOTSTRAP, '203.0.113.10', true)).statusCode).toBe(201);
  });

  it('does not count a missing token or another scheme as a guess', async () => {
    t = await buildTestApp();
    for (let i = 0; i < 12; i++) {
      expect((await post({}, '203.0.113.11')).statusCode).toBe(401);
      const wrongScheme = await post({ authorization: `Token ${BOOTSTRAP_TOKEN}` }, '203.0.113.11');
      expect(wrongScheme.json<{ code: string }>().code).toBe('INVALID_AUTH_SCHEME');
    }
    expect((await post(BAD(0), '203.0.113.11')).json<{ code: string }>().code).toBe('INVALID_TOKEN');
  });

  it('forgets an address once its window has passed', async () => {
    t = await buildTestApp();
    const start = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(start);
    try {
      for (let i = 0; i < 11; i++) {
        await post(BAD(i), '203.0.113.12');
      }
      expect((await post(BAD(11), '203.0.113.12')).statusCode).toBe(429);
      clock.mockReturnValue(start + 59_999);
      expect((await post(BAD(12), '203.0.113.12')).statusCode).toBe(429);
      clock.mockReturnValue(start + 60_000);
      expect((await post(BAD(13), '203.0.113.12')).statusCode).toBe(401);
    } finally {
      clock.mockRestore();
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
