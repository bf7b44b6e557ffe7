import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: no imports from the application.

/**
 * Which source owns a server (`managed_by`, a name or null) and when an apply last saw it
 * (`last_seen_at`, RFC 3339 UTC of fixed width, or null). Both are compared as text: on PostgreSQL
 * in binary order ("C"), as every other text column that is matched or compared by range.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const collate = postgres ? sql` collate "C"` : sql``;
  await sql`alter table servers add column managed_by varchar(64)${collate}`.execute(db);
  await sql`alter table servers add column last_seen_at varchar(32)${collate}`.execute(db);
  // "What did this source stop seeing": managed_by=X&last_seen_before=T reads one range of it.
  await db.schema
    .createIndex('servers_managed_by_last_seen_at_idx')
    .on('servers')
    .columns(['managed_by', 'last_seen_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('servers_managed_by_last_seen_at_idx').execute();
  await db.schema.alterTable('servers').dropColumn('last_seen_at').execute();
  await db.schema.alterTable('servers').dropColumn('managed_by').execute();
}
