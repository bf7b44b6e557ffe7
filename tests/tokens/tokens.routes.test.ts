import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokensService, hashToken } from '../../src/tokens/tokens.service.js';
import { AS_BOOTSTRAP, BOOTSTRAP_TOKEN, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

interface TokenBody {
  name: string;
  scope: string;
  status: string;
  source: string;
  created_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  grace_until: string | null;
}
interface WithSecret {
  secret: string;
  token: TokenBody;
}

let t: TestApp;
let clock: Date;
/** Every answer of the test but the create and rotate answers, whose secrets are expected. */
let others: LightMyRequestResponse[];

async function start(env: Record<string, string | undefined> = {}): Promise<void> {
  clock = new Date('2026-06-01T10:00:00.000Z');
  others = [];
  t = await buildTestApp({ env, now: () => clock });
}
afterEach(async () => {
  await t.app.close();
});

type Method = 'GET' | 'POST' | 'DELETE';
type Payload = Record<string, unknown>;
async function call(
  method: Method,
  url: string,
  headers: Record<string, string> = AS_BOOTSTRAP,
  payload?: Payload,
): Promise<LightMyRequestResponse> {
  const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  others.push(res);
  return res;
}
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Creates a token over the API; its answer is not among `others`. */
async function create(body: Payload, headers: Record<string, string> = AS_BOOTSTRAP): Promise<WithSecret> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<WithSecret>();
}

async function rotate(url: string, headers: Record<string, string>, body?: Payload): Promise<WithSecret> {
  const res = await t.app.inject({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body }) });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  return res.json<WithSecret>();
}

/** Whether `secret` authenticates: a write route's 401 says no (the 400 after it says yes). */
async function works(secret: string): Promise<boolean> {
  const res = await call('GET', '/api/v1/tokens/self', bearer(secret));
  return res.statusCode === 200;
}

