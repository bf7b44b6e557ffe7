import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { TokenError, createTokensService, hashToken } from '../../src/tokens/tokens.service.js';
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
    expect(await service.revoke('gone')).toBe(true);
    expect(await service.authenticate(secret)).toBeNull();
    expect(await service.revoke('gone')).toBe(false);
    expect(await service.revoke('never-existed')).toBe(false);
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
    [{ name: '', scope: 'read' as const }, /token name/],
    [{ name: 'has space', scope: 'read' as const }, /token name/],
    [{ name: 'x'.repeat(65), scope: 'read' as const }, /token name/],
    [{ name: 'bootstrap', scope: 'write' as const }, /reserved/],
    [{ name: 'ok', scope: 'read' as const, expiresInDays: 0 }, /expires-in-days/],
    [{ name: 'ok', scope: 'read' as const, expiresInDays: 1.5 }, /expires-in-days/],
  ])('refuses %j', async (input, message) => {
    await expect(createTokensService(db).create(input)).rejects.toThrow(message);
  });

  it('never reuses a name, not even a revoked one', async () => {
    const service = createTokensService(db);
    await service.create({ name: 'once', scope: 'read' });
    await service.revoke('once');
    await expect(service.create({ name: 'once', scope: 'read' })).rejects.toBeInstanceOf(TokenError);
  });

  it('accepts the bootstrap token by its hash only', async () => {
    const bootstrap = 'b'.repeat(40);
    const service = createTokensService(db, { bootstrapTokenHash: hashToken(bootstrap) });
    expect(await service.authenticate(bootstrap)).toStrictEqual({ name: 'bootstrap', scope: 'write' });
    expect(await service.authenticate('b'.repeat(39))).toBeNull();
  });
});
