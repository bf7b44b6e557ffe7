import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // A deleted server's id is never handed out again (history refers to it): SQLite needs
  // AUTOINCREMENT for that, PostgreSQL's identity columns never reuse values anyway.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('servers')
    .addColumn('id', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('hostname', 'varchar(253)', (col) => col.notNull())
    .addColumn('ip', 'varchar(45)', (col) => col.notNull())
    .addColumn('status', 'varchar(16)', (col) =>
      col.notNull().check(sql`status in ('up', 'down', 'maintenance', 'decommissioned')`),
    )
    .addColumn('environment', 'varchar(64)')
    .addColumn('role', 'varchar(64)')
    .addColumn('location', 'varchar(64)')
    .addColumn('os', 'varchar(64)')
    .addColumn('tags', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('notes', 'text')
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
    .execute();

  await db.schema.createIndex('servers_hostname_key').unique().on('servers').column('hostname').execute();
  await db.schema.createIndex('servers_ip_key').unique().on('servers').column('ip').execute();

  await db.schema
    .createTable('inventory_meta')
    .addColumn('key', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inventory_meta').execute();
  await db.schema.dropTable('servers').execute();
}