describe('POST /api/v1/tokens', () => {
  it('creates a token and shows its secret once: 201, no-store, the token without its hash', async () => {
    await start();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: AS_BOOTSTRAP,
      payload: { name: 'deploy-bot', scope: 'write', expires_in_days: 30 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { secret, token } = res.json<WithSecret>();
    expect(secret).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(token).toStrictEqual({
      name: 'deploy-bot',
      scope: 'write',
      status: 'active',
      source: 'database',
      created_at: '2026-06-01T10:00:00.000Z',
      expires_at: '2026-07-01T10:00:00.000Z',
      last_used_at: null,
      revoked_at: null,
      grace_until: null,
    });
    expect(res.body).not.toContain(hashToken(secret));
    const write = await call('POST', '/api/v1/servers', bearer(secret), { hostname: 'made-by-bot', ip: '192.0.2.90' });
    expect(write.statusCode).toBe(201);
  });

  it('creates admin tokens, which manage tokens in turn', async () => {
    await start();
    const admin = await create({ name: 'ops', scope: 'admin' });
    const made = await create({ name: 'made-by-ops', scope: 'read' }, bearer(admin.secret));
    expect(made.token.scope).toBe('read');
    const events = await call('GET', '/api/v1/tokens/events');
    expect(events.json<{ events: { token: string; actor: string }[] }>().events.at(-1)).toMatchObject({
      token: 'made-by-ops',
      actor: 'ops',
    });
  });

  it('answers 409 TOKEN_CONFLICT for a name in use, even a revoked one', async () => {
    await start();
    await create({ name: 'once', scope: 'read' });
    expect((await call('DELETE', '/api/v1/tokens/once')).statusCode).toBe(200);
    const res = await call('POST', '/api/v1/tokens', AS_BOOTSTRAP, { name: 'once', scope: 'write' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toStrictEqual({
      error: 'A token with this name exists: names are never reused, not even revoked ones; choose another name',
      code: 'TOKEN_CONFLICT',
      details: [{ field: 'name', message: '"once" is taken' }],
    });
  });

  it.each([
    [{ name: 'bootstrap', scope: 'read' }, 'name', /reserved/],
    [{ name: 'self', scope: 'read' }, 'name', /reserved/],
    [{ name: 'has space', scope: 'read' }, 'name', /letters, digits/],
    [{ name: 'x'.repeat(65), scope: 'read' }, 'name', /letters, digits/],
    [{ name: 'ok', scope: 'owner' }, 'scope', /./],
    [{ name: 'ok' }, 'scope', /./],
    [{ name: 'ok', scope: 'read', expires_in_days: 0 }, 'expires_in_days', /./],
    [{ name: 'ok', scope: 'read', expires_in_days: 1.5 }, 'expires_in_days', /./],
    [{ name: 'ok', scope: 'read', secret: 'inv_mine' }, 'secret', /./],
  ])('answers 400 naming the field for %j, and creates nothing', async (body, field, message) => {
    await start();
    const res = await call('POST', '/api/v1/tokens', AS_BOOTSTRAP, body);
    expect(res.statusCode).toBe(400);
    const { code, details } = res.json<{ code: string; details: { field: string; message: string }[] }>();
    expect(code).toBe('VALIDATION_FAILED');
    expect(details.map((d) => d.field)).toContain(field);
    expect(details.find((d) => d.field === field)?.message).toMatch(message);
    expect((await call('GET', '/api/v1/tokens')).json<{ tokens: unknown[] }>().tokens).toHaveLength(1);
  });

  it('answers 401 without a token and 403 to a write token', async () => {
    await start();
    const writer = await create({ name: 'writer', scope: 'write' });
    const body = { name: 'sneaky', scope: 'admin' };
    expect((await call('POST', '/api/v1/tokens', {}, body)).statusCode).toBe(401);
    const forbidden = await call('POST', '/api/v1/tokens', bearer(writer.secret), body);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain('scope="admin"');
    expect((await call('GET', '/api/v1/tokens')).json<{ tokens: { name: string }[] }>().tokens).toHaveLength(2);
  });
});

describe('GET /api/v1/tokens', () => {
  it('lists every token, the bootstrap token first, with status and never a secret', async () => {
    await start();
    const live = await create({ name: 'live', scope: 'read', expires_in_days: 1 });
    await create({ name: 'gone', scope: 'write' });
    await call('DELETE', '/api/v1/tokens/gone');
    clock = new Date('2026-06-02T10:00:00.000Z');
    const res = await call('GET', '/api/v1/tokens');
    expect(res.statusCode).toBe(200);
    const { tokens } = res.json<{ tokens: TokenBody[] }>();
    expect(tokens.map((tk) => [tk.name, tk.scope, tk.status, tk.source])).toStrictEqual([
      ['bootstrap', 'admin', 'active', 'environment'],
      ['gone', 'write', 'revoked', 'database'],
      ['live', 'read', 'expired', 'database'],
    ]);
    expect(res.body).not.toContain(live.secret);
    expect(res.body).not.toContain(hashToken(live.secret));
    expect(res.body).not.toContain('token_hash');
  });

  it('leaves the bootstrap token out when none is configured', async () => {
    await start({ INVENTORY_BOOTSTRAP_TOKEN: undefined });
    expect((await call('GET', '/api/v1/tokens', AS_BOOTSTRAP)).statusCode).toBe(401);
    // Then the command line makes the first admin token.
    const { secret } = await createTokensService(t.db).create({ name: 'first-admin', scope: 'admin' });
    const res = await call('GET', '/api/v1/tokens', bearer(secret));
    expect(res.json<{ tokens: TokenBody[] }>().tokens.map((tk) => tk.name)).toStrictEqual(['first-admin']);
    const revokeBootstrap = await call('DELETE', '/api/v1/tokens/bootstrap', bearer(secret));
    expect(revokeBootstrap.statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/tokens/:name', () => {
  it('revokes a token at once and answers it, revoked', async () => {
    await start();
    const { secret } = await create({ name: 'leaked', scope: 'write' });
    expect(await works(secret)).toBe(true);
    const res = await call('DELETE', '/api/v1/tokens/leaked');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'leaked', status: 'revoked', revoked_at: '2026-06-01T10:00:00.000Z' });
    expect(await works(secret)).toBe(false);
  });

  it('answers 409 BOOTSTRAP_TOKEN_FIXED for the bootstrap token, which keeps working', async () => {
    await start();
    const res = await call('DELETE', '/api/v1/tokens/bootstrap');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toStrictEqual({
      error:
        'The bootstrap token comes from the environment and cannot be revoked or rotated through the API: ' +
        'change or remove INVENTORY_BOOTSTRAP_TOKEN(_FILE) and restart',
      code: 'BOOTSTRAP_TOKEN_FIXED',
      details: [{ field: 'name', message: 'is the bootstrap token, set by the environment' }],
    });
    expect(await works(BOOTSTRAP_TOKEN)).toBe(true);
  });

  it('answers 404 for an unknown token, 409 for a revoked one and 400 for a malformed name', async () => {
    await start();
    const unknown = await call('DELETE', '/api/v1/tokens/nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({
      code: 'TOKEN_NOT_FOUND',
      details: [{ field: 'name', message: 'no token is named "nobody"' }],
    });
    await create({ name: 'twice', scope: 'read' });
    await call('DELETE', '/api/v1/tokens/twice');
    const again = await call('DELETE', '/api/v1/tokens/twice');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      code: 'TOKEN_INACTIVE',
      details: [{ field: 'name', message: 'revoked at 2026-06-01T10:00:00.000Z' }],
    });
    const malformed = await call('DELETE', '/api/v1/tokens/bad%20name');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'name' }] });
  });
});

