import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { AppError } from '../../src/errors.js';
import { createTokensService, hashToken } from '../../src/tokens/tokens.service.js';
import { migratedDatabase } from '../helpers/database.js';

let db: Kysely<Database>;
beforeEach(async () => {
  db = await migratedDatabase();
});
afterEach(async () => {
  await db.destroy();
});

describe('the tokens service', () => {
  it('creates a recognisable secret of 256 random bits and stores only its hash', async () => {
    const { secret, token } = await createTokensService(db).create({ name: 'ci', scope: 'write' });
    expect(secret).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice(4), 'base64url')).toHaveLength(32);
    expect(token).toMatchObject({ name: 'ci', scope: 'write', status: 'active', expires_at: null, last_used_at: null });

    const rows = await db.selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(4));
    expect(rows[0]?.token_hash).toBe(hashToken(secret));
  });

  it('makes a different secret every time', async () => {
    const service = createTokensService(db);
    const a = await service.create({ name: 'a', scope: 'read' });
    const b = await service.create({ name: 'b', scope: 'read' });
    expect(a.secret).not.toBe(b.secret);
  });

  it('authenticates a secret as its token, and nothing else', async () => {
    const service = createTokensService(db);
    const { secret } = await service.create({ name: 'reader', scope: 'read' });
    expect(await service.authenticate(secret)).toStrictEqual({ name: 'reader', scope: 'read' });
    expect(await service.authenticate(`${secret}x`)).toBeNull();
    expect(await service.authenticate(secret.slice(0, -1))).toBeNull();
    expect(await service.authenticate('')).toBeNull();
    expect(await service.authenticate(hashToken(secret))).toBeNull();
  });

  it('sets an expiry N days ahead and refuses the token once it has passed', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const service = createTokensService(db, { now: () => now });
    const { secret, token } = await service.create({ name: 'temp', scope: 'write', expiresInDays: 7 });
    expect(token.expires_at).toBe('2026-01-08T00:00:00.000Z');
    now = new Date('2026-01-07T23:59:59.000Z');
    expect(await service.authenticate(secret)).not.toBeNull();
    now = new Date('2026-01-08T00:00:00.000Z');
    expect(await service.authenticate(secret)).toBeNull();
    expect((await service.list())[0]?.status).toBe('expired');
  });

  it('revokes a token at once, once', async () => {
    const service = createTokensService(db);
    const { secret } = await service.create({ name: 'gone', scope: 'write' });
    expect(await service.revoke('gone')).toMatchObject({ name: 'gone', status: 'revoked' });
    expect(await service.authenticate(secret)).toBeNull();
    await expect(service.revoke('gone')).rejects.toMatchObject({ code: 'TOKEN_INACTIVE' });
    await expect(service.revoke('never-existed')).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    expect((await service.list())[0]?.status).toBe('revoked');
  });

  it('records when a token was last used, at most once a minute', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const service = createTokensService(db, { now: () => now });
    const { secret } = await service.create({ name: 'used', scope: 'read' });
    await service.authenticate(secret);
    expect((await service.list())[0]?.last_used_at).toBe('2026-01-01T00:00:00.000Z');
    now = new Date('2026-01-01T00:00:30.000Z');
    await service.authenticate(secret);
    expect((await service.list())[0]?.last_used_at).toBe('2026-01-01T00:00:00.000Z');
    now = new Date('2026-01-01T00:01:00.000Z');
    await service.authenticate(secret);
    expect((await service.list())[0]?.last_used_at).toBe('2026-01-01T00:01:00.000Z');
  });

  it.each([
    [{ name: '', scope: 'read' as const }, 'name', /token name/],
    [{ name: 'has space', scope: 'read' as const }, 'name', /token name/],
    [{ name: 'x'.repeat(65), scope: 'read' as const }, 'name', /token name/],
    [{ name: 'bootstrap', scope: 'write' as const }, 'name', /reserved/],
    [{ name: 'self', scope: 'write' as const }, 'name', /reserved/],
    [{ name: 'ok', scope: 'owner' as 'read' }, 'scope', /read, write, admin/],
    [{ name: 'ok', scope: 'read' as const, expiresInDays: 0 }, 'expires_in_days', /whole number/],
    [{ name: 'ok', scope: 'read' as const, expiresInDays: 1.5 }, 'expires_in_days', /whole number/],
  ])('refuses %j, naming the field', async (input, field, message) => {
    const error = await createTokensService(db)
      .create(input)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    expect((error as AppError).details?.[0]?.field).toBe(field);
    expect((error as AppError).details?.[0]?.message).toMatch(message);
    expect(await db.selectFrom('api_tokens').selectAll().execute()).toHaveLength(0);
  });

  it('never reuses a name, not even a revoked one', async () => {
    const service = createTokensService(db);
    await service.create({ name: 'once', scope: 'read' });
    await service.revoke('once');
    await expect(service.create({ name: 'once', scope: 'read' })).rejects.toMatchObject({ code: 'TOKEN_CONFLICT' });
  });

  it('creates admin tokens, which authenticate with the admin scope', async () => {
    const service = createTokensService(db);
    const { secret, token } = await service.create({ name: 'ops-admin', scope: 'admin' });
    expect(token.scope).toBe('admin');
    expect(await service.authenticate(secret)).toStrictEqual({ name: 'ops-admin', scope: 'admin' });
  });

  it('accepts the bootstrap token by its hash only, as an admin token that cannot be revoked or rotated', async () => {
    const bootstrap = 'b'.repeat(40);
    const service = createTokensService(db, { bootstrapTokenHash: hashToken(bootstrap) });
    expect(await service.authenticate(bootstrap)).toStrictEqual({ name: 'bootstrap', scope: 'admin' });
    expect(await service.authenticate('b'.repeat(39))).toBeNull();
    await expect(service.revoke('bootstrap')).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_FIXED' });
    await expect(service.rotate('bootstrap')).rejects.toMatchObject({ code: 'BOOTSTRAP_TOKEN_FIXED' });
    expect(await service.list()).toStrictEqual([expect.objectContaining({ name: 'bootstrap', source: 'environment' })]);
    expect(await service.authenticate(bootstrap)).not.toBeNull();
  });

  it('refuses a secret of another shape without a query', async () => {
    let queries = 0;
    const counted = createTokensService(
      db.withPlugin({
        transformQuery: (args) => {
          queries += 1;
          return args.node;
        },
        transformResult: (args) => Promise.resolve(args.result),
      }),
    );
    expect(await counted.authenticate('inv_short')).toBeNull();
    expect(await counted.authenticate(`x${'A'.repeat(46)}`)).toBeNull();
    expect(queries).toBe(0);
    expect(await counted.authenticate(`inv_${'A'.repeat(43)}`)).toBeNull();
    expect(queries).toBe(2);
  });
});

