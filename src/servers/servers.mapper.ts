import type { ServerRow } from '../db/types.js';
import type { Server, ServerStatus } from './servers.schemas.js';

/** The one place a table row becomes an API object. */
export function toServer(row: ServerRow): Server {
  return {
    id: row.id,
    hostname: row.hostname,
    ip: row.ip,
    // The column's CHECK constraint admits only the four statuses.
    status: row.status as ServerStatus,
    environment: row.environment,
    role: row.role,
    location: row.location,
    os: row.os,
    tags: JSON.parse(row.tags) as string[],
    notes: row.notes,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The strong ETag of a server: it changes with every change of the server. */
export function etagOf(row: Pick<ServerRow, 'id' | 'version'>): string {
  return `"${row.id}-${row.version}"`;
}
