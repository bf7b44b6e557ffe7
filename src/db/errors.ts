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
