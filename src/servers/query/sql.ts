import { type Compilable, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { missingExpression, sqlValue, valueExpression } from '../../custom-fields/custom-fields.sql.js';
import type { Database } from '../../db/types.js';
import { NO_SOURCE } from '../server-fields.schemas.js';
import {
  type CustomFilter,
  FIELD_FILTERS,
  type Filters,
  type Listing,
  SORT_KINDS,
  type SortField,
  type SortKey,
} from './params.js';

// A parsed listing as SQL: its filters, its order, and the rows after a cursor. A custom field's
// filters and sort use the expressions of its index (custom-fields.sql.ts), and nothing else, so that
// both databases read them from that index. ./match.ts matches the same filters in memory, to the
// same answers (tests/servers/query/match.test.ts compares the two): change them together.

export type ServersQuery<O> = SelectQueryBuilder<Database, 'servers', O>;

/**
 * The column or expression a field's sort key orders by. Null labels sort as '', before every value.
 * Unqualified, so that it names the same column of a subquery's rows (see customFirstPage).
 */
function sortExpression(field: SortField): Expression<unknown> {
  switch (SORT_KINDS[field]) {
    case 'address':
      return sql.ref('ip_key');
    case 'label':
      return sql`coalesce(${sql.ref(field)}, ${sql.lit('')})`;
    case 'id':
    case 'text':
      return sql.ref(field);
  }
}

/** One term of an order: an expression and its direction. */
interface Term {
  expression: Expression<unknown>;
  descending: boolean;
}

/**
 * The terms a sort key orders by, and its cursor value's for each: a custom field's two, whether the
 * server has no value (ascending whatever the direction: those without one come last) and the value.
 */
function termsOf(db: Kysely<Database>, key: SortKey, after?: unknown): { term: Term; value: unknown }[] {
  if ('custom' in key) {
    const [missing, value] = (after as [number, unknown] | undefined) ?? [];
    return [
      { term: { expression: missingExpression(db, key.custom), descending: false }, value: missing },
      { term: { expression: valueExpression(db, key.custom), descending: key.descending }, value },
    ];
  }
  return [{ term: { expression: sortExpression(key.field), descending: key.descending }, value: after }];
}

function customFilter<O>(db: Kysely<Database>, query: ServersQuery<O>, filter: CustomFilter): ServersQuery<O> {
  const missing = missingExpression(db, filter.field);
  const value = valueExpression(db, filter.field);
  const { values, gte, lte, empty } = filter;
  let q = query;
  if (empty !== undefined || values !== undefined || gte !== undefined || lte !== undefined) {
    // A value to compare needs a value: the stand-in of a server without one would match '' or 0.
    q = q.where(missing, '=', empty === true ? 1 : 0);
  }
  if (values !== undefined) {
    q = q.where(value, 'in', values.map(sqlValue));
  }
  if (gte !== undefined) {
    q = q.where(value, '>=', gte);
  }
  if (lte !== undefined) {
    q = q.where(value, '<=', lte);
  }
  return q;
}

/**
 * The LIKE pattern (with the escape character \) of a text that contains `text`, taken literally:
 * \ escapes %, _ and itself.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function applyFilters<O>(db: Kysely<Database>, query: ServersQuery<O>, filters: Filters): ServersQuery<O> {
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
    const pattern = containsPattern(filters.q);
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
  for (const filter of filters.custom ?? []) {
    q = customFilter(db, q, filter);
  }
  return q;
}

function orderBy<Q extends { orderBy(expression: Expression<unknown>, direction: 'asc' | 'desc'): Q }>(
  query: Q,
  terms: readonly Term[],
): Q {
  return terms.reduce((q, { expression, descending }) => q.orderBy(expression, descending ? 'desc' : 'asc'), query);
}

export function applySort<O>(db: Kysely<Database>, query: ServersQuery<O>, sort: SortKey[]): ServersQuery<O> {
  return orderBy(
    query,
    sort.flatMap((key) => termsOf(db, key).map(({ term }) => term)),
  );
}

/**
 * Rows strictly after `values` in the order of `terms`: (t1 > v1) or (t1 = v1 and t2 > v2) or ...
 * The redundant t1 >= v1 in front lets both databases read the first term's index as a range
 * instead of scanning it from the start on every page.
 */
function afterTerms<O>(query: ServersQuery<O>, terms: readonly Term[], values: readonly unknown[]): ServersQuery<O> {
  const [first] = terms;
  if (first === undefined) {
    return query;
  }
  return query.where((eb) =>
    eb.and([
      eb(first.expression, first.descending ? '<=' : '>=', values[0]),
      eb.or(
        terms.map((term, i) =>
          eb.and([
            ...terms.slice(0, i).map((prev, j) => eb(prev.expression, '=', values[j])),
            eb(term.expression, term.descending ? '<' : '>', values[i]),
          ]),
        ),
      ),
    ]),
  );
}

/** Rows strictly after `after` (the cursor's sort values) in the sort's order. */
export function applyAfter<O>(
  db: Kysely<Database>,
  query: ServersQuery<O>,
  sort: SortKey[],
  after: unknown[],
): ServersQuery<O> {
  const terms = sort.flatMap((key, i) => termsOf(db, key, after[i]));
  return afterTerms(
    query,
    terms.map(({ term }) => term),
    terms.map(({ value }) => value),
  );
}

/** A page's query: what the repository runs, and what tests compile and explain. */
export type PageQuery<O> = Compilable<O> & { execute(): Promise<O[]> };

/**
 * One page of a listing: `limit` rows after the cursor (or the offset) in the sort's order, from the
 * rows `select` reads from the `db` it is given (filtered).
 */
export function pageQuery<O>(
  db: Kysely<Database>,
  select: (db: Kysely<Database>) => ServersQuery<O>,
  listing: Pick<Listing, 'sort' | 'after' | 'offset'>,
  limit: number,
): PageQuery<O> {
  const { sort, after, offset } = listing;
  const [first, ...rest] = sort;
  if (first !== undefined && 'custom' in first) {
    return customFirstPage(db, select, { first, rest, after, offset }, limit);
  }
  let query = select(db);
  if (after !== undefined) {
    query = applyAfter(db, query, sort, after);
  }
  query = applySort(db, query, sort).limit(limit);
  return offset > 0 ? query.offset(offset) : query;
}

/**
 * A page sorted first by a custom field. Its order (servers with a value by the value, in either
 * direction, then those without) is two ranges of the field's index, not one walk of it in either
 * direction: one query orders the two parts at once only by sorting every row. So each part is read
 * on its own, the missing flag fixed (an equality: the index then gives the value's order, forwards or
 * backwards), up to the page's end, and the union of the two, at most twice the page, is ordered.
 * A cursor past the servers with a value reads only the others.
 */
function customFirstPage<O>(
  db: Kysely<Database>,
  selectRows: (db: Kysely<Database>) => ServersQuery<O>,
  page: {
    first: Extract<SortKey, { custom: unknown }>;
    rest: SortKey[];
    after: unknown[] | undefined;
    offset: number;
  },
  limit: number,
): PageQuery<O> {
  const { first, rest, after, offset } = page;
  // The union's order names its parts' columns: an ip key orders by the address key, which the
  // parts then select beside the rows' own columns.
  const byAddress = rest.some((key) => 'field' in key && SORT_KINDS[key.field] === 'address');
  const select = (from: Kysely<Database>) =>
    byAddress ? (selectRows(from).select('ip_key') as unknown as ServersQuery<O>) : selectRows(from);
  const missing = missingExpression(db, first.custom);
  const value = valueExpression(db, first.custom);
  const [missingAfter, valueAfter] = (after?.[0] as [number, unknown] | undefined) ?? [];
  const restTerms = rest.flatMap((key, i) => termsOf(db, key, after?.[i + 1]));
  const restAfter = (query: ServersQuery<O>) =>
    afterTerms(
      query,
      restTerms.map(({ term }) => term),
      restTerms.map(({ value: v }) => v),
    );

  // Without a value, every row has the same stand-in: ordered by it as the index is, then the other keys.
  const absent = (from: Kysely<Database>) => {
    let q = select(from).where(missing, '=', 1);
    if (missingAfter === 1) {
      q = restAfter(q);
    }
    return orderBy(q, [{ expression: value, descending: false }, ...restTerms.map(({ term }) => term)]);
  };
  if (missingAfter === 1) {
    // Past the servers with a value: the page is the other part's alone.
    const rows = absent(db).limit(limit);
    return offset > 0 ? rows.offset(offset) : rows;
  }
  // The parts are subqueries of one statement: the plugins (query metrics) see that statement only.
  const part = db.withoutPlugins();

  const valueTerm: Term = { expression: value, descending: first.descending };
  let present = select(part).where(missing, '=', 0);
  if (after !== undefined) {
    present = afterTerms(
      present,
      [valueTerm, ...restTerms.map(({ term }) => term)],
      [valueAfter, ...restTerms.map(({ value: v }) => v)],
    );
  }
  present = orderBy(present, [valueTerm, ...restTerms.map(({ term }) => term)]);

  const end = offset + limit;
  const both = part
    .selectFrom(present.limit(end).as('present'))
    .selectAll()
    .unionAll(part.selectFrom(absent(part).limit(end).as('absent')).selectAll());
  const rows = orderBy(db.selectFrom(both.as('page')).selectAll(), [
    { expression: missing, descending: false },
    valueTerm,
    ...restTerms.map(({ term }) => term),
  ]).limit(limit);
  return (offset > 0 ? rows.offset(offset) : rows) as unknown as PageQuery<O>;
}

export function countMatching(db: Kysely<Database>, filters: Filters) {
  return applyFilters(db, db.selectFrom('servers'), filters).select((eb) =>
    eb.fn.countAll<number | string | bigint>().as('count'),
  );
}