describe('rotation', () => {
  it('gives a new secret for the same name and scope; without grace the old one stops at once', async () => {
    const service = createTokensService(db);
    const old = await service.create({ name: 'bot', scope: 'write', expiresInDays: 30 });
    const rotated = await service.rotate('bot');
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated.token).toMatchObject({ name: 'bot', scope: 'write', grace_until: null });
    expect(rotated.token.expires_at).toBe(old.token.expires_at);
    expect(await service.authenticate(rotated.secret)).toStrictEqual({ name: 'bot', scope: 'write' });
    expect(await service.authenticate(old.secret)).toBeNull();
  });

  it('keeps the old secret working until the end of the grace period, and not a second longer', async () => {
    let now = new Date('2026-03-01T12:00:00.000Z');
    const service = createTokensService(db, { now: () => now });
    const old = await service.create({ name: 'bot', scope: 'read' });
    const rotated = await service.rotate('bot', { graceSeconds: 600, actor: 'ops' });
    expect(rotated.token.grace_until).toBe('2026-03-01T12:10:00.000Z');

    now = new Date('2026-03-01T12:09:59.999Z');
    expect(await service.authenticate(old.secret)).toStrictEqual({ name: 'bot', scope: 'read' });
    expect(await service.authenticate(rotated.secret)).toStrictEqual({ name: 'bot', scope: 'read' });
    expect((await service.describe('bot')).grace_until).toBe('2026-03-01T12:10:00.000Z');

    now = new Date('2026-03-01T12:10:00.000Z');
    expect(await service.authenticate(old.secret)).toBeNull();
    expect(await service.authenticate(rotated.secret)).not.toBeNull();
    expect((await service.describe('bot')).grace_until).toBeNull();
  });

  it('ends an earlier grace period: only the secret just replaced keeps one', async () => {
    const service = createTokensService(db);
    const first = await service.create({ name: 'bot', scope: 'read' });
    const second = await service.rotate('bot', { graceSeconds: 3600 });
    const third = await service.rotate('bot', { graceSeconds: 3600 });
    expect(await service.authenticate(first.secret)).toBeNull();
    expect(await service.authenticate(second.secret)).not.toBeNull();
    expect(await service.authenticate(third.secret)).not.toBeNull();
  });

  it('revocation stops the secret in grace too', async () => {
    const service = createTokensService(db);
    const old = await service.create({ name: 'bot', scope: 'read' });
    const rotated = await service.rotate('bot', { graceSeconds: 3600 });
    const revoked = await service.revoke('bot');
    expect(revoked.grace_until).toBeNull();
    expect(await service.authenticate(old.secret)).toBeNull();
    expect(await service.authenticate(rotated.secret)).toBeNull();
  });

  it.each([-1, 604_801, 1.5])('refuses a grace period of %d seconds', async (graceSeconds) => {
    const service = createTokensService(db);
    const old = await service.create({ name: 'bot', scope: 'read' });
    await expect(service.rotate('bot', { graceSeconds })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'grace_seconds' }],
    });
    expect(await service.authenticate(old.secret)).not.toBeNull();
  });

  it('refuses an unknown, a revoked and an expired token', async () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const service = createTokensService(db, { now: () => now });
    await expect(service.rotate('nobody')).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    await service.create({ name: 'revoked', scope: 'read' });
    await service.revoke('revoked');
    await expect(service.rotate('revoked')).rejects.toMatchObject({ code: 'TOKEN_INACTIVE' });
    await service.create({ name: 'expiring', scope: 'read', expiresInDays: 1 });
    now = new Date('2026-01-02T00:00:00.000Z');
    await expect(service.rotate('expiring')).rejects.toMatchObject({ code: 'TOKEN_INACTIVE' });
  });
});

