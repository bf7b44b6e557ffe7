import type { Kysely } from 'kysely';
import type { Database, IdempotencyKeyRow } from '../db/types.js';

/** Which key of which token. */
export interface KeyRef {
  token: string;
  key: string;
}

/** A new claim: the request `owner` holds the key from `created_at`, for a body of this fingerprint. */
export interface Claim extends KeyRef {
  fingerprint: string;
  owner: string;
  created_at: string;
}

/** The answer kept for a key. */
export interface StoredResponse {
  completed_at: string;
  response_status: number;
  response_headers: string;
  response_body: string;
}

export function findKey(db: Kysely<Database>, { token, key }: KeyRef): Promise<IdempotencyKeyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('token', '=', token)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function insertClaim(db: Kysely<Database>, claim: Claim): Promise<void> {
  await db.insertInto('idempotency_keys').values(claim).execute();
}

/** Puts a new claim in place of the row there (an expired one, or an abandoned claim). */
export async function replaceWithClaim(db: Kysely<Database>, claim: Claim): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({
      fingerprint: claim.fingerprint,
      owner: claim.owner,
      created_at: claim.created_at,
      completed_at: null,
      response_status: null,
      response_headers: null,
      response_body: null,
    })
    .where('token', '=', claim.token)
    .where('key', '=', claim.key)
    .execute();
}

/** Stores the answer if `owner` still holds the claim; whether it did. */
export async function completeClaim(
  db: Kysely<Database>,
  ref: KeyRef,
  owner: string,
  response: StoredResponse,
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set(response)
    .where('token', '=', ref.token)
    .where('key', '=', ref.key)
    .where('owner', '=', owner)
    .where('completed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Frees the key if `owner` still holds the claim (another request may have taken it over since). */
export async function releaseClaim(db: Kysely<Database>, ref: KeyRef, owner: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('token', '=', ref.token)
    .where('key', '=', ref.key)
    .where('owner', '=', owner)
    .where('completed_at', 'is', null)
    .execute();
}

/** The deletion of at most `limit` of the rows created at or before `before`, the oldest first (one statement). */
export function purgeExpiredQuery(db: Kysely<Database>, before: string, limit: number) {
  return db
    .deleteFrom('idempotency_keys')
    .where((eb) =>
      eb(
        eb.refTuple('token', 'key'),
        'in',
        eb
          .selectFrom('idempotency_keys')
          .select(['token', 'key'])
          .where('created_at', '<=', before)
          .orderBy('created_at')
          .limit(limit)
          .$asTuple('token', 'key'),
      ),
    );
}

/** Deletes at most `limit` of the rows created at or before `before`, the oldest first; how many. */
export async function purgeExpired(db: Kysely<Database>, before: string, limit: number): Promise<number> {
  const result = await purgeExpiredQuery(db, before, limit).executeTakeFirst();
  return Number(result.numDeletedRows);
}
