import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * Webhooks: the subscriptions (`webhooks`), one delivery per event and subscription
 * (`webhook_deliveries`, the body frozen when it is queued), each attempt to send one
 * (`webhook_attempts`), and the position of the fan-out in the change feed (`webhook_state`, one row).
 * Deliveries and attempts go with their subscription.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const id = (col: ColumnDefinitionBuilder) =>
    postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement();

  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'integer', id)
    .addColumn('url', 'varchar(2048)', (col) => col.notNull())
    // JSON: the event types delivered, such as ["server.created", "server.deleted"].
    .addColumn('events', 'text', (col) => col.notNull())
    // A query string in the servers list's filter syntax; '' for none.
    .addColumn('filter', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('description', 'text')
    // 0 or 1 on both databases: SQLite has no boolean type, and the driver binds no booleans.
    .addColumn('active', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(1)
        .check(sql`active in (0, 1)`),
    )
    // The signing secret as stored: `whsec_...`, or sealed with WEBHOOK_SECRET_KEY (`enc:v1:...`).
    .addColumn('secret', 'text', (col) => col.notNull())
    // The secret before the last rotation, which signs beside the current one until the time after it.
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', 'varchar(32)')
    // Why the subscription was disabled automatically (a 410, too many failures in a row); null otherwise.
    .addColumn('disabled_reason', 'text')
    // Deliveries that failed in a row, the last ones; a success sets it back to 0.
    .addColumn('consecutive_failures', 'integer', (col) => col.notNull().defaultTo(0))
    // The change feed's seq when the subscription was made: the events after it are delivered.
    .addColumn('after_seq', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('created_by', 'varchar(64)', (col) => col.notNull())
    .addColumn('updated_by', 'varchar(64)', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'integer', id)
    .addColumn('webhook_id', 'integer', (col) => col.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_type', 'varchar(32)', (col) =>
      col.notNull().check(sql`event_type in ('server.created', 'server.updated', 'server.deleted', 'ping')`),
    )
    // The Standard Webhooks `webhook-id`: one per event and subscription, the same on every attempt.
    .addColumn('message_id', 'varchar(64)', (col) => col.notNull().unique())
    // The change delivered; null for a ping.
    .addColumn('seq', 'integer')
    // The JSON body as it was when the delivery was queued: every attempt sends exactly this.
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) => col.notNull().check(sql`status in ('pending', 'succeeded', 'failed')`))
    // Attempts made in the current run of the retry schedule (a redelivery starts a new run).
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    // When a pending delivery is due; null once it is done.
    .addColumn('next_attempt_at', 'varchar(32)')
    // The process attempting it now, and when that claim lapses (another process may then take it).
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('completed_at', 'varchar(32)')
    .execute();
  // The deliveries due: pending ones by the time they are due.
  await db.schema
    .createIndex('webhook_deliveries_status_next_attempt_at_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  // A subscription's log, newest first, whole or by status; also the cascade of a subscription's delete.
  await db.schema
    .createIndex('webhook_deliveries_webhook_id_id_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_webhook_id_status_id_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'status', 'id'])
    .execute();
  // Retention: the deliveries older than WEBHOOK_LOG_RETENTION_DAYS.
  await db.schema
    .createIndex('webhook_deliveries_created_at_idx')
    .on('webhook_deliveries')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'integer', id)
    .addColumn('delivery_id', 'integer', (col) => col.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('started_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    // null when no response came: a network error or a timeout (then `error` says which).
    .addColumn('http_status', 'integer')
    .addColumn('error', 'text')
    // The first 1 KB of the response body, as text.
    .addColumn('response_excerpt', 'text')
    // The `webhook-timestamp` the attempt was signed with (Unix seconds).
    .addColumn('signature_timestamp', 'integer', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_attempts_delivery_id_id_idx')
    .on('webhook_attempts')
    .columns(['delivery_id', 'id'])
    .execute();

  // One row: the last seq of the change feed turned into deliveries. It starts at the feed's end, so
  // that the history before webhooks existed is never read for them.
  await db.schema
    .createTable('webhook_state')
    .addColumn('id', 'integer', (col) => col.primaryKey().check(sql`id = 1`))
    .addColumn('last_seq', 'integer', (col) => col.notNull())
    .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
    .execute();
  const last = await db
    .selectFrom('server_changes')
    .select((eb) => eb.fn.max<number | string | null>('seq').as('seq'))
    .executeTakeFirst();
  await db
    .insertInto('webhook_state')
    .values({ id: 1, last_seq: Number(last?.seq ?? 0), updated_at: new Date().toISOString() })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_state').execute();
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
}
