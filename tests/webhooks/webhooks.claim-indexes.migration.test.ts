// The migration that adds the delivery claim's partial indexes, on the database the suite runs on (SQLite
// or PostgreSQL).
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { databaseMigratedTo, migrationBefore } from '../helpers/database.js';

const THIS = '2026_12_01_120000_add_webhook_delivery_claim_indexes';
const BEFORE = migrationBefore(THIS);
const INDEXES = ['webhook_deliveries_leased_webhook_id_idx', 'webhook_deliveries_pending_webhook_id_seq_idx'];

/** The definitions of the claim's indexes in the test's own database or schema, by name. */
async function definitions(db: Kysely<Database>): Promise<Record<string, string>> {
  const query = isSqlite(db)
    ? sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
        where type = 'index' and tbl_name = 'webhook_deliveries'`
    : sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes
        where tablename = 'webhook_deliveries' and schemaname = current_schema()`;
  const rows = (await query.execute(db)).rows.filter((row) => INDEXES.includes(row.name));
  return Object.fromEntries(rows.map((row) => [row.name, row.definition.replace(/\s+/g, ' ')]));
}

describe(`migration ${THIS}`, () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = await databaseMigratedTo(BEFORE);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('adds two partial indexes, of the pending and of the leased deliveries, and removes them going down', async () => {
    expect(await definitions(db)).toStrictEqual({});
    expect((await (await createMigrator(db)).migrateTo(THIS)).error).toBeUndefined();
    const made = await definitions(db);
    expect(Object.keys(made).sort()).toStrictEqual(INDEXES);
    const pending = made.webhook_deliveries_pending_webhook_id_seq_idx ?? '';
    const leased = made.webhook_deliveries_leased_webhook_id_idx ?? '';
    expect(pending).toMatch(/\(\s*"?webhook_id"?, "?seq"?( NULLS FIRST)?, "?id"?\s*\)/i);
    expect(pending).toMatch(/where .*status.* = 'pending'/i);
    expect(leased).toMatch(/\(\s*"?webhook_id"?, "?lease_expires_at"?\s*\)/i);
    expect(leased).toMatch(/where .*lease_expires_at.* is not null/i);
    if (!isSqlite(db)) {
      // PostgreSQL's ascending order puts nulls last: the index keeps pings (no seq) first, as SQLite does.
      expect(pending).toMatch(/seq NULLS FIRST/);
    }

    expect((await (await createMigrator(db)).migrateTo(BEFORE)).error).toBeUndefined();
    expect(await definitions(db)).toStrictEqual({});
  });
});
