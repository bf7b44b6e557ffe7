import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * Tokens gain a third scope, `admin`, a previous secret that keeps working for a grace period after a
 * rotation, and a history of what happened to them (create, rotate, revoke: never a secret). Existing
 * tokens keep their scope.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await setScopes(db, ['read', 'write', 'admin']);

  await db.schema.alterTable('api_tokens').addColumn('previous_token_hash', 'varchar(64)').execute();
  await db.schema.alterTable('api_tokens').addColumn('previous_expires_at', 'varchar(32)').execute();
  // Authentication looks a secret up here when it is not a current one.
  await db.schema
    .createIndex('api_tokens_previous_token_hash_idx')
    .on('api_tokens')
    .column('previous_token_hash')
    .unique()
    .execute();

  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('token_events')
    .addColumn('seq', 'integer', (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'varchar(32)', (col) => col.notNull())
    .addColumn('token', 'varchar(64)', (col) => col.notNull())
    .addColumn('action', 'varchar(8)', (col) => col.notNull().check(sql`action in ('create', 'rotate', 'revoke')`))
    .addColumn('actor', 'varchar(64)', (col) => col.notNull())
    .addColumn('details', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('token_events').execute();
  await db.schema.dropIndex('api_tokens_previous_token_hash_idx').execute();
  await db.schema.alterTable('api_tokens').dropColumn('previous_expires_at').execute();
  await db.schema.alterTable('api_tokens').dropColumn('previous_token_hash').execute();
  // The narrowest scope that keeps an admin token working for what it could do before.
  await db.updateTable('api_tokens').set({ scope: 'write' }).where('scope', '=', 'admin').execute();
  await setScopes(db, ['read', 'write']);
}

/**
 * Replaces the check on api_tokens.scope. PostgreSQL alters the constraint in place; SQLite cannot
 * alter a check, so the table is rebuilt with the same columns and rows (its two unique constraints
 * come with it). Only the original columns exist at either call.
 */
async function setScopes(db: Kysely<any>, scopes: string[]): Promise<void> {
  const allowed = sql.join(scopes.map((scope) => sql.lit(scope)));
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table api_tokens drop constraint api_tokens_scope_check`.execute(db);
    await sql`alter table api_tokens add constraint api_tokens_scope_check check (scope in (${allowed}))`.execute(db);
    return;
  }
  await db.schema
    .createTable('api_tokens_rebuilt')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('scope', 'varchar(8)', (col) => col.notNull().check(sql`scope in (${allowed})`))
    .addColumn('token_hash', 'varchar(64)', (col) => col.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('revoked_at', 'varchar(32)')
    .execute();
  const columns = ['id', 'name', 'scope', 'token_hash', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'];
  await db
    .insertInto('api_tokens_rebuilt')
    .columns(columns)
    .expression(db.selectFrom('api_tokens').select(columns))
    .execute();
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.alterTable('api_tokens_rebuilt').renameTo('api_tokens').execute();
}
