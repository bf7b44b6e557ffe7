import type { Insertable, Kysely, Updateable } from 'kysely';
import type { ApiTokenRow, ApiTokensTable, Database, TokenEventRow, TokenEventsTable } from '../db/types.js';

export async function insertToken(db: Kysely<Database>, row: Insertable<ApiTokensTable>): Promise<ApiTokenRow> {
  return db.insertInto('api_tokens').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findTokenByName(db: Kysely<Database>, name: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('name', '=', name).executeTakeFirst();
}

export function findTokenByHash(db: Kysely<Database>, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The token whose secret before its last rotation has this hash (the caller checks the grace period). */
export function findTokenByPreviousHash(db: Kysely<Database>, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('previous_token_hash', '=', tokenHash).executeTakeFirst();
}

export function listTokens(db: Kysely<Database>): Promise<ApiTokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().orderBy('name').execute();
}

/** Updates the token with this id, if it still has the given current hash; the updated row, or undefined. */
export function updateToken(
  db: Kysely<Database>,
  id: number,
  currentHash: string,
  changes: Updateable<ApiTokensTable>,
): Promise<ApiTokenRow | undefined> {
  return db
    .updateTable('api_tokens')
    .set(changes)
    .where('id', '=', id)
    .where('token_hash', '=', currentHash)
    .returningAll()
    .executeTakeFirst();
}

export async function touchToken(db: Kysely<Database>, id: number, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function insertTokenEvent(db: Kysely<Database>, row: Insertable<TokenEventsTable>): Promise<void> {
  await db.insertInto('token_events').values(row).execute();
}

/** The token history after `after`, in seq order. */
export function listTokenEvents(db: Kysely<Database>, after: number, limit: number): Promise<TokenEventRow[]> {
  return db.selectFrom('token_events').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
}
