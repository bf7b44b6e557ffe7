import type { Insertable, Kysely } from 'kysely';
import type { Database, ServerChangeRow, ServerChangesTable } from '../db/types.js';
import { inChunks } from '../db/chunks.js';

export async function insertChanges(db: Kysely<Database>, rows: Insertable<ServerChangesTable>[]): Promise<void> {
  await inChunks(rows, 200, async (chunk) => {
    await db.insertInto('server_changes').values(chunk).execute();
    return undefined;
  });
}

/** The whole inventory's changes after `after`, in seq order. */
export function listChanges(db: Kysely<Database>, after: number, limit: number): Promise<ServerChangeRow[]> {
  return db.selectFrom('server_changes').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
}

/** One server's changes, oldest first. */
export function listServerChanges(db: Kysely<Database>, serverId: number): Promise<ServerChangeRow[]> {
  return db.selectFrom('server_changes').selectAll().where('server_id', '=', serverId).orderBy('seq').execute();
}
