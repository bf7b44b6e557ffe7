import { type Kysely, SqliteAdapter, sql } from 'kysely';
import type { Database } from './types.js';

/** Whether `db` is SQLite (PostgreSQL otherwise: the two databases the app runs on). */
export function isSqlite(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * The key of the PostgreSQL advisory lock every write transaction takes (an arbitrary constant,
 * "inv" in ASCII). Kysely's migrator uses its own key.
 */
export const WRITE_LOCK_KEY = 0x696e76;

/** What runs after each write transaction that commits, by the database it ran on. */
const committedListeners = new WeakMap<Kysely<Database>, Set<() => void>>();

/**
 * Calls `listener` after every write transaction run on `db` (this very instance, as handed to
 * writeTransaction) commits, at once: the change stream's poller reads what this process wrote
 * without waiting for its next round. Returns the function that stops it. A listener must not throw.
 */
export function onWriteCommitted(db: Kysely<Database>, listener: () => void): () => void {
  let listeners = committedListeners.get(db);
  if (listeners === undefined) {
    listeners = new Set();
    committedListeners.set(db, listeners);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function committed(db: Kysely<Database>): void {
  for (const listener of committedListeners.get(db) ?? []) {
    listener();
  }
}

/**
 * Runs `work` in a transaction meant to write; writers take turns, one at a time, as on SQLite:
 *
 * - SQLite: BEGIN IMMEDIATE takes the write lock up front. A deferred transaction that reads first
 *   and writes later fails with SQLITE_BUSY (without waiting) if another connection, such as the CLI,
 *   committed in between.
 * - PostgreSQL: a transaction-scoped advisory lock, held until commit, serialises the writes of every
 *   replica. Each then reads what the previous one committed (READ COMMITTED takes a new snapshot per
 *   statement), so the conflict checks and compare-and-swaps before a write are exact, and the change
 *   feed's sequence numbers become visible in the order they were taken: a poller that has seen seq
 *   N can never later find a smaller one appear (a plain sequence allows that when two transactions
 *   commit in the other order). Writes to an inventory are rare next to reads; reads never wait.
 */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (!isSqlite(db)) {
    const result = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_KEY)})`.execute(trx);
      return work(trx);
    });
    committed(db);
    return result;
  }
  const result = await db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const done = await work(connection);
      await sql`commit`.execute(connection);
      return done;
    } catch (error) {
      try {
        await sql`rollback`.execute(connection);
      } catch {
        // SQLite may have rolled back already (after SQLITE_FULL, for one); the first error is the one to report.
      }
      throw error;
    }
  });
  committed(db);
  return result;
}

/**
 * Runs reads that must describe one moment (a page and its count, the counts of a summary) in a
 * read-only transaction with one snapshot: REPEATABLE READ on PostgreSQL, whose default READ
 * COMMITTED takes a new snapshot per statement. A SQLite transaction reads one snapshot already.
 */
export function readTransaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (isSqlite(db)) {
    return db.transaction().execute(work);
  }
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work);
}

export interface RowsTransactionOptions {
  /**
   * Such transactions also take turns among themselves, on every replica: a transaction-scoped advisory
   * lock of this key on PostgreSQL (never WRITE_LOCK_KEY).
   */
  turnKey?: number;
  /**
   * false: the commit does not wait for the disk. For bookkeeping that is redone when it is lost, such as
   * a webhook delivery's lease and the record of its attempt (a lost record means the delivery is sent
   * again, which at-least-once delivery allows). A crash of the machine (not of the process) may lose
   * such a transaction whole, never a part of it, and it is durable as soon as any later commit is: each
   * database writes its log in order and a durable commit flushes it up to itself. SQLite: the commit
   * runs with PRAGMA synchronous=NORMAL (WAL appended, not synced); PostgreSQL: SET LOCAL
   * synchronous_commit = off.
   */
  durable?: boolean;
}

/**
 * Runs `work` in a transaction that writes rows other writers do not touch at the same time, or lock
 * first (SELECT ... FOR UPDATE): on PostgreSQL a plain transaction, without the write lock, so that it
 * neither waits for the API's writes nor holds them up; on SQLite BEGIN IMMEDIATE, as writeTransaction
 * (SQLite has one writer anyway, and a read before a write must not fail with SQLITE_BUSY).
 */
export function rowsTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database>) => Promise<T>,
  { turnKey, durable = true }: RowsTransactionOptions = {},
): Promise<T> {
  if (isSqlite(db)) {
    if (durable) {
      return writeTransaction(db, work);
    }
    // The setting is the connection's: set for this transaction and put back before another query
    // gets the connection (the app's queries take turns on it).
    return db.connection().execute(async (connection) => {
      const [setting] = (await sql<{ synchronous: unknown }>`pragma synchronous`.execute(connection)).rows;
      // A level (0 to 3), as SQLite reports it; FULL if it were anything else.
      const level = Number.isInteger(setting?.synchronous) ? Number(setting?.synchronous) : 2;
      await sql`pragma synchronous = normal`.execute(connection);
      try {
        return await writeTransaction(connection, work);
      } finally {
        await sql.raw(`pragma synchronous = ${level}`).execute(connection);
      }
    });
  }
  return db.transaction().execute(async (trx) => {
    if (!durable) {
      await sql`set local synchronous_commit = off`.execute(trx);
    }
    if (turnKey !== undefined) {
      await sql`select pg_advisory_xact_lock(${sql.lit(turnKey)})`.execute(trx);
    }
    return work(trx);
  });
}
