import { createHash } from 'node:crypto';
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import Type from 'typebox';
import type { Database } from '../db/types.js';
import { type ErrorDetail, appError } from '../errors.js';
import { canonicalIp } from './ip-address.js';
import { cidrKeyRange } from './ip-key.js';
import { MAX_LABEL_LENGTH, codePointCount } from './labels.js';
import { HOSTNAME_PATTERN, LABEL_PATTERN, MAX_SERVER_ID, SERVER_STATUSES, TAG_PATTERN } from './servers.schemas.js';

// The list's query language: filters, sort and paging, parsed from the query string once,
// checked strictly (a typo is a 400, never the whole inventory), and turned into SQL.

const Values = (description: string, match = 'any of them') =>
  Type.Optional(
    Type.Array(Type.String({ maxLength: 1024 }), {
      maxItems: 100,
      description: `${description}. Repeat the parameter or separate values with commas to match ${match}.`,
    }),
  );

/** The filters every listing-like route accepts (list, exports, summary, feeds). */
export const filterParameters = {
  status: Values('Status: up, down, maintenance or decommissioned'),
  environment: Values('Environment, exactly'),
  role: Values('Role, exactly'),
  location: Values('Location, exactly'),
  os: Values('Operating system, exactly'),
  hostname: Values('Host name, exactly (case does not matter)'),
  ip: Values('IP address, exactly (in any notation of the same address)'),
  tag: Values('Tags the server must have', 'only servers that have all of them'),
  cidr: Values('An IPv4 or IPv6 prefix such as 10.0.0.0/8 or fd00::/8: servers whose address lies inside it'),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      pattern: '^[^\\p{C}]+$',
      description: 'A substring of the host name or the notes, any case',
      errorMessage: 'must be 1 to 256 printable characters',
    }),
  ),
  updated_since: Type.Optional(
    Type.String({ format: 'date-time', description: 'Only servers changed at or after this RFC 3339 time' }),
  ),
};

export const SORT_FIELDS = ['id', 'hostname', 'ip', 'status', 'environment', 'created_at', 'updated_at'] as const;
type SortField = (typeof SORT_FIELDS)[number];

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

