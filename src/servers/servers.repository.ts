import type { Kysely } from 'kysely';
import type { Database, NewServerRow, ServerRow, ServerRowUpdate } from '../db/types.js';

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

/** Servers that hold any of these host names or addresses. */
export function findServersByHostnameOrIp(
  db: Kysely<Database>,
  hostnames: string[],
  ips: string[],
): Promise<Pick<ServerRow, 'id' | 'hostname' | 'ip'>[]> {
  return db
    .selectFrom('servers')
    .select(['id', 'hostname', 'ip'])
    .where((eb) => eb.or([eb('hostname', 'in', hostnames), eb('ip', 'in', ips)]))
    .execute();
}

/**
 * Updates the server if it is still at `version` (a compare-and-swap) and moves it to the next
 * version; undefined if it is gone or has changed.
 */
export function updateServer(
  db: Kysely<Database>,
  id: number,
  version: number,
  values: ServerRowUpdate,
): Promise<ServerRow | undefined> {
  return db
    .updateTable('servers')
    .set((eb) => ({ ...values, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}

/** Deletes the server if it is still at `version`; false if it is gone or has changed. */
export async function deleteServer(db: Kysely<Database>, id: number, version: number): Promise<boolean> {
  const result = await db.deleteFrom('servers').where('id', '=', id).where('version', '=', version).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
