import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONNECTIONS_CHECK_INTERVAL_MS,
  CONNECTION_TIMEOUT_MS,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  PRESSURE_WARM_UP_MS,
  REQUEST_TIMEOUT_MS,
} from '../../src/plugins/protection.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('sends headers fit for a JSON API on answers and errors alike', async () => {
    for (const url of ['/api/v1/servers', '/api/v1/servers/abc', '/nope']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toBe(
        "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      );
      expect(res.headers['strict-transport-security'], url).toMatch(/^max-age=\d+/);
      expect(res.headers['cross-origin-resource-policy'], url).toBe('same-origin');
      expect(res.headers['x-powered-by'], url).toBeUndefined();
    }
  });
});

/** `ETag, X-Request-Id` -> `['etag', 'x-request-id']`, sorted: header names are case-insensitive. */
function headerList(value: unknown): string[] {
  return String(value)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .sort();
}

describe('CORS', () => {
  it('is off without CORS_ORIGINS: no Access-Control header, and a preflight is not answered', async () => {
    const { app } = await buildTestApp();
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/servers',
      headers: { origin: 'https://inventory.example.com' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/servers',
      headers: { origin: 'https://inventory.example.com', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(405);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  describe('with CORS_ORIGINS', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await buildTestApp({ env: { CORS_ORIGINS: 'https://inventory.example.com,http://localhost:3000' } });
    });
    afterAll(async () => {
      await t.app.close();
    });

    it('allows a listed origin, and exposes the request id to it', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/servers',
        headers: { origin: 'http://localhost:3000' },
      });
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
    });

    it('answers a preflight from a listed origin', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/servers/1',
        headers: {
          origin: 'https://inventory.example.com',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://inventory.example.com');
      expect(String(res.headers['access-control-allow-headers'])).toContain('Authorization');
    });

    it('answers the preflight of a conditional, idempotent write from a listed origin', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/servers/1',
        headers: {
          origin: 'https://inventory.example.com',
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,content-type,if-match,idempotency-key,x-request-id',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://inventory.example.com');
      expect(headerList(res.headers['access-control-allow-methods'])).toContain('patch');
      expect(headerList(res.headers['access-control-allow-headers'])).toStrictEqual([
        'authorization',
        'content-type',
        'idempotency-key',
        'if-match',
        'if-none-match',
        'last-event-id',
        'x-request-id',
      ]);
    });

    it('lets a listed origin read the ETag, replay marker, Last-Seen-At, Link, Location, Retry-After and request id of real answers', async () => {
      const origin = { origin: 'http://localhost:3000' };
      const exposed = [
        'etag',
        'idempotent-replayed',
        'last-seen-at',
        'link',
        'location',
        'retry-after',
        'x-request-id',
      ];
      const page = await t.app.inject({ method: 'GET', url: '/api/v1/servers?limit=1', headers: origin });
      expect(page.headers.link).toMatch(/rel="next"/);
      const server = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1', headers: origin });
      expect(server.headers.etag).toMatch(/^"/);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: { ...origin, ...AS_BOOTSTRAP },
        payload: { hostname: 'cors-01', ip: '192.0.2.80' },
      });
      expect(created.statusCode).toBe(201);
      expect(created.headers.location).toMatch(/^\/api\/v1\/servers\/\d+$/);
      for (const res of [page, server, created]) {
        expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
        expect(headerList(res.headers['access-control-expose-headers'])).toStrictEqual(exposed);
      }
    });

    it('does not allow another origin', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/servers',
        headers: { origin: 'https://evil.example.net' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('RATE_LIMIT_PER_MINUTE', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit, per client address', async () => {
    const { app } = await buildTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/servers/1' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('3');
    }
    const limited = await app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(limited.json()).toStrictEqual({
      error: 'Too many requests: retry after the seconds in Retry-After',
      code: 'RATE_LIMITED',
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    // Another client has its own budget.
    const other = await app.inject({ method: 'GET', url: '/api/v1/servers', remoteAddress: '192.0.2.7' });
    expect(other.statusCode).toBe(200);
    await app.close();
  });

  it('never limits the health probes and the metrics', async () => {
    const { app } = await buildTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1' } });
    for (let i = 0; i < 5; i++) {
      for (const url of ['/api/v1/health', '/api/v1/health/ready', '/metrics']) {
        expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
    }
    await app.close();
  });

  it('is off by default', async () => {
    const { app } = await buildTestApp();
    for (let i = 0; i < 50; i++) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/servers/1' })).statusCode).toBe(200);
    }
    await app.close();
  });
});

describe('overload protection (MAX_EVENT_LOOP_DELAY_MS)', () => {
  /** Keeps the event loop busy, as a CPU-bound burst of requests would. */
  function blockEventLoop(ms: number): void {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // busy
    }
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('answers 503 OVERLOADED with Retry-After while the event loop lags, but keeps liveness up', async () => {
    const { app } = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '1' } });
    await sleep(PRESSURE_WARM_UP_MS + 100);
    blockEventLoop(600);
    let overloaded;
    // The lag is sampled once a second: poll, within a bound, until the sample has seen it.
    for (let i = 0; i < 150 && overloaded === undefined; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/servers' });
      if (res.statusCode === 503) {
        overloaded = res;
        const live = await app.inject({ method: 'GET', url: '/api/v1/health' });
        expect(live.statusCode).toBe(200);
      } else {
        expect(res.statusCode).toBe(200);
        await sleep(20);
      }
    }
    expect(overloaded?.json()).toStrictEqual({ error: 'The server is overloaded; retry later', code: 'OVERLOADED' });
    expect(overloaded?.headers['retry-after']).toBe('10');
    await app.close();
  });

  it('turns nobody away in the first seconds after start, whose lag is the start itself', async () => {
    const { app } = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '1' } });
    const started = Date.now();
    blockEventLoop(600);
    // Without the warm-up, the sample taken after the block would shed these requests.
    while (Date.now() - started < 2000) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/servers' })).statusCode).toBe(200);
      await sleep(20);
    }
    await app.close();
  });
});

describe('connection limits', () => {
  it('sets the header, request, idle-connection and keep-alive timeouts and the body limit', async () => {
    const { app } = await buildTestApp();
    expect(app.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(app.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    // Node's default, 30 s, let a request run up to 30 s past its timeout.
    expect(CONNECTIONS_CHECK_INTERVAL_MS).toBeLessThanOrEqual(1000);
    expect((app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval).toBe(
      CONNECTIONS_CHECK_INTERVAL_MS,
    );
    expect(app.server.timeout).toBe(CONNECTION_TIMEOUT_MS);
    expect(app.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(HEADERS_TIMEOUT_MS).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(app.initialConfig.bodyLimit).toBe(1024 * 1024);
    await app.close();
  });
});
