import type { Kysely } from 'kysely';
import type { Database, NewServerChangeRow, ServerChangeRow } from '../db/types.js';
import { inChunks } from '../db/chunks.js';

/** Records changes, each with its server's state (required: see ServerChangesTable.server). */
export async function insertChanges(db: Kysely<Database>, rows: readonly NewServerChangeRow[]): Promise<void> {
  await inChunks(rows, 200, async (chunk) => {
    await db.insertInto('server_changes').values(chunk).execute();
    return undefined;
  });
}

/** The whole inventory's changes after `after`, in seq order. */
export function listChanges(db: Kysely<Database>, after: number, limit: number): Promise<ServerChangeRow[]> {
  return listChangesPage(db, { after, order: 'asc', limit });
}

/** Which changes of the feed a page holds: seqs between `after` and `before` (both excluded), from one end. */
export interface ChangesPage {
  after: number;
  before?: number | undefined;
  order: 'asc' | 'desc';
  limit: number;
}

/**
 * The query of a page of the whole inventory's changes in a seq range, oldest or newest first (a range
 * of the primary key either way); its SQL is kept in tests/changes/__snapshots__/sql.
 */
export function listChangesPageQuery(db: Kysely<Database>, { after, before, order, limit }: ChangesPage) {
  let query = db.selectFrom('server_changes').selectAll().where('seq', '>', after);
  if (before !== undefined) {
    query = query.where('seq', '<', before);
  }
  return query.orderBy('seq', order).limit(limit);
}

/** The whole inventory's changes in a seq range, oldest or newest first. */
export function listChangesPage(db: Kysely<Database>, page: ChangesPage): Promise<ServerChangeRow[]> {
  return listChangesPageQuery(db, page).execute();
}

/** One server's changes, oldest first. */
export function listServerChanges(db: Kysely<Database>, serverId: number): Promise<ServerChangeRow[]> {
  return db.selectFrom('server_changes').selectAll().where('server_id', '=', serverId).orderBy('seq').execute();
}

/** The last seq of the change feed (0 before any change). */
export async function lastChangeSeq(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('server_changes')
    .select((eb) => eb.fn.max<number | string | null>('seq').as('seq'))
    .executeTakeFirst();
  // A number on both databases; a driver that gave it as text would be read alike.
  return Number(row?.seq ?? 0);
}
