// The migration that adds the server's state to the changes, on the database the suite runs on (SQLite
// or PostgreSQL).
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { databaseMigratedTo, migrationBefore } from '../helpers/database.js';

const THIS = '2026_12_01_090000_add_server_state_to_changes';
const BEFORE = migrationBefore(THIS);

/** The columns of server_changes in the test's own database or schema, with whether each takes null. */
async function columns(db: Kysely<Database>): Promise<Record<string, boolean>> {
  const query = isSqlite(db)
    ? sql<{
        name: string;
        nullable: number;
      }>`select name, "notnull" = 0 as nullable from pragma_table_info('server_changes')`
    : sql<{ name: string; nullable: boolean }>`select column_name as name, is_nullable = 'YES' as nullable
        from information_schema.columns where table_name = 'server_changes' and table_schema = current_schema()`;
  return Object.fromEntries((await query.execute(db)).rows.map((row) => [row.name, Boolean(row.nullable)]));
}

describe(`migration ${THIS}`, () => {
  let db: Kysely<Database>;
  // Rows written as each revision's schema has them, below the application's types.
  const raw = () => db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const change = (serverId: number) => ({
    server_id: serverId,
    action: 'update',
    at: '2026-01-01T00:00:00.000Z',
    actor: 'test',
    changes: '{}',
  });
  beforeEach(async () => {
    db = await databaseMigratedTo(BEFORE);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('adds a nullable column, null in the rows before it and in those an earlier revision writes', async () => {
    await raw()
      .insertInto('server_changes')
      .values([change(1), change(2)])
      .execute();
    expect((await (await createMigrator(db)).migrateTo(THIS)).error).toBeUndefined();
    expect(await columns(db)).toMatchObject({ server: true });

    // The previous revision, still running during a rolling update, inserts without the column.
    await raw().insertInto('server_changes').values(change(3)).execute();
    await raw()
      .insertInto('server_changes')
      .values({ ...change(4), server: '{"id":4}' })
      .execute();
    const rows = await raw().selectFrom('server_changes').select(['server_id', 'server']).orderBy('seq').execute();
    expect(rows).toStrictEqual([
      { server_id: 1, server: null },
      { server_id: 2, server: null },
      { server_id: 3, server: null },
      { server_id: 4, server: '{"id":4}' },
    ]);
  });

  it('drops the column on the way down, keeping the changes', async () => {
    expect((await (await createMigrator(db)).migrateTo(THIS)).error).toBeUndefined();
    await raw()
      .insertInto('server_changes')
      .values({ ...change(1), server: '{"id":1}' })
      .execute();
    expect((await (await createMigrator(db)).migrateTo(BEFORE)).error).toBeUndefined();
    expect(Object.keys(await columns(db))).not.toContain('server');
    expect(await raw().selectFrom('server_changes').select(['server_id', 'changes']).execute()).toStrictEqual([
      { server_id: 1, changes: '{}' },
    ]);
  });
});