describe('POST /api/v1/tokens/:name/rotate', () => {
  it('gives a new secret, same name and scope; the old one works until created + grace, then stops', async () => {
    await start();
    const old = await create({ name: 'ci', scope: 'write' });
    const rotated = await rotate('/api/v1/tokens/ci/rotate', AS_BOOTSTRAP, { grace_seconds: 300 });
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.token).toMatchObject({ name: 'ci', scope: 'write', grace_until: '2026-06-01T10:05:00.000Z' });
    expect(await works(old.secret)).toBe(true);
    expect(await works(rotated.secret)).toBe(true);

    clock = new Date('2026-06-01T10:04:59.999Z');
    expect(await works(old.secret)).toBe(true);
    clock = new Date('2026-06-01T10:05:00.000Z');
    expect(await works(old.secret)).toBe(false);
    expect(await works(rotated.secret)).toBe(true);
    const listed = (await call('GET', '/api/v1/tokens')).json<{ tokens: TokenBody[] }>().tokens;
    expect(listed.find((tk) => tk.name === 'ci')?.grace_until).toBeNull();
  });

  it('stops the old secret at once without grace_seconds, with an empty body too', async () => {
    await start();
    const old = await create({ name: 'ci', scope: 'read' });
    const rotated = await rotate('/api/v1/tokens/ci/rotate', AS_BOOTSTRAP);
    expect(rotated.token.grace_until).toBeNull();
    expect(await works(old.secret)).toBe(false);
    expect(await works(rotated.secret)).toBe(true);
    const again = await rotate('/api/v1/tokens/ci/rotate', AS_BOOTSTRAP, {});
    expect(await works(rotated.secret)).toBe(false);
    expect(await works(again.secret)).toBe(true);
  });

  it.each([[-1], [604_801], [1.5], ['60']])('answers 400 for grace_seconds %j and rotates nothing', async (grace) => {
    await start();
    const old = await create({ name: 'ci', scope: 'read' });
    const res = await call('POST', '/api/v1/tokens/ci/rotate', AS_BOOTSTRAP, { grace_seconds: grace });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'grace_seconds' }] });
    expect(await works(old.secret)).toBe(true);
  });

  it('accepts the longest grace, 7 days', async () => {
    await start();
    await create({ name: 'ci', scope: 'read' });
    const rotated = await rotate('/api/v1/tokens/ci/rotate', AS_BOOTSTRAP, { grace_seconds: 604_800 });
    expect(rotated.token.grace_until).toBe('2026-06-08T10:00:00.000Z');
  });

  it('answers 409 for the bootstrap token and a revoked token, 404 for an unknown one, 403 to a write token', async () => {
    await start();
    const bootstrap = await call('POST', '/api/v1/tokens/bootstrap/rotate', AS_BOOTSTRAP, {});
    expect(bootstrap.statusCode).toBe(409);
    expect(bootstrap.json<{ code: string }>().code).toBe('BOOTSTRAP_TOKEN_FIXED');
    await create({ name: 'gone', scope: 'read' });
    await call('DELETE', '/api/v1/tokens/gone');
    expect((await call('POST', '/api/v1/tokens/gone/rotate', AS_BOOTSTRAP, {})).json()).toMatchObject({
      code: 'TOKEN_INACTIVE',
    });
    expect((await call('POST', '/api/v1/tokens/nobody/rotate', AS_BOOTSTRAP, {})).statusCode).toBe(404);
    const writer = await create({ name: 'writer', scope: 'write' });
    expect((await call('POST', '/api/v1/tokens/writer/rotate', bearer(writer.secret), {})).statusCode).toBe(403);
  });
});

