import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { SQLite } from './sqlite-driver.js';
import type { Database } from './types.js';

/** How long a writer waits for another connection's lock before SQLITE_BUSY, in milliseconds. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

function openSqlite(filename: string): BetterSqlite3.Database {
  if (filename !== ':memory:') {
    mkdirSync(dirname(filename), { recursive: true });
  }
  const sqlite = new SQLite(filename);
  // An inventory must not lose acknowledged writes: WAL with synchronous=FULL makes every
  // commit durable on power loss, not only on a process crash (NORMAL's trade-off).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  // SQLite's own lower() folds ASCII only; PostgreSQL's folds all of Unicode. The same answer on
  // both makes case-insensitive search (q=) behave alike: "ÉQUIPE" finds "équipe".
  sqlite.function('lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
  return sqlite;
}

/** Opens the configured database. The caller owns it and closes it with `db.destroy()`. */
export function createDatabase(config: DatabaseConfig): Kysely<Database> {
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: openSqlite(config.filename) }),
  });
}
