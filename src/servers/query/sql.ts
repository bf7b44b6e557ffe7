import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import type { Database } from '../../db/types.js';
import { NO_SOURCE } from '../server-fields.schemas.js';
import { FIELD_FILTERS, type Filters, SORT_KINDS, type SortField, type SortKey } from './params.js';

// A parsed listing as SQL: its filters, its order, and the rows after a cursor.

type ServersQuery<O> = SelectQueryBuilder<Database, 'servers', O>;

/** The column or expression a sort key orders by. Null labels sort as '', before every value. */
export function sortExpression(eb: ExpressionBuilder<Database, 'servers'>, field: SortField): Expression<unknown> {
  switch (SORT_KINDS[field]) {
    case 'address':
      return eb.ref('ip_key');
    case 'label':
      return eb.fn.coalesce(field, sql.lit(''));
    case 'id':
    case 'text':
      return eb.ref(field);
  }
}

export function applyFilters<O>(query: ServersQuery<O>, filters: Filters): ServersQuery<O> {
  let q = query;
  for (const { field, parameter, kind } of FIELD_FILTERS) {
    const values = filters[parameter];
    if (values === undefined) {
      continue;
    }
    switch (kind) {
      case 'status':
      case 'label':
      case 'hostname':
      case 'ip':
        q = q.where(field, 'in', values);
        break;
      case 'source': {
        const names = values.filter((value) => value !== NO_SOURCE);
        const none = names.length < values.length;
        q = q.where((eb) =>
          eb.or([...(names.length > 0 ? [eb(field, 'in', names)] : []), ...(none ? [eb(field, 'is', null)] : [])]),
        );
        break;
      }
      case 'tag':
        // Every tag given, from the tag rows (server_tags) that the repository keeps in step.
        if (values.length > 0) {
          q = q.where('servers.id', 'in', (eb) =>
            eb
              .selectFrom('server_tags')
              .select('server_id')
              .where('tag', 'in', values)
              .groupBy('server_id')
              .having((h) => h.fn.countAll(), '=', values.length),
          );
        }
        break;
    }
  }
  const cidr = filters.cidr;
  if (cidr !== undefined) {
    q = q.where((eb) => eb.or(cidr.map(({ from, to }) => eb.between('ip_key', from, to))));
  }
  if (filters.q !== undefined) {
    // LIKE with the user's text taken literally: \ escapes % and _.
    const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // lower() on both sides, in the database: Unicode-aware on PostgreSQL, and on SQLite too
    // (src/db/connect.ts replaces its ASCII-only lower()).
    q = q.where((eb) =>
      eb.or([
        sql<SqlBool>`lower(${eb.ref('hostname')}) like lower(${pattern}) escape '\\'`,
        sql<SqlBool>`lower(coalesce(${eb.ref('notes')}, '')) like lower(${pattern}) escape '\\'`,
      ]),
    );
  }
  if (filters.updatedSince !== undefined) {
    q = q.where('updated_at', '>=', filters.updatedSince);
  }
  const { lastSeenBefore, lastSeenAfter } = filters;
  if (lastSeenBefore !== undefined) {
    // Never seen counts as not seen since: every server is in exactly one of before and after.
    q = q.where((eb) => eb.or([eb('last_seen_at', '<', lastSeenBefore), eb('last_seen_at', 'is', null)]));
  }
  if (lastSeenAfter !== undefined) {
    q = q.where('last_seen_at', '>=', lastSeenAfter);
  }
  return q;
}

export function applySort<O>(query: ServersQuery<O>, sort: SortKey[]): ServersQuery<O> {
  let q = query;
  for (const { field, descending } of sort) {
    q = q.orderBy((eb) => sortExpression(eb, field), descending ? 'desc' : 'asc');
  }
  return q;
}

/**
 * Rows strictly after `after` in the sort's order: (k1 > v1) or (k1 = v1 and k2 > v2) or ...
 * The redundant k1 >= v1 in front lets both databases read the first key's index as a range
 * instead of scanning it from the start on every page.
 */
export function applyAfter<O>(query: ServersQuery<O>, sort: SortKey[], after: unknown[]): ServersQuery<O> {
  const [first] = sort;
  if (first === undefined) {
    return query;
  }
  return query.where((eb) =>
    eb.and([
      eb(sortExpression(eb, first.field), first.descending ? '<=' : '>=', after[0]),
      eb.or(
        sort.map((key, i) =>
          eb.and([
            ...sort.slice(0, i).map((prev, j) => eb(sortExpression(eb, prev.field), '=', after[j])),
            eb(sortExpression(eb, key.field), key.descending ? '<' : '>', after[i]),
          ]),
        ),
      ),
    ]),
  );
}

export function countMatching(db: Kysely<Database>, filters: Filters) {
  return applyFilters(db.selectFrom('servers'), filters).select((eb) =>
    eb.fn.countAll<number | string | bigint>().as('count'),
  );
}
