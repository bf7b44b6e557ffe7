import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request logging', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(async () => {
    await t.app.close();
  });

  function linesFor(reqId: string) {
    return t.logs.entries().filter((entry) => entry.reqId === reqId && entry.msg === 'request completed');
  }

  it('writes one JSON line per request: id, method, route template, status, duration and client address', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers/2',
      headers: { 'x-request-id': 'req-one' },
      remoteAddress: '192.0.2.55',
    });
    expect(res.statusCode).toBe(200);
    const lines = linesFor('req-one');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      reqId: 'req-one',
      method: 'GET',
      route: '/api/v1/servers/:id',
      status: 200,
      client: '192.0.2.55',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(lines[0]).not.toHaveProperty('token');
    // Fastify's own two lines per request are off.
    expect(t.logs.entries().filter((e) => e.reqId === 'req-one' && e.msg === 'incoming request')).toHaveLength(0);
  });

  it('logs failures too, with their status, and a null route for an unknown path', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/servers/999', headers: { 'x-request-id': 'req-404' } });
    expect(linesFor('req-404')[0]).toMatchObject({ route: '/api/v1/servers/:id', status: 404 });
    await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { 'x-request-id': 'req-unmatched' } });
    expect(linesFor('req-unmatched')[0]).toMatchObject({ route: null, status: 404, method: 'GET' });
  });

  it('names the token of an authenticated request, never the token itself', async () => {
    const { secret } = await createTokensService(t.db).create({ name: 'deploy-bot', scope: 'write' });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: { 'x-request-id': 'req-token', authorization: `Bearer ${secret}` },
      payload: { hostname: 'logged-01', ip: '192.0.2.44' },
    });
    expect(linesFor('req-token')[0]).toMatchObject({ token: 'deploy-bot', status: 201, route: '/api/v1/servers' });
    expect(t.logs.text()).not.toContain(secret);
  });

  it('never logs an Authorization header, a cookie or a query string, even at trace level', async () => {
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers?api_key=querysecret123',
      headers: { authorization: 'Bearer inv_other_secret', cookie: 'session=cookiesecret456' },
    });
    await t.app.inject({ method: 'GET', url: '/api/v1/servers/abc', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    const text = t.logs.text();
    expect(text).not.toContain('inv_other_secret');
    expect(text).not.toContain('querysecret123');
    expect(text).not.toContain('cookiesecret456');
    expect(text).not.toContain('dXNlcjpwYXNz');
    expect(text.toLowerCase()).not.toContain('authorization');
  });
});

describe('X-Request-Id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each(['abc-123', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'trace:01HZX.7_b', 'x'.repeat(128)])(
    'keeps a well-formed id (%s), echoes it and logs it',
    async (id) => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id']).toBe(id);
      expect(t.logs.entries().some((e) => e.reqId === id && e.msg === 'request completed')).toBe(true);
    },
  );

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'abc 123'],
    ['with quotes', 'a"b'],
    ['empty', ''],
    ['with a fake log field', 'a","level":60'],
  ])('replaces an id that is %s with a generated UUID, and echoes that', async (_label, id) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': id } });
    const echoed = String(res.headers['x-request-id']);
    expect(echoed).toMatch(UUID);
    expect(t.logs.entries().some((e) => e.reqId === echoed)).toBe(true);
  });

  it('generates a UUID when the request has none, a new one each time', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    const second = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(String(first.headers['x-request-id'])).toMatch(UUID);
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
  });

  it('is echoed on errors too', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers/abc',
      headers: { 'x-request-id': 'bad-id-1' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toBe('bad-id-1');
  });
});
