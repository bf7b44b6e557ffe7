import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * Two partial indexes for the delivery worker's claim, which runs after every attempt: a subscription's
 * pending deliveries in the order they are sent (a ping, without seq, first; then by seq), and the
 * deliveries under a lease (whether one of a subscription's is in flight). Without them each claim read
 * every pending delivery of every subscription, a cost that grew with the backlog. Each holds only the
 * rows it is about, so both stay small however long the log is kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // NULLS FIRST is SQLite's order of an ascending column, and SQLite's CREATE INDEX does not take it.
    await sql`create index webhook_deliveries_pending_webhook_id_seq_idx
      on webhook_deliveries (webhook_id, seq nulls first, id) where status = 'pending'`.execute(db);
  } else {
    await db.schema
      .createIndex('webhook_deliveries_pending_webhook_id_seq_idx')
      .on('webhook_deliveries')
      .columns(['webhook_id', 'seq', 'id'])
      .where(sql.ref('status'), '=', 'pending')
      .execute();
  }
  await db.schema
    .createIndex('webhook_deliveries_leased_webhook_id_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'lease_expires_at'])
    .where(sql.ref('lease_expires_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_leased_webhook_id_idx').execute();
  await db.schema.dropIndex('webhook_deliveries_pending_webhook_id_seq_idx').execute();
}