describe('GET /api/v1/tokens/self and POST /api/v1/tokens/self/rotate', () => {
  it('let a token of any scope read and rotate itself', async () => {
    await start();
    const reader = await create({ name: 'dashboard', scope: 'read', expires_in_days: 90 });
    const self = await call('GET', '/api/v1/tokens/self', bearer(reader.secret));
    expect(self.statusCode).toBe(200);
    expect(self.json()).toMatchObject({ name: 'dashboard', scope: 'read', expires_at: '2026-08-30T10:00:00.000Z' });

    const rotated = await rotate('/api/v1/tokens/self/rotate', bearer(reader.secret), { grace_seconds: 60 });
    expect(rotated.token).toMatchObject({ name: 'dashboard', scope: 'read', grace_until: '2026-06-01T10:01:00.000Z' });
    expect(await works(reader.secret)).toBe(true);
    clock = new Date('2026-06-01T10:01:00.000Z');
    expect(await works(reader.secret)).toBe(false);
    expect(await works(rotated.secret)).toBe(true);

    const events = (await call('GET', '/api/v1/tokens/events')).json<{ events: unknown[] }>().events;
    expect(events.at(-1)).toMatchObject({ token: 'dashboard', action: 'rotate', actor: 'dashboard' });
  });

  it('need a token even while reads are open', async () => {
    await start();
    const self = await call('GET', '/api/v1/tokens/self', {});
    expect(self.statusCode).toBe(401);
    expect(self.json<{ code: string }>().code).toBe('AUTH_REQUIRED');
    expect((await call('POST', '/api/v1/tokens/self/rotate', {}, {})).statusCode).toBe(401);
  });

  it('describe the bootstrap token, and refuse to rotate it', async () => {
    await start();
    expect((await call('GET', '/api/v1/tokens/self')).json()).toMatchObject({ name: 'bootstrap', scope: 'admin' });
    const res = await call('POST', '/api/v1/tokens/self/rotate', AS_BOOTSTRAP, {});
    expect(res.statusCode).toBe(409);
    expect(res.json<{ code: string }>().code).toBe('BOOTSTRAP_TOKEN_FIXED');
  });
});

