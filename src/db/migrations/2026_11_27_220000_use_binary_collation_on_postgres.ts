import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: no imports from the application.

/** Text columns that are sorted, compared by range (cursors) or matched exactly, with their types. */
const COLUMNS: Record<string, Record<string, string>> = {
  servers: {
    hostname: 'varchar(253)',
    ip: 'varchar(45)',
    status: 'varchar(16)',
    environment: 'varchar(64)',
    role: 'varchar(64)',
    location: 'varchar(64)',
    os: 'varchar(64)',
    created_at: 'varchar(32)',
    updated_at: 'varchar(32)',
  },
  server_tags: { tag: 'varchar(63)' },
  api_tokens: { name: 'varchar(64)' },
};

/**
 * PostgreSQL compares text by the database's locale (en_US.UTF-8 sorts "web-2" and "web2" by letters
 * first, ignoring the hyphen); SQLite compares bytes. Binary order ("C") on these columns gives both
 * databases the same sort, the same cursor pages and indexes that serve both. SQLite needs nothing.
 * Notes keep the database's collation: they are never sorted, and lower() in a search folds all of
 * Unicode under a UTF-8 locale, where "C" folds ASCII only.
 */
/** Gives every column of COLUMNS the collation, one ALTER TABLE per table; PostgreSQL only. */
async function setCollation(db: Kysely<any>, collation: 'C' | 'default'): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    return;
  }
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const changes = Object.entries(columns).map(
      ([column, type]) => sql`alter column ${sql.ref(column)} type ${sql.raw(type)} collate ${sql.id(collation)}`,
    );
    // One statement per table: PostgreSQL rewrites the table's indexes once.
    await sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await setCollation(db, 'C');
}

export async function down(db: Kysely<any>): Promise<void> {
  await setCollation(db, 'default');
}
