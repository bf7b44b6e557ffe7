import { type Kysely, SqliteAdapter, sql } from 'kysely';
import type { Database } from './types.js';

/**
 * Runs `work` in a transaction meant to write. On SQLite it starts with BEGIN IMMEDIATE, taking the
 * write lock up front: a deferred transaction that reads first and writes later fails with
 * SQLITE_BUSY (without waiting) if another connection, such as the CLI, committed in between.
 */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    return db.transaction().execute(work);
  }
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      try {
        await sql`rollback`.execute(connection);
      } catch {
        // SQLite may have rolled back already (after SQLITE_FULL, for one); the first error is the one to report.
      }
      throw error;
    }
  });
}
