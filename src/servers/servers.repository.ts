import type { Kysely } from 'kysely';
import type { Database, NewServerRow, ServerRow } from '../db/types.js';

// Repositories take `db` first and never open a transaction: a `Transaction<Database>` fits
// wherever `db` does, so the service decides what runs atomically.

export function findServerById(db: Kysely<Database>, id: number): Promise<ServerRow | undefined> {
  return db.selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listServers(db: Kysely<Database>): Promise<ServerRow[]> {
  return db.selectFrom('servers').selectAll().orderBy('id').execute();
}

export async function countServers(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('servers')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
    .executeTakeFirstOrThrow();
  // SQLite answers a number, PostgreSQL a bigint as a string.
  return Number(count);
}

export async function insertServers(db: Kysely<Database>, rows: NewServerRow[]): Promise<ServerRow[]> {
  if (rows.length === 0) {
    return [];
  }
  return db.insertInto('servers').values(rows).returningAll().execute();
}
