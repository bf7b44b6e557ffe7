import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * Custom fields: the definitions a team makes (`custom_fields`, one row each, in the order they were
 * made), their history (`custom_field_changes`, a feed of its own), and the values of each server
 * (`servers.custom_fields`, a JSON object of the fields it has a value for; `{}` for none). Each
 * definition gets an index of its own on the servers' values when it is made (not here).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const collate = postgres ? sql` collate "C"` : sql``;
  await db.schema
    .createTable('custom_fields')
    .addColumn('id', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('name', sql`varchar(63)${collate}`, (col) => col.notNull().unique())
    .addColumn('type', 'varchar(16)', (col) => col.notNull())
    // JSON: the rest of the definition (description, required, default, choices, pattern, limits).
    .addColumn('spec', 'text', (col) => col.notNull())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('custom_field_changes')
    .addColumn('seq', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('name', 'varchar(63)', (col) => col.notNull())
    .addColumn('action', 'varchar(8)', (col) => col.notNull().check(sql`action in ('create', 'update', 'delete')`))
    .addColumn('at', 'varchar(32)', (col) => col.notNull())
    .addColumn('actor', 'varchar(64)', (col) => col.notNull())
    // JSON: `{ property: { from, to } }` of the definition, and `values_removed` for a forced delete.
    .addColumn('changes', 'text', (col) => col.notNull())
    .execute();
  await sql`alter table servers add column custom_fields text not null default '{}'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const definitions = await db.selectFrom('custom_fields').select('id').execute();
  for (const { id } of definitions) {
    await sql`drop index if exists ${sql.id(`servers_cf_${String(id)}_idx`)}`.execute(db);
  }
  await db.schema.alterTable('servers').dropColumn('custom_fields').execute();
  await db.schema.dropTable('custom_field_changes').execute();
  await db.schema.dropTable('custom_fields').execute();
}
