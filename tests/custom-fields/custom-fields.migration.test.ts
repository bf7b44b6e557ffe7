// The migration that adds custom fields, on the database the suite runs on (SQLite or PostgreSQL).
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCustomFieldsService } from '../../src/custom-fields/custom-fields.service.js';
import { missingExpression, valueExpression } from '../../src/custom-fields/custom-fields.sql.js';
import { parseValues } from '../../src/custom-fields/custom-fields.values.js';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { listDefinitions } from '../../src/custom-fields/custom-fields.repository.js';
import { findServerById } from '../../src/servers/servers.repository.js';
import { freshDatabaseConfig } from '../helpers/database.js';

const BEFORE = '2026_11_30_090000_create_idempotency_keys';
const THIS = '2026_11_30_110000_create_custom_fields';
const JSONB = '2026_11_30_150000_store_custom_values_as_jsonb_on_postgres';

/** The names of the indexes on the servers table. */
async function serverIndexes(db: Kysely<Database>): Promise<string[]> {
  const query = isSqlite(db)
    ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'servers'`
    : sql<{
        name: string;
      }>`select indexname as name from pg_indexes where tablename = 'servers' and schemaname = current_schema()`;
  return (await query.execute(db)).rows.map((row) => row.name).sort();
}

/** The columns of a table of the test's own database (SQLite) or schema (PostgreSQL); none if it is gone. */
async function columnsOf(db: Kysely<Database>, table: string): Promise<string[]> {
  const query = isSqlite(db)
    ? sql<{ name: string }>`select name from pragma_table_info(${table})`
    : sql<{ name: string }>`select column_name as name from information_schema.columns
        where table_name = ${table} and table_schema = current_schema()`;
  return (await query.execute(db)).rows.map((row) => row.name);
}

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

  it('gives existing servers no values, and rolls back with the indexes the definitions made', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    await raw()
      .insertInto('servers')
      .values({
        hostname: 'old-01',
        ip: '10.9.0.1',
        ip_key: Buffer.from([4, 10, 9, 0, 1]),
        status: 'up',
        tags: '[]',
        created_at: at,
        updated_at: at,
      })
      .execute();
    const indexesBefore = await serverIndexes(db);

    await migrateToLatest(db);
    const row = await findServerById(db, 1);
    expect(row?.custom_fields.replace(/ /g, '')).toBe('{}');
    const service = createCustomFieldsService(db);
    await service.create({ name: 'rack', type: 'string' }, 'test');
    await service.create({ name: 'u', type: 'integer', required: true, default: 2 }, 'test');
    expect(parseValues((await findServerById(db, 1))?.custom_fields ?? '')).toEqual({ u: 2 });
    expect(await serverIndexes(db)).toEqual([...indexesBefore, 'servers_cf_1_idx', 'servers_cf_2_idx'].sort());

    const down = await (await createMigrator(db)).migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    expect(await serverIndexes(db)).toEqual(indexesBefore);
    expect(await columnsOf(db, 'servers')).not.toContain('custom_fields');
    expect(await columnsOf(db, 'custom_fields')).toEqual([]);
  });
});

describe(`migration ${JSONB}`, () => {
  let db: Kysely<Database>;
  const raw = () => db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeEach(async () => {
    db = createDatabase(await freshDatabaseConfig());
    await (await createMigrator(db)).migrateTo(THIS);
  });
  afterEach(async () => {
    await db.destroy();
  });

  /** The type of servers.custom_fields: text on SQLite whatever happens, jsonb on PostgreSQL after it. */
  async function columnType(): Promise<string> {
    const query = isSqlite(db)
      ? sql<{ type: string }>`select type from pragma_table_info('servers') where name = 'custom_fields'`
      : sql<{ type: string }>`select data_type as type from information_schema.columns
          where table_schema = current_schema() and table_name = 'servers' and column_name = 'custom_fields'`;
    return (await query.execute(db)).rows[0]?.type.toLowerCase() ?? '';
  }

  it("keeps every value and every field's index, and rolls back to JSON text in name order", async () => {
    const at = '2026-01-01T00:00:00.000Z';
    await raw()
      .insertInto('custom_fields')
      .values([
        { name: 'rack', type: 'string', spec: '{}', created_at: at, updated_at: at },
        { name: 'u', type: 'integer', spec: '{}', created_at: at, updated_at: at },
        { name: 'pci', type: 'boolean', spec: '{}', created_at: at, updated_at: at },
      ])
      .execute();
    // The indexes as the definitions made them before, on the text column.
    if (!isSqlite(db)) {
      const value = (name: string) => `(custom_fields::jsonb ->> '${name}')`;
      const missing = (name: string) => `(case when ${value(name)} is null then 1 else 0 end)`;
      for (const [id, expression] of [
        [1, `${missing('rack')}, (coalesce(${value('rack')}, '') collate "C"), id`],
        [2, `${missing('u')}, coalesce((${value('u')})::numeric, 0), id`],
        [3, `${missing('pci')}, (case ${value('pci')} when 'true' then 1 else 0 end), id`],
      ] as const) {
        await sql.raw(`create index servers_cf_${id}_idx on servers (${expression})`).execute(db);
      }
    }
    const stored = ['{"pci":true,"rack":"R1","u":14}', '{}', '{"rack":"R2, \\"B\\"","u":1.5}'];
    await raw()
      .insertInto('servers')
      .values(
        stored.map((custom_fields, i) => ({
          hostname: `old-0${i}`,
          ip: `10.9.0.${i + 1}`,
          ip_key: Buffer.from([4, 10, 9, 0, i + 1]),
          status: 'up',
          tags: '[]',
          custom_fields,
          created_at: at,
          updated_at: at,
        })),
      )
      .execute();
    const indexesBefore = await serverIndexes(db);
    const textBefore = await columnType();

    await migrateToLatest(db);
    expect(await columnType()).toBe(isSqlite(db) ? 'text' : 'jsonb');
    expect(await serverIndexes(db)).toEqual(indexesBefore);
    for (const [i, text] of stored.entries()) {
      const values = parseValues((await findServerById(db, i + 1))?.custom_fields ?? '');
      expect(values).toEqual(JSON.parse(text));
      // In name order, as they were stored, whatever order the column keeps.
      expect(Object.keys(values)).toEqual(Object.keys(JSON.parse(text) as object));
    }
    // The code's expressions read the migrated column: an exact value and a range.
    const [rack, u] = (await listDefinitions(db)).filter((d) => d.name !== 'pci');
    if (rack === undefined || u === undefined) {
      throw new Error('the definitions are missing');
    }
    const matching = await db
      .selectFrom('servers')
      .select('id')
      .where(missingExpression(db, rack), '=', 0)
      .where(valueExpression(db, rack), '=', 'R1')
      .execute();
    expect(matching.map((row) => row.id)).toEqual([1]);
    const ranged = await db
      .selectFrom('servers')
      .select('id')
      .where(missingExpression(db, u), '=', 0)
      .where(valueExpression(db, u), '>=', 1.5)
      .orderBy('id')
      .execute();
    expect(ranged.map((row) => row.id)).toEqual([1, 3]);

    const down = await (await createMigrator(db)).migrateTo(THIS);
    expect(down.error).toBeUndefined();
    expect(await columnType()).toBe(textBefore);
    expect(await serverIndexes(db)).toEqual(indexesBefore);
    for (const [i, text] of stored.entries()) {
      expect((await findServerById(db, i + 1))?.custom_fields).toBe(text);
    }
  });
});
