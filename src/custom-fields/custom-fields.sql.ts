import { type Expression, type Kysely, sql } from 'kysely';
import { isSqlite } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import type { CustomFieldType } from './custom-fields.schemas.js';
import type { Definition } from './custom-fields.values.js';

// A custom field's values in SQL. Each definition has an index of its own on two expressions of the
// servers' JSON column: whether the server has no value (1) or has one (0), then the value (with a
// stand-in where there is none), and the id. Filters and sorts use the very same expressions, so that
// both databases read them from that index: an exact value or a range is one range of it, "not set"
// another, and a sort walks it in order (servers without a value last, whichever the direction).
// The expressions are written out as SQL text, not bound, as an index must name them literally; a
// field's name is `^[a-z][a-z0-9_]{0,62}$`, checked before it gets here. The column is JSON text on
// SQLite and `jsonb` on PostgreSQL (parsed once when written, not for every row a filter reads).

/** How a type's values compare in SQL: as text, as numbers, or as 1 and 0. */
export type SqlKind = 'text' | 'numeric' | 'boolean';

export function sqlKind(type: CustomFieldType): SqlKind {
  switch (type) {
    case 'integer':
    case 'number':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'string':
    case 'url':
    case 'enum':
    case 'date':
    case 'datetime':
      // Dates (YYYY-MM-DD) and date-times (stored in UTC, fixed width) compare as text in time order.
      return 'text';
  }
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

type Field = Pick<Definition, 'name' | 'type'>;

/** The field's JSON value in a row as SQL text: null where the server has none. */
function extracted(sqlite: boolean, { name }: Field): string {
  if (!NAME.test(name)) {
    throw new Error(`not a custom field's name: ${JSON.stringify(name)}`);
  }
  return sqlite ? `json_extract(custom_fields, '$.${name}')` : `(custom_fields ->> '${name}')`;
}

/** 1 where the server has no value, 0 where it has one. */
function missingSql(sqlite: boolean, field: Field): string {
  return `(case when ${extracted(sqlite, field)} is null then 1 else 0 end)`;
}

/**
 * The value, or a stand-in where there is none ('' or 0: the missing flag tells them apart). Text in
 * binary order on both databases; booleans as 1 and 0 on both.
 */
function valueSql(sqlite: boolean, field: Field): string {
  const value = extracted(sqlite, field);
  switch (sqlKind(field.type)) {
    case 'text':
      return sqlite ? `coalesce(${value}, '')` : `(coalesce(${value}, '') collate "C")`;
    case 'numeric':
      return sqlite ? `coalesce(${value}, 0)` : `coalesce((${value})::numeric, 0)`;
    case 'boolean':
      // SQLite's json_extract gives a JSON true as 1 already.
      return sqlite ? `coalesce(${value}, 0)` : `(case ${value} when 'true' then 1 else 0 end)`;
  }
}

/** 1 where a server has no value for the field, 0 where it has one. */
export function missingExpression(db: Kysely<Database>, field: Field): Expression<number> {
  return sql<number>`${sql.raw(missingSql(isSqlite(db), field))}`;
}

/** The field's value as SQL compares it (see valueSql); meaningful where missingExpression is 0. */
export function valueExpression(db: Kysely<Database>, field: Field): Expression<string | number> {
  return sql<string | number>`${sql.raw(valueSql(isSqlite(db), field))}`;
}

/** A value as SQL compares it with valueExpression: booleans as 1 and 0. */
export function sqlValue(value: string | number | boolean): string | number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

export function indexName(definition: Pick<Definition, 'id'>): string {
  return `servers_cf_${String(definition.id)}_idx`;
}

/** Creates the definition's index (see above), in the caller's transaction. */
export async function createValueIndex(db: Kysely<Database>, definition: Definition): Promise<void> {
  const sqlite = isSqlite(db);
  // SQLite keeps the rowid (the id) in every index entry; PostgreSQL is told to.
  const columns = `${missingSql(sqlite, definition)}, ${valueSql(sqlite, definition)}${sqlite ? '' : ', id'}`;
  await sql`create index ${sql.id(indexName(definition))} on servers (${sql.raw(columns)})`.execute(db);
}

/**
 * Drops the definition's index if there is one. `concurrently` (PostgreSQL, outside any transaction)
 * waits for the transactions reading servers instead of locking them out until the drop commits.
 */
export async function dropValueIndex(
  db: Kysely<Database>,
  definition: Pick<Definition, 'id'>,
  { concurrently = false } = {},
): Promise<void> {
  const drop = concurrently ? sql`drop index concurrently` : sql`drop index`;
  // On PostgreSQL in the current schema by name: an unqualified name would be looked up along the
  // search path, and ids repeat from one inventory's schema to the next.
  const name = isSqlite(db)
    ? sql.id(indexName(definition))
    : sql.id(
        (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? 'public',
        indexName(definition),
      );
  await sql`${drop} if exists ${name}`.execute(db);
}

const INDEX_NAME = /^servers_cf_([1-9][0-9]*)_idx$/;

/**
 * The ids of the definitions whose index (indexName) is on the servers table, whether the definition
 * is still there or not; on PostgreSQL, in the connection's current schema only.
 */
export async function valueIndexIds(db: Kysely<Database>): Promise<number[]> {
  const query = isSqlite(db)
    ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'servers'`
    : sql<{ name: string }>`select indexname as name from pg_indexes
        where schemaname = current_schema() and tablename = 'servers'`;
  return (await query.execute(db)).rows.flatMap(({ name }) => {
    const id = INDEX_NAME.exec(name)?.[1];
    return id === undefined ? [] : [Number(id)];
  });
}
