import { type Kysely, type MigrationResultSet, Migrator, sql } from 'kysely';
import { migrations } from './migrations/index.js';
import { isSqlite, writeTransaction } from './transaction.js';
import type { Database } from './types.js';

/**
 * The migrator the app, the CLI and the tests all use. On PostgreSQL its bookkeeping tables go in the
 * connection's current schema, named explicitly: Kysely otherwise looks for them in every schema, and
 * takes another schema's (another app's, another tenant's) for its own.
 */
export async function createMigrator(db: Kysely<Database>): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (!isSqlite(db)) {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? undefined;
    if (migrationTableSchema === undefined) {
      throw new Error('PostgreSQL has no current schema: the search_path names no schema that exists');
    }
  }
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableSchema,
  });
}

class MigrationFailed extends Error {
  constructor(
    readonly migrationName: string,
    cause: unknown,
  ) {
    super(`Migration ${migrationName} failed`, { cause });
  }
}

async function migrate(db: Kysely<Database>): Promise<MigrationResultSet> {
  const result = await (await createMigrator(db)).migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationFailed(failed, result.error);
  }
  return result;
}

/**
 * Brings the schema to the latest version, all or nothing: on a failure nothing of the run stays.
 * Kysely runs each SQLite migration statement by statement (and takes no lock there), so on SQLite
 * the whole run happens inside one BEGIN IMMEDIATE transaction on one connection: atomic, and
 * serialised against a CLI or a second process migrating the same file. PostgreSQL gets Kysely's
 * own transaction and advisory lock.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  if (isSqlite(db)) {
    return writeTransaction(db, migrate);
  }
  // One connection, without the app's statement and lock timeouts: waiting for another replica's
  // migration, or rebuilding a large table's index, may take longer than any request should.
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    await sql`set lock_timeout = 0`.execute(connection);
    try {
      return await migrate(connection);
    } finally {
      // Back to the connection's own settings before the pool hands it to a request.
      await sql`reset statement_timeout`.execute(connection);
      await sql`reset lock_timeout`.execute(connection);
    }
  });
}

/**
 * The migrations this version knows that the database has not applied, in order. Migrations the
 * database has and this version does not know (a newer version migrated it; this one is an old replica
 * during a rollout or after a rollback) are no obstacle: migrations only add to the schema.
 */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const known = await (await createMigrator(db)).getMigrations();
  return known.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** The database lacks migrations this version needs, and this process may not apply them. */
export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError';
  constructor(readonly pending: string[]) {
    super(
      `The database schema is behind this version: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
        'Run the migrations first (node cli.mjs migrate, or npm run cli -- migrate), or set INVENTORY_MIGRATE=true.',
    );
  }
}

/**
 * Makes sure the schema has every migration this version needs before the database is used: applies
 * the pending ones if `migrate` is set (INVENTORY_MIGRATE), throws SchemaBehindError otherwise. Does
 * nothing when none is pending, also when the database has newer ones.
 */
export async function ensureSchema(db: Kysely<Database>, { migrate }: { migrate: boolean }): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) {
    return;
  }
  if (!migrate) {
    throw new SchemaBehindError(pending);
  }
  // Several replicas may start at once: the migrator's lock lets one apply, the others find nothing to do.
  await migrateToLatest(db);
}
