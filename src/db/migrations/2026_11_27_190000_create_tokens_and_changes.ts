import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

const TRACKED_FIELDS = ['hostname', 'ip', 'status', 'environment', 'role', 'location', 'os', 'tags', 'notes'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  // A version per server: the ETag, and the compare-and-swap of conditional writes.
  await db.schema
    .alterTable('servers')
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('name', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('scope', 'varchar(8)', (col) => col.notNull().check(sql`scope in ('read', 'write')`))
    .addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('revoked_at', 'varchar(32)')
    .execute();

  // The change feed. Not a foreign key: history outlives the server it describes.
  await db.schema
    .createTable('server_changes')
    .addColumn('seq', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('server_id', 'integer', (col) => col.notNull())
    .addColumn('action', 'varchar(8)', (col) => col.notNull().check(sql`action in ('create', 'update', 'delete')`))
    .addColumn('at', 'varchar(32)', (col) => col.notNull())
    .addColumn('actor', 'varchar(64)', (col) => col.notNull())
    .addColumn('changes', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('server_changes_server_id_seq_idx')
    .on('server_changes')
    .columns(['server_id', 'seq'])
    .execute();

  // Servers that exist already get their creation in the feed, so that a client syncing from
  // seq 0 sees the whole inventory.
  const servers = await db.selectFrom('servers').selectAll().orderBy('id').execute();
  for (const server of servers as (Record<string, unknown> & { id: number; created_at: string })[]) {
    const changes: Record<string, { from: null; to: unknown }> = {};
    for (const field of TRACKED_FIELDS) {
      const value: unknown = field === 'tags' ? JSON.parse(String(server[field])) : server[field];
      if (value !== null) {
        changes[field] = { from: null, to: value };
      }
    }
    await db
      .insertInto('server_changes')
      .values({
        server_id: server.id,
        action: 'create',
        at: server.created_at,
        actor: 'system',
        changes: JSON.stringify(changes),
      })
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_changes').execute();
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.alterTable('servers').dropColumn('version').execute();
}
