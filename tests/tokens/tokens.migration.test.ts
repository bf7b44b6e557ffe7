// The migration that adds the admin scope, on the database the suite runs on (SQLite or PostgreSQL).
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { createTokensService, hashToken } from '../../src/tokens/tokens.service.js';
import { freshDatabaseConfig } from '../helpers/database.js';

const BEFORE = '2026_11_30_030000_normalise_labels_to_nfc';
const THIS = '2026_11_30_063000_add_admin_scope_and_token_events';

/** A token row as the schema before this migration had it. */
function oldToken(name: string, scope: string, secret: string) {
  return {
    name,
    scope,
    token_hash: hashToken(secret),
    created_at: '2026-01-01T00:00:00.000Z',
    expires_at: null,
    last_used_at: '2026-01-02T00:00:00.000Z',
    revoked_at: name === 'old-revoked' ? '2026-01-03T00:00:00.000Z' : null,
  };
}

const SECRET = (n: number) => `inv_${String(n).repeat(43).slice(0, 43)}`;

describe(`migration ${THIS}`, () => {
  let db: Kysely<Database>;
  // Rows written as the older schema had them, below the application's types.
  const raw = () => db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeEach(async () => {
    db = createDatabase(await freshDatabaseConfig());
    await (await createMigrator(db)).migrateTo(BEFORE);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('keeps every existing token, its scope, its secret and its dates; admin becomes a scope', async () => {
    await raw()
      .insertInto('api_tokens')
      .values([
        oldToken('old-reader', 'read', SECRET(1)),
        oldToken('old-writer', 'write', SECRET(2)),
        oldToken('old-revoked', 'write', SECRET(3)),
      ])
      .execute();
    await expect(
      raw()
        .insertInto('api_tokens')
        .values(oldToken('early', 'admin', SECRET(4)))
        .execute(),
    ).rejects.toThrow();

    await migrateToLatest(db);
    const rows = await db.selectFrom('api_tokens').selectAll().orderBy('name').execute();
    expect(rows.map((r) => ({ ...r, id: 0 }))).toStrictEqual([
      { id: 0, ...oldToken('old-reader', 'read', SECRET(1)), previous_token_hash: null, previous_expires_at: null },
      { id: 0, ...oldToken('old-revoked', 'write', SECRET(3)), previous_token_hash: null, previous_expires_at: null },
      { id: 0, ...oldToken('old-writer', 'write', SECRET(2)), previous_token_hash: null, previous_expires_at: null },
    ]);
    const tokens = createTokensService(db);
    expect(await tokens.authenticate(SECRET(1))).toStrictEqual({ name: 'old-reader', scope: 'read' });
    expect(await tokens.authenticate(SECRET(2))).toStrictEqual({ name: 'old-writer', scope: 'write' });
    expect(await tokens.authenticate(SECRET(3))).toBeNull();

    // The names stay unique, and the scope check now takes admin and nothing else new.
    const admin = await tokens.create({ name: 'new-admin', scope: 'admin' });
    expect(await tokens.authenticate(admin.secret)).toStrictEqual({ name: 'new-admin', scope: 'admin' });
    await expect(tokens.create({ name: 'old-reader', scope: 'read' })).rejects.toMatchObject({
      code: 'TOKEN_CONFLICT',
    });
    await expect(
      raw()
        .insertInto('api_tokens')
        .values(oldToken('owner', 'owner', SECRET(5)))
        .execute(),
    ).rejects.toThrow();
    // A new token's id follows the old ones.
    const ids = (await db.selectFrom('api_tokens').select(['id', 'name']).orderBy('id').execute()).map((r) => r.name);
    expect(ids.at(-1)).toBe('new-admin');
  });

  it('rolls back: admin tokens become write tokens, the history goes, the old check returns', async () => {
    await migrateToLatest(db);
    const tokens = createTokensService(db);
    const admin = await tokens.create({ name: 'admin', scope: 'admin' });
    await tokens.rotate('admin', { graceSeconds: 60 });

    const down = await (await createMigrator(db)).migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    const rows = await raw().selectFrom('api_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'admin', scope: 'write' });
    expect(Object.keys(rows[0] as object)).not.toContain('previous_token_hash');
    await expect(raw().selectFrom('token_events').selectAll().execute()).rejects.toThrow();
    await expect(
      raw()
        .insertInto('api_tokens')
        .values(oldToken('again', 'admin', SECRET(6)))
        .execute(),
    ).rejects.toThrow();
    expect(admin.secret).toMatch(/^inv_/);

    await migrateToLatest(db);
    expect((await db.selectFrom('api_tokens').select('scope').executeTakeFirstOrThrow()).scope).toBe('write');
  });
});
