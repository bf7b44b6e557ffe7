// The migration that adds custom fields, on the database the suite runs on (SQLite or PostgreSQL).
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCustomFieldsService } from '../../src/custom-fields/custom-fields.service.js';
import { parseValues } from '../../src/custom-fields/custom-fields.values.js';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { findServerById } from '../../src/servers/servers.repository.js';
import { freshDatabaseConfig } from '../helpers/database.js';

const BEFORE = '2026_11_30_090000_create_idempotency_keys';
const THIS = '2026_11_30_110000_create_custom_fields';

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
