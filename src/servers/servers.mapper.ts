import { parseValues } from '../custom-fields/custom-fields.values.js';
import type { ServerRow } from '../db/types.js';
import { DECLARED, type FeedField, WRITABLE_FIELDS, type WritableValues } from './server-fields.js';
import type { ServerStatus } from './server-fields.schemas.js';
import type { ListedServer, Server } from './servers.schemas.js';

/**
 * The one place a table row becomes an API object: each field of the declaration (server-fields.ts)
 * from its column. Written out rather than looped over the declaration: every read runs it, for every
 * row, and a loop with computed keys took 4 to 5 times as long (about 3 µs a row more, +40% of the CPU
 * of a CSV export). The compiler holds it to the declaration: `Server` is derived from it, so a field
 * left out here, or one not declared, does not compile; servers.fields.test.ts checks the JSON columns.
 */
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
    managed_by: row.managed_by,
    custom_fields: parseValues(row.custom_fields),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A server's columns as the feeds read them (FEED_FIELDS). */
export type FeedRow = Pick<ServerRow, FeedField>;
/** A server as the feeds see it: the fields they give (FEED_FIELDS). */
export type FeedServer = Pick<Server, FeedField>;

/**
 * A feed's row as a server, written out as toServer is, for the same reason. The custom values keep
 * the column's order (parseValues' sort is left out): the feeds look each value up by name.
 */
export function toFeedServer(row: FeedRow): FeedServer {
  return {
    id: row.id,
    hostname: row.hostname,
    ip: row.ip,
    status: row.status as ServerStatus,
    environment: row.environment,
    role: row.role,
    location: row.location,
    os: row.os,
    tags: JSON.parse(row.tags) as string[],
    notes: row.notes,
    managed_by: row.managed_by,
    custom_fields: JSON.parse(row.custom_fields) as Server['custom_fields'],
  };
}

/**
 * A server's state as a change records it (server_changes.server): the JSON of the API object, what
 * GET /api/v1/servers/{id} answers.
 */
export function serverState(server: Server): string {
  return JSON.stringify(server);
}

/** A row as a list or an export gives it: the server and its observations. */
export function toListedServer(row: ServerRow): ListedServer {
  const server = toServer(row) as ListedServer;
  server.last_seen_at = row.last_seen_at;
  return server;
}

/** The columns of a server's written values (what the repository derives besides, it adds itself). */
export function toColumns(values: WritableValues): Pick<ServerRow, keyof WritableValues> {
  const columns: Record<string, unknown> = {};
  for (const name of WRITABLE_FIELDS) {
    columns[name] = DECLARED[name].column.json === true ? JSON.stringify(values[name]) : values[name];
  }
  return columns as Pick<ServerRow, keyof WritableValues>;
}

/** The strong ETag of a server: it changes with every change of the server. */
export function etagOf(row: Pick<ServerRow, 'id' | 'version'>): string {
  return `"${row.id}-${row.version}"`;
}
