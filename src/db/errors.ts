/**
 * Which unique column a failed write collided with, or null if the error is not a unique violation.
 * SQLite says `UNIQUE constraint failed: servers.hostname`; PostgreSQL gives SQLSTATE 23505 and the
 * index name (`servers_hostname_key`).
 */
export function uniqueViolationColumn(error: unknown): string | null {
  const column = violatedColumn(error);
  // ip_key is the address in another form: a client knows the field as ip.
  return column === 'ip_key' ? 'ip' : column;
}

function violatedColumn(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) {
    return null;
  }
  const { code, message, constraint } = error as { code?: unknown; message?: unknown; constraint?: unknown };
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string') {
    return /UNIQUE constraint failed: \w+\.(\w+)/.exec(message)?.[1] ?? '';
  }
  if (code === '23505') {
    return typeof constraint === 'string' ? (/^\w+?_(\w+)_key$/.exec(constraint)?.[1] ?? '') : '';
  }
  return null;
}

/** Network failures on the way to the database (Node's system error codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/**
 * SQLSTATEs of a server that is going away, starting up, full, or read-only after a failover to a
 * standby; of a session it ended; and of a transaction it chose to abort (serialisation failure,
 * deadlock), which a retry may pass. Connection exceptions (class 08) are checked apart.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300', '25006', '40001', '40P01']);
/** statement_timeout (query_canceled) and lock_timeout (lock_not_available). */
const TIMEOUT_STATES = new Set(['57014', '55P03']);

/**
 * Whether PostgreSQL refused to run a prepared statement because a table it reads changed shape since
 * the connection prepared it (a migration changed a selected column's type, or gave a `*` another
 * column): SQLSTATE 0A000 from the plan cache's check, "cached plan must not change result type". The
 * same statement parsed anew runs. Other 0A000 errors (a feature PostgreSQL lacks) are the statement's
 * own; the routine tells them apart whatever the server's language, the message where it is not sent.
 * Also a named statement the server does not have (26000) or has already (42P05) when the driver thinks
 * otherwise: a pooler in front of PostgreSQL that does not keep each connection's prepared statements
 * (PgBouncer in transaction mode without `max_prepared_statements`). The app names no other statement,
 * and an unnamed one never raises these.
 */
export function stalePreparedStatement(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { code, routine, message } = error as { code?: unknown; routine?: unknown; message?: unknown };
  return (
    (code === '0A000' &&
      (routine === 'RevalidateCachedQuery' || message === 'cached plan must not change result type')) ||
    code === '26000' ||
    code === '42P05'
  );
}

/**
 * Whether a failed query says the database is out of reach or too slow rather than that the request
 * is wrong: a restart, a network cut, a full connection pool, a statement or lock timeout, SQLite's
 * busy timeout. Such requests may succeed if retried, so they answer 503, not 500. So does a prepared
 * statement gone stale under a schema change inside a transaction (outside one, the connection runs it
 * again unnamed: src/db/connect.ts): its connection is closed, and the request retried runs on another.
 */
export function databaseFailure(error: unknown): 'unavailable' | 'timeout' | null {
  if (typeof error !== 'object' || error === null) {
    return null;
  }
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (stalePreparedStatement(error)) {
    return 'unavailable';
  }
  if (typeof code === 'string') {
    // 08P01 is a protocol violation: a client bug, not an outage.
    const connectionException = /^08[0-9A-Z]{3}$/.test(code) && code !== '08P01';
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || connectionException) {
      return 'unavailable';
    }
    if (TIMEOUT_STATES.has(code) || code === 'SQLITE_BUSY') {
      return 'timeout';
    }
  }
  // pg's own errors carry no code: a connection that died mid-query (or whose rollback failed after
  // that, which replaces the first error), no connection within connectionTimeoutMillis (the pool is
  // exhausted or the server does not accept), no answer within query_timeout.
  if (typeof message === 'string') {
    if (
      message.startsWith('Connection terminated') ||
      message === 'Client has encountered a connection error and is not queryable' ||
      message === 'Client was closed and is not queryable'
    ) {
      return 'unavailable';
    }
    if (message === 'timeout exceeded when trying to connect' || message === 'Query read timeout') {
      return 'timeout';
    }
  }
  return null;
}