describe('the token history', () => {
  it('records every creation, rotation and revocation with its actor, and never a secret or a hash', async () => {
    let now = new Date('2026-05-01T08:00:00.000Z');
    const service = createTokensService(db, { now: () => now });
    const created = await service.create({ name: 'bot', scope: 'write', expiresInDays: 2, actor: 'ops' });
    now = new Date('2026-05-01T09:00:00.000Z');
    const rotated = await service.rotate('bot', { graceSeconds: 60, actor: 'bot' });
    now = new Date('2026-05-01T10:00:00.000Z');
    await service.revoke('bot', '(cli)');

    const events = await service.events(0, 100);
    expect(events).toStrictEqual([
      {
        seq: expect.any(Number) as number,
        at: '2026-05-01T08:00:00.000Z',
        token: 'bot',
        action: 'create',
        actor: 'ops',
        scope: 'write',
        expires_at: '2026-05-03T08:00:00.000Z',
      },
      {
        seq: expect.any(Number) as number,
        at: '2026-05-01T09:00:00.000Z',
        token: 'bot',
        action: 'rotate',
        actor: 'bot',
        grace_until: '2026-05-01T09:01:00.000Z',
      },
      {
        seq: expect.any(Number) as number,
        at: '2026-05-01T10:00:00.000Z',
        token: 'bot',
        action: 'revoke',
        actor: '(cli)',
      },
    ]);
    const [first, second, third] = events.map((e) => e.seq);
    expect(first).toBeLessThan(second ?? 0);
    expect(await service.events(first ?? 0, 1)).toStrictEqual([events[1]]);
    expect(await service.events(third ?? 0, 100)).toStrictEqual([]);

    const stored = JSON.stringify(await db.selectFrom('token_events').selectAll().execute());
    for (const secret of [created.secret, rotated.secret]) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(hashToken(secret));
    }
  });

  it('records nothing for a refused change', async () => {
    const service = createTokensService(db);
    await service.create({ name: 'bot', scope: 'read' });
    await expect(service.create({ name: 'bot', scope: 'read' })).rejects.toMatchObject({ code: 'TOKEN_CONFLICT' });
    await expect(service.rotate('nobody')).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    expect((await service.events(0, 100)).map((e) => e.action)).toStrictEqual(['create']);
  });
});
