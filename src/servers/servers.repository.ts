import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { missingExpression, valueExpression } from '../custom-fields/custom-fields.sql.js';
import type { Definition } from '../custom-fields/custom-fields.values.js';
import type { Database, ServerRow } from '../db/types.js';
import { inChunks } from '../db/chunks.js';
import { compiledQuery } from '../db/compiled.js';
import { ipKey } from './ip-key.js';
import { FEED_FIELDS, FIELD_NAMES, type WritableValues } from './server-fields.js';
import { type FeedRow, toColumns } from './servers.mapper.js';
import type { Filters, Listing, SortKey } from './query/params.js';
import { type PageQuery, type ServersQuery, applyFilters, countMatching, pageQuery } from './query/sql.js';

// Repositories take `db` first and never open a transaction: a `Transaction<Database>` fits
// wherever `db` does, so the service decides what runs atomically.

/**
 * The columns a server is read from: one per declared field (server-fields.ts) and the version (the
 * ETag). Not the address key, which a cursor derives from the address when it needs it.
 */
export const SERVER_COLUMNS: readonly (keyof ServerRow)[] = [...FIELD_NAMES, 'version'];

const serverById = compiledQuery<[id: number], ServerRow>(1, (db, id) =>
  db
    .selectFrom('servers')
    .select(SERVER_COLUMNS)
    .where('id', '=', id as unknown as number),
);

/** GET /servers/{id}'s query, compiled once (src/db/compiled.ts). */
export async function findServerById(db: Kysely<Database>, id: number): Promise<ServerRow | undefined> {
  return (await serverById(db, id)).rows[0];
}

/** The query of one page of a listing (see listServers). */
export function listServersQuery(
  db: Kysely<Database>,
  listing: Pick<Listing, 'filters' | 'sort' | 'after' | 'offset'>,
  limit: number,
): PageQuery<ServerRow> {
  return pageQuery(
    db,
    (from) => applyFilters(from, from.selectFrom('servers').select(SERVER_COLUMNS), listing.filters),
    listing,
    limit,
  );
}

/** The stored count of every server beside each row of an unfiltered page (see listUnfilteredPage). */
type CountedRow = ServerRow & { listing_total: number | string | null };

/** The stored count as a column: one statement then reads the page and the count at the same moment. */
function withStoredCount(query: ServersQuery<ServerRow>): ServersQuery<CountedRow> {
  // The scope as a literal: the page's own parameters are the only ones (a compiled query's are fixed).
  return query.select((eb) =>
    eb.selectFrom('server_counts').select('total').where('scope', '=', sql.lit(ALL)).as('listing_total'),
  );
}

/** The page of a listing without filters, with the stored count of all servers on each row. */
export function unfilteredPageQuery(
  db: Kysely<Database>,
  listing: Pick<Listing, 'sort' | 'after' | 'offset'>,
  limit: number,
): PageQuery<CountedRow> {
  return pageQuery<CountedRow>(
    db,
    (from) => withStoredCount(from.selectFrom('servers').select(SERVER_COLUMNS)),
    listing,
    limit,
  );
}

/** GET /servers with its defaults: the first page in id order, compiled once. */
const DEFAULT_ORDER: SortKey[] = [{ field: 'id', descending: false }];
const firstPageById = compiledQuery<[limit: number], CountedRow>(1, (db, limit) =>
  unfilteredPageQuery(db, { sort: DEFAULT_ORDER, after: undefined, offset: 0 }, limit as unknown as number),
);

/**
 * A page of a listing without filters, and the stored count of all servers, read by one statement (a
 * consistent snapshot on both databases, with no transaction around it). Undefined when the listing
 * has filters, when the page is empty (no row carries the count), or without a stored count: the
 * caller counts on its own.
 */
export async function listUnfilteredPage(
  db: Kysely<Database>,
  listing: Pick<Listing, 'filters' | 'sort' | 'after' | 'offset'>,
  limit: number,
): Promise<{ rows: ServerRow[]; count: number } | undefined> {
  if (!isUnfiltered(listing.filters)) {
    return undefined;
  }
  const [first, ...rest] = listing.sort;
  const byId = first !== undefined && 'field' in first && first.field === 'id' && !first.descending;
  const rows =
    byId && rest.length === 0 && listing.after === undefined && listing.offset === 0
      ? (await firstPageById(db, limit)).rows
      : await unfilteredPageQuery(db, listing, limit).execute();
  const total = rows[0]?.listing_total;
  // null: no stored count.
  return total === undefined || total === null ? undefined : { rows, count: Number(total) };
}

/** One page of a listing: up to `limit` rows after the cursor (or the offset), in the listing's order. */
export function listServers(
  db: Kysely<Database>,
  listing: Pick<Listing, 'filters' | 'sort' | 'after' | 'offset'>,
  limit: number,
): Promise<ServerRow[]> {
  return listServersQuery(db, listing, limit).execute();
}

/** The scope of the stored count of every server (see the server_counts table). */
const ALL = 'all';

