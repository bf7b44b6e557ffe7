import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';

/** A database migrated by the migrator the app runs: a throwaway in-memory one unless told otherwise. */
export async function migratedDatabase(
  config: DatabaseConfig = { dialect: 'sqlite', filename: ':memory:' },
): Promise<Kysely<Database>> {
  const db = createDatabase(config);
  await migrateToLatest(db);
  return db;
}
