import { type Kysely, sql } from 'kysely';

// Frozen in time: no imports from the application.

/**
 * The number of servers, kept by the writes that add or remove one (in their own transaction), so
 * that an unfiltered listing answers its exact `count` without walking the table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_counts')
    .addColumn('scope', 'varchar(32)', (col) => col.primaryKey())
    .addColumn('total', 'integer', (col) => col.notNull().check(sql`total >= 0`))
    .execute();
  // Backfill from the servers that exist now; this runs inside the migration's transaction.
  await db
    .insertInto('server_counts')
    .columns(['scope', 'total'])
    .expression((eb) =>
      eb.selectFrom('servers').select((s) => [sql.lit('all').as('scope'), s.fn.countAll().as('total')]),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_counts').execute();
}