export function isUnfiltered(filters: Filters): boolean {
  return Object.values<unknown>(filters).every((value) => value === undefined);
}

/**
 * Adds `delta` to the stored number of servers. Called by the writes that insert or delete servers,
 * inside their transaction, so that the count commits or rolls back with them.
 */
async function adjustServerCount(db: Kysely<Database>, delta: number): Promise<void> {
  await db
    .updateTable('server_counts')
    .set((eb) => ({ total: eb('total', '+', delta) }))
    .where('scope', '=', ALL)
    .execute();
}

/** The query of the stored number of servers. */
export function storedCountQuery(db: Kysely<Database>) {
  return db.selectFrom('server_counts').select('total').where('scope', '=', ALL);
}

/**
 * How many servers match. Without a filter it reads the stored count, which stays constant-time as
 * the inventory grows where `count(*)` walks the whole table.
 */
export async function countServers(db: Kysely<Database>, filters: Filters = {}): Promise<number> {
  if (isUnfiltered(filters)) {
    const stored = await storedCountQuery(db).executeTakeFirst();
    if (stored !== undefined) {
      return stored.total;
    }
  }
  const { count } = await countMatching(db, filters).executeTakeFirstOrThrow();
  // SQLite answers a number, PostgreSQL a bigint as a string.
  return Number(count);
}

/**
 * What a write stores, in the form it is stored in (the ip canonical: see canonicalIp); the
 * repository derives the rest: the address key and the tag rows.
 */
export type ServerFields = WritableValues;

/** The columns of a write: the fields' and, after the given timestamps, the address key. */
function columns<T extends object>(fields: ServerFields, timestamps: T) {
  return { ...toColumns(fields), ...timestamps, ip_key: ipKey(fields.ip) };
}

async function insertTags(db: Kysely<Database>, rows: { id: number; tags: string[] }[]): Promise<void> {
  const tagRows = rows.flatMap(({ id, tags }) => tags.map((tag) => ({ server_id: id, tag })));
  await inChunks(tagRows, 1000, async (chunk) => {
    await db.insertInto('server_tags').values(chunk).execute();
    return undefined;
  });
}

/**
 * Inserts the servers with their tags and adds them to the stored count: run it in a transaction
 * (the service's, the seed's) so that the rows and the count commit together.
 */
