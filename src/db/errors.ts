/**
 * Which unique column a failed write collided with, or null if the error is not a unique violation.
 * SQLite says `UNIQUE constraint failed: servers.hostname`; PostgreSQL gives SQLSTATE 23505 and the
 * index name (`servers_hostname_key`).
 */
export function uniqueViolationColumn(error: unknown): string | null {
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
/** SQLSTATEs of a server that is going away, starting up or full (class 08 is checked apart). */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** statement_timeout (query_canceled) and lock_timeout (lock_not_available). */
const TIMEOUT_STATES = new Set(['57014', '55P03']);

/**
 * Whether a failed query says the database is out of reach or too slow rather than that the request
 * is wrong: a restart, a network cut, a full connection pool, a statement or lock timeout, SQLite's
 * busy timeout. Such requests may succeed if retried, so they answer 503, not 500.
 */
export function databaseFailure(error: unknown): 'unavailable' | 'timeout' | null {
  if (typeof error !== 'object' || error === null) {
    return null;
  }
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) {
      return 'unavailable';
    }
    if (TIMEOUT_STATES.has(code) || code === 'SQLITE_BUSY') {
      return 'timeout';
    }
  }
  // pg's own errors carry no code: a connection that died mid-query, or no connection within
  // connectionTimeoutMillis (the pool is exhausted or the server does not accept).
  if (typeof message === 'string') {
    if (message.startsWith('Connection terminated')) {
      return 'unavailable';
    }
    if (/^timeout exceeded when trying to connect$/.test(message)) {
      return 'timeout';
    }
  }
  return null;
}
