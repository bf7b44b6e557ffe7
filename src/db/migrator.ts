import { type Kysely, type MigrationResultSet, Migrator, SqliteAdapter } from 'kysely';
import { migrations } from './migrations/index.js';
import { writeTransaction } from './transaction.js';
import type { Database } from './types.js';

/** The migrator the app, the CLI and the tests all use. */
export function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
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
  const result = await createMigrator(db).migrateToLatest();
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
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    return writeTransaction(db, migrate);
  }
  return migrate(db);
}
