import type { ServerChangeRow } from '../db/types.js';
import type { Server } from '../servers/servers.schemas.js';
import type { Change } from './changes.schemas.js';

export function toChange(row: ServerChangeRow): Change {
  return {
    seq: row.seq,
    server_id: row.server_id,
    action: row.action,
    at: row.at,
    actor: row.actor,
    changes: JSON.parse(row.changes) as Change['changes'],
    // Stored as the API represents the server (servers.mapper.ts, serverState).
    server: row.server === null ? null : (JSON.parse(row.server) as Server),
  };
}
