import { NO_MIGRATIONS } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { migrations } from '../../src/db/migrations/index.js';
import type { Database } from '../../src/db/types.js';
import type { Kysely } from 'kysely';

const row = {
  hostname: 'a',
  ip: '192.0.2.1',
  status: 'up',
  environment: null,
  role: null,
  location: null,
  os: null,
  tags: '[]',
  notes: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('migrations', () => {
  let db: Kysely<Database>;
  // These tests write rows as older schemas had them, below the application's types.
  const raw = () => db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeEach(() => {
    db = createDatabase({ dialect: 'sqlite', filename: ':memory:' });
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('are named YYYY_MM_DD_HHMMSS_verb_noun and listed in order', () => {
    const names = Object.keys(migrations);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^\d{4}_\d{2}_\d{2}_\d{6}_[a-z]+(_[a-z0-9]+)+$/);
    }
    expect([...names].sort()).toStrictEqual(names);
  });

  it('apply every migration once; a second run applies nothing', async () => {
    const first = await migrateToLatest(db);
    expect(first.results?.map((r) => [r.migrationName, r.status])).toStrictEqual(
      Object.keys(migrations).map((name) => [name, 'Success']),
    );
    const second = await migrateToLatest(db);
    expect(second.results).toStrictEqual([]);
  });

  it('roll all the way down and up again', async () => {
    await migrateToLatest(db);
    const down = await (await createMigrator(db)).migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name).filter((name) => !name.startsWith('kysely_'))).toStrictEqual([]);
    await migrateToLatest(db);
    expect((await db.introspection.getTables()).map((t) => t.name)).toEqual(
      expect.arrayContaining(['servers', 'inventory_meta']),
    );
  });

  it('make the store refuse a duplicate hostname, a duplicate ip and an unknown status', async () => {
    await migrateToLatest(db);
    await raw().insertInto('servers').values(row).execute();
    await expect(
      raw()
        .insertInto('servers')
        .values({ ...row, ip: '192.0.2.2' })
        .execute(),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      raw()
        .insertInto('servers')
        .values({ ...row, hostname: 'b' })
        .execute(),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      raw()
        .insertInto('servers')
        .values({ ...row, hostname: 'c', ip: '192.0.2.3', status: 'broken' })
        .execute(),
    ).rejects.toThrow(/CHECK/);
  });

  it('never hand out the id of a deleted server again', async () => {
    await migrateToLatest(db);
    const first: { id: number } = await raw()
      .insertInto('servers')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.deleteFrom('servers').where('id', '=', first.id).execute();
    const second: { id: number } = await raw()
      .insertInto('servers')
      .values({ ...row, hostname: 'b' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(second.id).toBe(first.id + 1);
  });

  it('rewrite labels stored in another normal form in NFC, unless the NFC form would not fit', async () => {
    await (await createMigrator(db)).migrateTo('2026_11_27_220000_use_binary_collation_on_postgres');
    // U+0958 is excluded from composition: 64 of them are 128 code points in NFC.
    const tooLong = '\u0958'.repeat(64);
    await raw()
      .insertInto('servers')
      .values([
        { ...row, environment: 'cafe\u0301', role: 'caf\u00e9', location: tooLong, os: 'debian' },
        { ...row, hostname: 'b', ip: '192.0.2.2', environment: 'A\u030Arhus' },
      ])
      .execute();
    await migrateToLatest(db);
    const rows = await db
      .selectFrom('servers')
      .select(['hostname', 'environment', 'role', 'location', 'os'])
      .orderBy('hostname')
      .execute();
    expect(rows).toStrictEqual([
      { hostname: 'a', environment: 'caf\u00e9', role: 'caf\u00e9', location: tooLong, os: 'debian' },
      { hostname: 'b', environment: '\u00C5rhus', role: null, location: null, os: null },
    ]);
  });

  it('put servers that existed before the change feed into it as creations', async () => {
    await (await createMigrator(db)).migrateTo('2026_11_27_180000_create_servers');
    await raw()
      .insertInto('servers')
      .values({ ...row, tags: '["legacy"]' })
      .execute();
    await migrateToLatest(db);
    const changes = await db.selectFrom('server_changes').selectAll().execute();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ seq: 1, server_id: 1, action: 'create', actor: 'system', at: row.created_at });
    expect(JSON.parse(changes[0]?.changes ?? '{}')).toStrictEqual({
      hostname: { from: null, to: 'a' },
      ip: { from: null, to: '192.0.2.1' },
      status: { from: null, to: 'up' },
      tags: { from: null, to: ['legacy'] },
    });
    const server = await db.selectFrom('servers').select('version').executeTakeFirstOrThrow();
    expect(server.version).toBe(1);
  });

  it('roll a failed run back whole, even after some of its statements succeeded', async () => {
    await (await createMigrator(db)).migrateTo('2026_11_27_190000_create_tokens_and_changes');
    // The last statements of the next migration create this index: they fail, the first ones succeeded.
    await db.schema.createIndex('servers_updated_at_id_idx').on('servers').column('id').execute();
    await expect(migrateToLatest(db)).rejects.toThrow(
      'Migration 2026_11_27_200000_add_ip_key_tags_and_list_indexes failed',
    );
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name)).not.toContain('server_tags');
    expect(tables.find((t) => t.name === 'servers')?.columns.map((c) => c.name)).not.toContain('ip_key');
    const applied = (await (await createMigrator(db)).getMigrations()).filter((m) => m.executedAt !== undefined);
    expect(applied.map((m) => m.name)).toStrictEqual([
      '2026_11_27_180000_create_servers',
      '2026_11_27_190000_create_tokens_and_changes',
    ]);
  });

  it('report a failing migration by name and leave it unapplied', async () => {
    // A table in the way makes the first migration fail.
    await db.schema.createTable('servers').addColumn('x', 'integer').execute();
    await expect(migrateToLatest(db)).rejects.toThrow('Migration 2026_11_27_180000_create_servers failed');
    const tables = (await db.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('inventory_meta');
    expect(await (await createMigrator(db)).getMigrations()).toEqual(
      expect.arrayContaining([expect.objectContaining({ executedAt: undefined })]),
    );
  });
});
