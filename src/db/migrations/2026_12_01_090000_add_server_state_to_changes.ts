import type { Kysely } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * The server's state in each change (`server`): its JSON as the API represents it after the change,
 * or before it for a delete. Nullable, and nothing is filled in: the changes written before this
 * migration, and those an earlier revision still writes during a rolling update, have none.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('server_changes').addColumn('server', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('server_changes').dropColumn('server').execute();
}