describe('GET /api/v1/tokens/events', () => {
  it('shows admins every change with its actor, pages with after, and is refused to others', async () => {
    await start();
    const reader = await create({ name: 'reader', scope: 'read' });
    clock = new Date('2026-06-01T11:00:00.000Z');
    await rotate('/api/v1/tokens/reader/rotate', AS_BOOTSTRAP, { grace_seconds: 10 });
    clock = new Date('2026-06-01T12:00:00.000Z');
    await call('DELETE', '/api/v1/tokens/reader');

    const res = await call('GET', '/api/v1/tokens/events');
    expect(res.statusCode).toBe(200);
    const { events } = res.json<{ events: { seq: number }[] }>();
    expect(events).toStrictEqual([
      {
        seq: expect.any(Number) as number,
        at: '2026-06-01T10:00:00.000Z',
        token: 'reader',
        action: 'create',
        actor: 'bootstrap',
        scope: 'read',
        expires_at: null,
      },
      {
        seq: expect.any(Number) as number,
        at: '2026-06-01T11:00:00.000Z',
        token: 'reader',
        action: 'rotate',
        actor: 'bootstrap',
        grace_until: '2026-06-01T11:00:10.000Z',
      },
      {
        seq: expect.any(Number) as number,
        at: '2026-06-01T12:00:00.000Z',
        token: 'reader',
        action: 'revoke',
        actor: 'bootstrap',
      },
    ]);
    const page = await call('GET', `/api/v1/tokens/events?after=${events[0]?.seq ?? 0}&limit=1`);
    expect(page.json<{ events: { action: string }[] }>().events.map((e) => e.action)).toStrictEqual(['rotate']);

    const writer = await create({ name: 'writer', scope: 'write' });
    expect((await call('GET', '/api/v1/tokens/events', bearer(writer.secret))).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/tokens/events', {})).statusCode).toBe(401);
    expect((await call('GET', '/api/v1/tokens/events?limit=0')).statusCode).toBe(400);
    expect(reader.secret).toBeDefined();
  });
});

describe('secrets and hashes', () => {
  it('appear in no log line and in no answer but the create and rotate answers', async () => {
    await start({ LOG_LEVEL: 'trace' });
    const secrets: string[] = [BOOTSTRAP_TOKEN];
    const first = await create({ name: 'auditor', scope: 'admin' });
    secrets.push(first.secret);
    const second = await rotate('/api/v1/tokens/auditor/rotate', AS_BOOTSTRAP, { grace_seconds: 600 });
    secrets.push(second.secret);
    const third = await rotate('/api/v1/tokens/self/rotate', bearer(second.secret), { grace_seconds: 600 });
    secrets.push(third.secret);

    await call('GET', '/api/v1/tokens');
    await call('GET', '/api/v1/tokens/self', bearer(third.secret));
    await call('GET', '/api/v1/tokens/self', bearer(second.secret));
    await call('GET', '/api/v1/tokens/events', bearer(third.secret));
    await call('POST', '/api/v1/tokens', bearer(third.secret), { name: 'auditor', scope: 'read' });
    await call('GET', '/api/v1/tokens/self', bearer(`${third.secret}x`));
    await call('GET', '/api/v1/servers', { authorization: `Token ${third.secret}` });
    await call('DELETE', '/api/v1/tokens/auditor');
    await call('GET', '/api/v1/tokens/self', bearer(third.secret));
    const document = await call('GET', '/api/v1/openapi.json');
    expect(document.statusCode).toBe(200);

    const logs = t.logs.text();
    const changes = t.logs.entries().filter((e) => e.msg === 'token changed');
    expect(changes.map((e) => e.tokenChange)).toStrictEqual([
      { token: 'auditor', action: 'create', actor: 'bootstrap' },
      { token: 'auditor', action: 'rotate', actor: 'bootstrap' },
      { token: 'auditor', action: 'rotate', actor: 'auditor' },
      { token: 'auditor', action: 'revoke', actor: 'bootstrap' },
    ]);
    expect(others.length).toBeGreaterThanOrEqual(10);
    for (const secret of secrets) {
      for (const [where, text] of [
        ['the log', logs],
        ...others.map((res) => [`${res.statusCode} ${res.body.slice(0, 80)}`, JSON.stringify(res.headers) + res.body]),
      ] as [string, string][]) {
        expect(text, where).not.toContain(secret);
        expect(text, where).not.toContain(hashToken(secret));
      }
    }
    const stored = JSON.stringify(await t.db.selectFrom('token_events').selectAll().execute());
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
    }
  });
});
