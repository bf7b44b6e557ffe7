import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, SqliteDialect } from 'kysely';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { DatabaseConfig, PostgresConfig } from '../config.js';
import { databaseFailure, stalePreparedStatement } from './errors.js';
import { preparedStatementName } from './prepared.js';
import { SQLite } from './sqlite-driver.js';
import type { Database } from './types.js';

/** How long a writer waits for another connection's lock before SQLITE_BUSY, in milliseconds. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** How often a connection refreshes the query planner's statistics (PRAGMA optimize). */
const SQLITE_OPTIMIZE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * The lower() the app gives SQLite: JavaScript's, which folds all of Unicode (src/servers/query/
 * lower-case.ts reproduces it, and PostgreSQL's, in memory).
 */
export function sqliteLower(value: string): string {
  return value.toLowerCase();
}

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
    typeof value === 'string' ? sqliteLower(value) : value,
  );
  // Gives the query planner statistics (sqlite_stat1) where they are missing or stale, with a
  // bounded analysis (SQLite's advice for every new connection). Without them it prefers any
  // equality index to a range: `status=up&cidr=10.1.2.0/24` walked every 'up' row instead of the /24.
  sqlite.pragma('optimize = 0x10002');
  // A long-lived connection re-checks them now and then: SQLite re-analyses only tables that grew
  // or shrank a lot since, so this costs next to nothing otherwise.
  const optimize = setInterval(() => {
    try {
      sqlite.pragma('optimize');
    } catch {
      // Closed, or busy: the next round retries; the statistics are only a hint to the planner.
    }
    if (!sqlite.open) {
      clearInterval(optimize);
    }
  }, SQLITE_OPTIMIZE_INTERVAL_MS).unref();
  return sqlite;
}

/** How many prepared statements a connection keeps for reuse (distinct SQL texts, least recently used out). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Makes `prepare` reuse the statement already prepared for the same SQL text. Kysely's SQLite
 * driver prepares every query anew, which was a tenth of the CPU of GET /servers/{id} in a profile
 * (bench/profile-top.ts); a statement is reusable as soon as a call returns, and the app runs one
 * query at a time per connection and never leaves an iterator open across queries.
 */
function cacheStatements(sqlite: BetterSqlite3.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const statements = new LRUCache<string, BetterSqlite3.Statement>({ max: STATEMENT_CACHE_SIZE });
  sqlite.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (statement === undefined) {
      statement = prepare(source);
      statements.set(source, statement);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/** How long a request waits for a PostgreSQL connection (a new one, or a free one of the pool). */
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;
/** How much longer than the statement timeout the client waits for an answer before giving up itself. */
const CLIENT_TIMEOUT_MARGIN_MS = 5000;
/** Idle connections beyond need are closed after this long. */
const POSTGRES_IDLE_TIMEOUT_MS = 30_000;

export interface DatabaseEvents {
  /**
   * A pooled connection failed (the server restarted, the network dropped), idle or in use: the pool
   * drops it, and a query running on it fails on its own.
   */
  onConnectionError?: (error: Error & { code?: string }) => void;
}

/**
 * The driver's value parsers, but for jsonb (servers' custom values), which is read as its text: a
 * JSON column is text on both databases, parsed by the code that reads it (the driver would parse it
 * into an object).
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: (id, format): unknown =>
    id === pg.types.builtins.JSONB ? (value: string) => value : (pg.types.getTypeParser(id, format) as unknown),
};

function openPostgres(config: PostgresConfig, events: DatabaseEvents): pg.Pool {
  const pool = new pg.Pool({
    types: TYPES,
    // The driver reads host, port, user, password, database and TLS (sslmode, sslrootcert ...) from it.
    connectionString: config.url,
    max: config.poolMax,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: POSTGRES_IDLE_TIMEOUT_MS,
    // Set per connection by the server: a runaway query is cancelled, and its request fails, instead
    // of holding a connection forever. lock_timeout bounds waits for a row lock the same way.
    statement_timeout: config.statementTimeoutMs,
    lock_timeout: config.statementTimeoutMs,
    // A connection that vanished without a reset (a failover, a cut network) is noticed by TCP
    // keepalives, and a query on it gives up on the client side shortly after the server would have.
    keepAlive: true,
    ...(config.statementTimeoutMs > 0 ? { query_timeout: config.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS } : {}),
    application_name: 'inventory-api',
  });
  // A connection's error event without a listener would crash the process: the pool listens while a
  // connection is idle, each connection itself while a request uses it.
  const report = (error: Error) => events.onConnectionError?.(error);
  pool.on('error', report);
  pool.on('connect', (client) => {
    client.on('error', report);
  });
  return pool;
}

/**
 * The pool as Kysely sees it, with two changes:
 *
 * - A connection on which a query failed because the connection or the server went away (a restart's
 *   57P01, a reset) is closed when it is released instead of going back to the pool, where the next
 *   request would get it before its socket's close event has been seen, and fail too.
 * - A registered SQL text (src/db/prepared.ts: compiledQuery's) runs as a named prepared statement,
 *   parsed once per connection; any other text runs unnamed, parsed and planned each time. After a
 *   migration changed the shape of a table such a statement reads, PostgreSQL refuses it (0A000): the
 *   query runs again unnamed if no transaction is open (an open one is aborted: the error stands, and
 *   the API answers 503), and the connection, which keeps the stale statement, is closed on release.
 *   Whether a transaction is open is the server's own account, from its last ReadyForQuery.
 */
function discardingBrokenConnections(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken = false;
      const failed = (error: unknown): never => {
        broken ||= databaseFailure(error) === 'unavailable';
        throw error;
      };
      const unnamed = (text: string, parameters: unknown[]) => client.query(text, parameters).catch(failed);
      const query = (text: string, parameters: unknown[]) => {
        const name = broken ? undefined : preparedStatementName(text);
        if (name === undefined) {
          return unnamed(text, parameters);
        }
        return client.query({ name, text, values: parameters }).catch((error: unknown) => {
          if (!stalePreparedStatement(error)) {
            return failed(error);
          }
          broken = true;
          // 'I': idle, no transaction open (before this query or after it, whichever the driver has read).
          if (client.getTransactionStatus() !== 'I') {
            throw error;
          }
          return unnamed(text, parameters);
        });
      };
      return {
        // The (sql, parameters) form only: Kysely passes a cursor only for streams, given a `cursor` class.
        query: query as unknown as PostgresPoolClient['query'],
        release(destroy?: boolean) {
          client.release(destroy === true || broken);
        },
      };
    },
    end: () => pool.end(),
  };
}

/** Opens the configured database. The caller owns it and closes it with `db.destroy()`. */
export function createDatabase(config: DatabaseConfig, events: DatabaseEvents = {}): Kysely<Database> {
  if (config.dialect === 'postgres') {
    return new Kysely<Database>({
      dialect: new PostgresDialect({ pool: discardingBrokenConnections(openPostgres(config, events)) }),
    });
  }
  const sqlite = openSqlite(config.filename);
  cacheStatements(sqlite);
  return new Kysely<Database>({
    dialect: new SqliteDialect({ database: sqlite }),
  });
}