export async function insertServers(
  db: Kysely<Database>,
  rows: (ServerFields & { created_at: string; updated_at: string; last_seen_at?: string | null })[],
): Promise<ServerRow[]> {
  if (rows.length === 0) {
    return [];
  }
  const inserted = await inChunks(rows, 100, (chunk) =>
    db
      .insertInto('servers')
      .values(
        chunk.map((row) =>
          columns(row, {
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_seen_at: row.last_seen_at ?? null,
          }),
        ),
      )
      .returning(SERVER_COLUMNS)
      .execute(),
  );
  await adjustServerCount(db, inserted.length);
  await insertTags(
    db,
    inserted.map((row, i) => ({ id: row.id, tags: rows[i]?.tags ?? [] })),
  );
  return inserted;
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

/** How many values one `in (...)` list of the lookups below binds: under every database's limit. */
const LOOKUP_CHUNK = 500;

/** The servers of these host names (stored ones: lowercase), whole. */
export function findServersByHostnames(db: Kysely<Database>, hostnames: readonly string[]): Promise<ServerRow[]> {
  return inChunks(hostnames, LOOKUP_CHUNK, (chunk) =>
    db.selectFrom('servers').select(SERVER_COLUMNS).where('hostname', 'in', chunk).execute(),
  );
}

/** The servers of these ids, whole. */
export function findServersByIds(db: Kysely<Database>, ids: readonly number[]): Promise<ServerRow[]> {
  return inChunks(ids, LOOKUP_CHUNK, (chunk) =>
    db.selectFrom('servers').select(SERVER_COLUMNS).where('id', 'in', chunk).execute(),
  );
}

/** The servers that hold any of these (canonical) addresses. */
export function findServersByIps(
  db: Kysely<Database>,
  ips: readonly string[],
): Promise<Pick<ServerRow, 'id' | 'hostname' | 'ip'>[]> {
  return inChunks(ips, LOOKUP_CHUNK, (chunk) =>
    db.selectFrom('servers').select(['id', 'hostname', 'ip']).where('ip', 'in', chunk).execute(),
  );
}

/** The id and host name of every server a source owns, by the (managed_by, last_seen_at) index. */
export function findOwnedServers(db: Kysely<Database>, source: string): Promise<Pick<ServerRow, 'id' | 'hostname'>[]> {
  return db.selectFrom('servers').select(['id', 'hostname']).where('managed_by', '=', source).orderBy('id').execute();
}

/**
 * Records that an apply saw these servers at `at`: an observation, so no version bump and no change
 * of updated_at.
 */
export async function markSeen(db: Kysely<Database>, ids: readonly number[], at: string): Promise<void> {
  await inChunks(ids, LOOKUP_CHUNK, async (chunk) => {
    await db.updateTable('servers').set({ last_seen_at: at }).where('id', 'in', chunk).execute();
    return undefined;
  });
}

/**
 * Takes a server's address away for the time of a transaction, so that another server of the same
 * write can take it (two servers that swap addresses): the unique indexes are checked row by row, on
 * both databases. It holds a value no write can store instead (`parked:<id>`, and an address key of
 * family 0, which ip-key.ts never makes), so that parking can clash with nothing; the write gives it
 * its new address before the transaction ends.
 */
export async function parkAddress(db: Kysely<Database>, id: number): Promise<void> {
  const key = Buffer.alloc(5);
  key.writeUInt32BE(id, 1);
  await db
    .updateTable('servers')
    .set({ ip: `parked:${id}`, ip_key: key })
    .where('id', '=', id)
    .execute();
}

/** Deletes these servers (the caller holds the write lock and has read them) and counts them out. */
export async function deleteServers(db: Kysely<Database>, ids: readonly number[]): Promise<number> {
  const deleted = await inChunks(ids, LOOKUP_CHUNK, async (chunk) => {
    const result = await db.deleteFrom('servers').where('id', 'in', chunk).executeTakeFirst();
    return [Number(result.numDeletedRows)];
  });
  const total = deleted.reduce((sum, n) => sum + n, 0);
  if (total > 0) {
    await adjustServerCount(db, -total);
  }
  return total;
}

/**
 * Updates the server if it is still at `version` (a compare-and-swap) and moves it to the next
 * version; undefined if it is gone or has changed.
 */
export async function updateServer(
  db: Kysely<Database>,
  id: number,
  version: number,
  values: ServerFields & { updated_at: string; last_seen_at?: string },
): Promise<ServerRow | undefined> {
  const { updated_at, last_seen_at } = values;
  const timestamps = last_seen_at === undefined ? { updated_at } : { updated_at, last_seen_at };
  const updated = await db
    .updateTable('servers')
    .set((eb) => ({ ...columns(values, timestamps), version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', version)
    .returning(SERVER_COLUMNS)
    .executeTakeFirst();
  if (updated !== undefined) {
    await db.deleteFrom('server_tags').where('server_id', '=', id).execute();
    await insertTags(db, [{ id, tags: values.tags }]);
  }
  return updated;
}

/** Deletes the server if it is still at `version`; false if it is gone or has changed. */
export async function deleteServer(db: Kysely<Database>, id: number, version: number): Promise<boolean> {
  const result = await db.deleteFrom('servers').where('id', '=', id).where('version', '=', version).executeTakeFirst();
  const deleted = Number(result.numDeletedRows);
  if (deleted > 0) {
    await adjustServerCount(db, -deleted);
  }
  return deleted > 0;
}

/**
 * The query of one chunk of a feed: up to `limit` servers matching the filters after id `after` (from
 * the first without it), in id order, with the feeds' columns only (FEED_FIELDS): reading the others
 * took a third of the time of a feed.
 */
export function feedServersQuery(
  db: Kysely<Database>,
  filters: Filters,
  after: number | undefined,
  limit: number,
): SelectQueryBuilder<Database, 'servers', FeedRow> {
  const query = applyFilters(db, db.selectFrom('servers').select(FEED_FIELDS), filters);
  return (after === undefined ? query : query.where('id', '>', after)).orderBy('id').limit(limit);
}

/** How many matching servers have each value of a column (null for none). */
export async function countServersBy(
  db: Kysely<Database>,
  filters: Filters,
  column: 'status' | 'environment' | 'role' | 'location',
): Promise<{ value: string | null; count: number }[]> {
  const rows = await applyFilters(db, db.selectFrom('servers'), filters)
    .select((eb) => [eb.ref(column).as('value'), eb.fn.countAll<number | string>().as('count')])
    .groupBy(column)
    .execute();
  return rows.map((row) => ({ value: row.value, count: Number(row.count) }));
}

/**
 * How many matching servers have each value of a custom field (null for none), grouped by the
 * expressions of the field's index. Booleans' values come as "true" and "false".
 */
export async function countServersByCustom(
  db: Kysely<Database>,
  filters: Filters,
  definition: Pick<Definition, 'name' | 'type'>,
): Promise<{ value: string | null; count: number }[]> {
  const missing = missingExpression(db, definition);
  const value = valueExpression(db, definition);
  const rows = await applyFilters(db, db.selectFrom('servers'), filters)
    .select((eb) => [
      sql<number>`${missing}`.as('missing'),
      sql<string | number>`${value}`.as('value'),
      eb.fn.countAll<number | string>().as('count'),
    ])
    .groupBy([missing, value])
    .execute();
  return rows.map((row) => ({
    value:
      row.missing === 1 ? null : definition.type === 'boolean' ? String(Number(row.value) === 1) : String(row.value),
    count: Number(row.count),
  }));
}
