// The migration that creates the webhooks' tables, on the database the suite runs on (SQLite or PostgreSQL).
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { deliveriesPageQuery } from '../../src/webhooks/webhooks.repository.js';
import { freshDatabaseConfig } from '../helpers/database.js';

const BEFORE = '2026_11_30_110000_create_custom_fields';
const THIS = '2026_11_30_170000_create_webhooks';
const TABLES = ['webhooks', 'webhook_deliveries', 'webhook_attempts', 'webhook_state'];

/** The columns of a table of the test's own database (SQLite) or schema (PostgreSQL); none if it is gone. */
async function columnsOf(db: Kysely<Database>, table: string): Promise<string[]> {
  const query = isSqlite(db)
    ? sql<{ name: string }>`select name from pragma_table_info(${table})`
    : sql<{ name: string }>`select column_name as name from information_schema.columns
        where table_name = ${table} and table_schema = current_schema() order by ordinal_position`;
  return (await query.execute(db)).rows.map((row) => row.name);
}

/** The names of the indexes on a table, those of primary keys and unique constraints left out. */
async function indexesOf(db: Kysely<Database>, table: string): Promise<string[]> {
  const query = isSqlite(db)
    ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = ${table}
        and name not like 'sqlite_autoindex_%'`
    : sql<{ name: string }>`select indexname as name from pg_indexes where tablename = ${table}
        and schemaname = current_schema() and indexname not like '%_pkey' and indexname not like '%_key'`;
  return (await query.execute(db)).rows.map((row) => row.name).sort();
}

describe(`migration ${THIS}`, () => {
  let db: Kysely<Database>;
  // Rows written as the older schema had them, below the application's types.
  const raw = () => db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const at = '2026-01-01T00:00:00.000Z';
  beforeEach(async () => {
    db = createDatabase(await freshDatabaseConfig());
    await (await createMigrator(db)).migrateTo(BEFORE);
  });
  afterEach(async () => {
    await db.destroy();
  });

  const webhook = (url: string) => ({
    url,
    events: '["server.created"]',
    secret: 'whsec_x',
    after_seq: 0,
    created_at: at,
    updated_at: at,
    created_by: 'test',
    updated_by: 'test',
  });
  const delivery = (webhookId: number, messageId: string, status = 'pending') => ({
    webhook_id: webhookId,
    event_type: 'server.created',
    message_id: messageId,
    seq: 1,
    body: '{}',
    status,
    next_attempt_at: at,
    created_at: at,
  });

  it('creates the tables, starts the fan-out at the end of the change feed, and rolls back', async () => {
    await raw()
      .insertInto('server_changes')
      .values([5, 6, 7].map((id) => ({ server_id: id, action: 'create', at, actor: 'test', changes: '{}' })))
      .execute();
    const up = await (await createMigrator(db)).migrateTo(THIS);
    expect(up.error).toBeUndefined();

    expect(await columnsOf(db, 'webhooks')).toStrictEqual([
      'id',
      'url',
      'events',
      'filter',
      'description',
      'active',
      'secret',
      'previous_secret',
      'previous_secret_expires_at',
      'disabled_reason',
      'consecutive_failures',
      'after_seq',
      'created_at',
      'updated_at',
      'created_by',
      'updated_by',
    ]);
    expect(await columnsOf(db, 'webhook_attempts')).toContain('signature_timestamp');
    expect(await indexesOf(db, 'webhook_deliveries')).toStrictEqual([
      'webhook_deliveries_created_at_idx',
      'webhook_deliveries_status_next_attempt_at_idx',
      'webhook_deliveries_webhook_id_id_idx',
      'webhook_deliveries_webhook_id_status_id_idx',
    ]);
    expect(await indexesOf(db, 'webhook_attempts')).toStrictEqual(['webhook_attempts_delivery_id_id_idx']);
    const state = await db.selectFrom('webhook_state').selectAll().execute();
    expect(state).toMatchObject([{ id: 1, last_seq: 3 }]);
    // The state is one row.
    await expect(
      raw().insertInto('webhook_state').values({ id: 2, last_seq: 0, updated_at: at }).execute(),
    ).rejects.toThrow();

    const down = await (await createMigrator(db)).migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    for (const table of TABLES) {
      expect(await columnsOf(db, table), table).toStrictEqual([]);
    }
  });

  it('keeps the rows to their rules: defaults, checks, unique message ids, deliveries only of a subscription', async () => {
    await (await createMigrator(db)).migrateTo(THIS);
    await raw()
      .insertInto('webhooks')
      .values([webhook('https://a.example/'), webhook('https://b.example/')])
      .execute();
    const row = await db.selectFrom('webhooks').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      filter: '',
      description: null,
      active: 1,
      previous_secret: null,
      disabled_reason: null,
      consecutive_failures: 0,
    });
    await expect(
      raw()
        .insertInto('webhooks')
        .values({ ...webhook('https://c.example/'), active: 2 })
        .execute(),
    ).rejects.toThrow();

    await raw().insertInto('webhook_deliveries').values(delivery(1, 'msg_1_1')).execute();
    for (const [bad, what] of [
      [delivery(2, 'msg_1_1'), 'a message id twice'],
      [delivery(9, 'msg_1_9'), 'a subscription that does not exist'],
      [delivery(1, 'msg_2_1', 'sent'), 'a status not among pending, succeeded and failed'],
      [{ ...delivery(1, 'msg_3_1'), event_type: 'server.renamed' }, 'an event type not among those delivered'],
    ] as const) {
      await expect(raw().insertInto('webhook_deliveries').values(bad).execute(), what).rejects.toThrow();
    }
    expect(
      await db.selectFrom('webhook_deliveries').select(['attempts', 'lease_owner', 'completed_at']).execute(),
    ).toStrictEqual([{ attempts: 0, lease_owner: null, completed_at: null }]);
    await raw()
      .insertInto('webhook_attempts')
      .values({ delivery_id: 1, started_at: at, duration_ms: 5, signature_timestamp: 1 })
      .execute();
    await expect(
      raw()
        .insertInto('webhook_attempts')
        .values({ delivery_id: 7, started_at: at, duration_ms: 5, signature_timestamp: 1 })
        .execute(),
    ).rejects.toThrow();

    // A subscription's deliveries and their attempts go with it.
    await db.deleteFrom('webhooks').where('id', '=', 1).execute();
    expect(await db.selectFrom('webhook_deliveries').selectAll().execute()).toStrictEqual([]);
    expect(await db.selectFrom('webhook_attempts').selectAll().execute()).toStrictEqual([]);
  });

  it("reads a subscription's log by its indexes, newest first, whole or by status", async () => {
    await (await createMigrator(db)).migrateTo(THIS);
    const plan = async (query: ReturnType<typeof deliveriesPageQuery>): Promise<string> => {
      const compiled = query.compile();
      if (isSqlite(db)) {
        const explained = await db.executeQuery<{ detail: string }>({
          ...compiled,
          sql: `explain query plan ${compiled.sql}`,
        });
        return explained.rows.map((row) => row.detail).join('\n');
      }
      // PostgreSQL would read the tiny table whole; it is told not to, to show which index fits.
      return db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        const explained = await trx.executeQuery<{ 'QUERY PLAN': string }>({
          ...compiled,
          sql: `explain ${compiled.sql}`,
        });
        return explained.rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    };
    const whole = await plan(deliveriesPageQuery(db, 1, { status: undefined, beforeId: 50, limit: 21 }));
    expect(whole).toContain('webhook_deliveries_webhook_id_id_idx');
    const failed = await plan(deliveriesPageQuery(db, 1, { status: 'failed', beforeId: undefined, limit: 21 }));
    expect(failed).toContain('webhook_deliveries_webhook_id_status_id_idx');
    // No sort of its own: the index gives the order.
    expect(`${whole}\n${failed}`).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