export const pagingParameters = {
  sort: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        `Comma-separated keys among ${SORT_FIELDS.join(', ')}, each with an optional leading - for descending; ` +
        'ties are broken by id. ip sorts numerically, IPv4 before IPv6.',
      examples: ['-status,ip'],
    }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, ${DEFAULT_LIMIT} by default` }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Rows to skip' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 4096, description: 'The `next` of the previous page: walks any sort without gaps' }),
  ),
};

export interface Filters {
  status?: string[];
  environment?: string[];
  role?: string[];
  location?: string[];
  os?: string[];
  hostname?: string[];
  ip?: string[];
  tag?: string[];
  cidr?: { from: Buffer; to: Buffer }[];
  q?: string;
  updatedSince?: string;
}

export interface SortKey {
  field: SortField;
  descending: boolean;
}

export interface Listing {
  filters: Filters;
  sort: SortKey[];
  limit: number;
  offset: number;
  /** The sort values of the row after which the page starts. */
  after?: unknown[];
}

type RawQuery = Partial<Record<keyof typeof filterParameters, string | string[]>> & {
  sort?: string;
  limit?: number;
  offset?: number;
  cursor?: string;
};

const HOSTNAME = new RegExp(HOSTNAME_PATTERN, 'u');
const LABEL = new RegExp(LABEL_PATTERN, 'u');

/**
 * A label filter's value in NFC, as labels are stored, so that any form of the same text finds them.
 * Only the shape is checked, not the look-alike rules of writes (./labels.ts): a label stored before
 * those rules must stay findable, to be corrected.
 */
function labelFilter(value: string): string | null {
  const normal = value.normalize('NFC');
  return LABEL.test(normal) && codePointCount(normal) <= MAX_LABEL_LENGTH ? normal : null;
}
const TAG = new RegExp(TAG_PATTERN);

function split(values: string[] | undefined): string[] | undefined {
  if (values === undefined) {
    return undefined;
  }
  return values.flatMap((value) => value.split(',')).map((value) => value.trim());
}

/** Parses and checks the filters, adding a detail for every bad value. */
function collectFilters(query: RawQuery, details: ErrorDetail[]): Filters {
  const filters: Filters = {};
  const each = (
    name: keyof typeof filterParameters,
    // The value to filter by, or null if it is not one.
    check: (value: string) => string | null,
    message: string,
  ): string[] | undefined => {
    const raw = query[name];
    const values = split(typeof raw === 'string' ? [raw] : raw);
    if (values === undefined) {
      return undefined;
    }
    const out: string[] = [];
    for (const value of values) {
      const checked = value === '' ? null : check(value);
      if (checked === null) {
        details.push({ field: name, message: `${message} (got ${JSON.stringify(value)})` });
      } else {
        out.push(checked);
      }
    }
    return [...new Set(out)];
  };

  const status = each(
    'status',
    (v) => ((SERVER_STATUSES as readonly string[]).includes(v) ? v : null),
    `must be one of ${SERVER_STATUSES.join(', ')}`,
  );
  if (status !== undefined) {
    filters.status = status;
  }
  for (const name of ['environment', 'role', 'location', 'os'] as const) {
    const values = each(name, labelFilter, 'must be 1 to 64 printable characters, without commas');
    if (values !== undefined) {
      filters[name] = values;
    }
  }
  const hostname = each('hostname', (v) => (HOSTNAME.test(v) ? v.toLowerCase() : null), 'must be a host name');
  if (hostname !== undefined) {
    filters.hostname = hostname;
  }
  const ip = each('ip', canonicalIp, 'must be an IPv4 or IPv6 address');
  if (ip !== undefined) {
    filters.ip = ip;
  }
  const tag = each('tag', (v) => (TAG.test(v) ? v : null), 'must be a tag ([a-z0-9][a-z0-9._-]{0,62})');
  if (tag !== undefined) {
    filters.tag = tag;
  }
  const cidr = each('cidr', (v) => (cidrKeyRange(v) === null ? null : v), 'must be a prefix such as 10.0.0.0/8');
  if (cidr !== undefined) {
    filters.cidr = cidr.map((v) => cidrKeyRange(v)).filter((range) => range !== null);
  }
  if (typeof query.q === 'string') {
    filters.q = query.q;
  }
  if (typeof query.updated_since === 'string') {
    // The schema checked RFC 3339; a leap second (:60) or a time past year 9999 has no stored
    // equivalent, and would compare wrongly as text.
    const since = new Date(query.updated_since);
    if (Number.isNaN(since.getTime()) || since.getUTCFullYear() > 9999) {
      details.push({
        field: 'updated_since',
        message: 'must be an RFC 3339 time between the years 0 and 9999, without a leap second',
      });
    } else {
      filters.updatedSince = since.toISOString();
    }
  }
  return filters;
}

/** Parses the filters alone (reports and feeds take no sort or paging). Throws one 400 naming every problem. */
export function parseFilters(query: RawQuery): Filters {
  const details: ErrorDetail[] = [];
  const filters = collectFilters(query, details);
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return filters;
}

function parseSort(value: string | undefined, details: ErrorDetail[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of (value ?? 'id').split(',').map((p) => p.trim())) {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    if (!(SORT_FIELDS as readonly string[]).includes(field)) {
      details.push({
        field: 'sort',
        message: `must name keys among ${SORT_FIELDS.join(', ')} (got ${JSON.stringify(part)})`,
      });
    } else if (keys.some((key) => key.field === field)) {
      details.push({ field: 'sort', message: `names ${field} twice` });
    } else {
      keys.push({ field: field as SortField, descending });
    }
  }
  if (!keys.some((key) => key.field === 'id')) {
    keys.push({ field: 'id', descending: false });
  }
  return keys;
}

function fingerprint(filters: Filters, sort: SortKey[]): string {
  const normal = JSON.stringify({ filters, sort }, (_key, value: unknown) =>
    Buffer.isBuffer(value) ? value.toString('hex') : value,
  );
  return createHash('sha256').update(normal).digest('base64url').slice(0, 16);
}

/** An opaque cursor: the listing it belongs to and the sort values of the last row served. */
export function encodeCursor(listing: Listing, values: unknown[]): string {
  const k = values.map((v) => (Buffer.isBuffer(v) ? { b: v.toString('hex') } : v));
  return Buffer.from(JSON.stringify({ f: fingerprint(listing.filters, listing.sort), k })).toString('base64url');
}

/** A cursor value back as its sort key's type, or undefined if it is not one (a tampered cursor). */
function cursorValue(field: SortField, value: unknown): unknown {
  switch (field) {
    case 'id':
      // Within the column's range: PostgreSQL's integer refuses a larger value in a comparison.
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_SERVER_ID
        ? value
        : undefined;
    case 'ip': {
      const hex = (value as { b?: unknown } | null)?.b;
      return typeof hex === 'string' && /^(04[0-9a-f]{8}|06[0-9a-f]{32})$/.test(hex)
        ? Buffer.from(hex, 'hex')
        : undefined;
    }
    case 'hostname':
    case 'status':
    case 'environment':
    case 'created_at':
    case 'updated_at':
      // No stored value holds a control character; PostgreSQL refuses a NUL in text outright.
      return typeof value === 'string' && value.length <= 253 && value.isWellFormed() && !/\p{Cc}/u.test(value)
        ? value
        : undefined;
  }
}

function decodeCursor(cursor: string, filters: Filters, sort: SortKey[]): unknown[] | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  // Anyone can send any JSON: null, a number, an array ... not only what encodeCursor wrote.
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    return null;
  }
  const { f, k } = decoded as { f?: unknown; k?: unknown };
  if (f !== fingerprint(filters, sort) || !Array.isArray(k) || k.length !== sort.length) {
    return null;
  }
  const keys: unknown[] = k;
  const values = sort.map((key, i) => cursorValue(key.field, keys[i]));
  return values.includes(undefined) ? null : values;
}

/** Parses the whole list query: filters, sort and paging. Throws one 400 naming every problem. */
export function parseListing(query: RawQuery): Listing {
  const details: ErrorDetail[] = [];
  const filters = collectFilters(query, details);
  const sort = parseSort(query.sort, details);
  const listing: Listing = { filters, sort, limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 };
  if (query.cursor !== undefined) {
    if (query.offset !== undefined) {
      details.push({ field: 'cursor', message: 'cannot be combined with offset' });
    }
    const after = decodeCursor(query.cursor, filters, sort);
    if (after === null) {
      details.push({ field: 'cursor', message: 'is not a cursor of this listing (same filters and sort)' });
    } else {
      listing.after = after;
    }
  }
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return listing;
}

type ServersQuery<O> = SelectQueryBuilder<Database, 'servers', O>;

/** The column or expression a sort key orders by. Null labels sort as '', before every value. */
export function sortExpression(eb: ExpressionBuilder<Database, 'servers'>, field: SortField): Expression<unknown> {
  switch (field) {
    case 'ip':
      return eb.ref('ip_key');
    case 'environment':
      return eb.fn.coalesce('environment', sql.lit(''));
    case 'id':
    case 'hostname':
    case 'status':
    case 'created_at':
    case 'updated_at':
      return eb.ref(field);
  }
}

/** The values of the sort keys of a row, as the cursor stores them. */
export function sortValues(row: Record<string, unknown>, sort: SortKey[]): unknown[] {
  return sort.map(({ field }) => {
    if (field === 'ip') {
      return row.ip_key;
    }
    return field === 'environment' ? (row.environment ?? '') : row[field];
  });
}

export function applyFilters<O>(query: ServersQuery<O>, filters: Filters): ServersQuery<O> {
  let q = query;
  for (const name of ['status', 'environment', 'role', 'location', 'os', 'hostname', 'ip'] as const) {
    const values = filters[name];
    if (values !== undefined) {
      q = q.where(name, 'in', values);
    }
  }
  if (filters.tag !== undefined && filters.tag.length > 0) {
    const tags = filters.tag;
    q = q.where('servers.id', 'in', (eb) =>
      eb
        .selectFrom('server_tags')
        .select('server_id')
        .where('tag', 'in', tags)
        .groupBy('server_id')
        .having((h) => h.fn.countAll(), '=', tags.length),
    );
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
