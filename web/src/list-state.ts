// The servers list's state as the page's URL holds it (shareable, and the back button walks it), and
// as the API's query for GET /api/v1/servers. Only what the list endpoint offers: docs/api.md#listing.
import type { components, operations } from './openapi.js';

export type Status = components['schemas']['Server']['status'];
export type ListQuery = NonNullable<operations['listServers']['parameters']['query']>;

// A record over the API's statuses: a status the API gains and this lacks fails the typecheck.
const STATUS_SET = { up: true, down: true, maintenance: true, decommissioned: true } satisfies Record<Status, true>;
export const STATUSES = Object.keys(STATUS_SET) as readonly Status[];

/** The columns the list sorts by: the API's sort keys that the table shows. */
export const SORT_KEYS = ['hostname', 'ip', 'status', 'environment', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type Sort = SortKey | `-${SortKey}`;

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;

/** The filters that take free text, several values separated by commas (any of them matches; tags: all). */
export const TEXT_FILTERS = ['environment', 'role', 'location', 'tag', 'managed_by'] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

export interface ListState {
  status: Status[];
  environment: string;
  role: string;
  location: string;
  tag: string;
  /** The owning source; `(none)` for servers no source owns. */
  managed_by: string;
  q: string;
  /**
   * RFC 3339 times, as the API takes them (the inputs show them in the browser's time zone); a URL's value
   * is kept as given, even one the API refuses.
   */
  last_seen_before: string;
  last_seen_after: string;
  /**
   * Conditions on custom fields, by parameter name (`cf_rack`, `cf_u__gte`, `cf_rack__empty`), each with
   * its values as given (the API reads them by the field's type and answers a 400 naming a bad one).
   */
  cf: Readonly<Record<string, readonly string[]>>;
  sort: Sort | null;
  limit: number;
  /** The `next` of the page before; null on the first page. */
  cursor: string | null;
}

export const EMPTY_STATE: Readonly<ListState> = Object.freeze({
  status: [],
  environment: '',
  role: '',
  location: '',
  tag: '',
  managed_by: '',
  q: '',
  last_seen_before: '',
  last_seen_after: '',
  cf: Object.freeze({}),
  sort: null,
  limit: DEFAULT_PAGE_SIZE,
  cursor: null,
});

function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

function isSort(value: string): value is Sort {
  return (SORT_KEYS as readonly string[]).includes(value.startsWith('-') ? value.slice(1) : value);
}

/** Values given as `a,b` or repeated, trimmed, without empty ones. */
function values(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The parameters of conditions on custom fields: `cf_<name>`, with `__gte`, `__lte` or `__empty`. */
export const CF_PARAM = /^cf_[a-z][a-z0-9_]{0,62}(__gte|__lte|__empty)?$/;
export const TIME_FILTERS = ['last_seen_before', 'last_seen_after'] as const;
export type TimeFilter = (typeof TIME_FILTERS)[number];

/** The conditions on custom fields of a query string, by parameter name in name order, without empty values. */
function customFilters(params: URLSearchParams): Record<string, string[]> {
  const names = [...new Set(params.keys())].filter((name) => CF_PARAM.test(name)).sort();
  const cf: Record<string, string[]> = {};
  for (const name of names) {
    const list = params.getAll(name).filter((v) => v.trim() !== '');
    if (list.length > 0) {
      cf[name] = list;
    }
  }
  return cf;
}

function emptyToNull(value: string | null): string | null {
  return value === '' ? null : value;
}

/**
 * The state a URL's query string describes; what it cannot be (an unknown status, a size not offered) is
 * left out, but a filter's value the API judges (a time, a custom field's value) is kept for it to judge.
 */
export function parseListState(search: string): ListState {
  const params = new URLSearchParams(search);
  const limitText = params.get('limit') ?? '';
  const limit = /^[1-9][0-9]{0,3}$/.test(limitText) ? Number(limitText) : DEFAULT_PAGE_SIZE;
  const sort = params.get('sort') ?? '';
  const text = (name: TextFilter) => values(params, name).join(',');
  // Passed on as given: a time the API does not take is its 400, shown (the list and the export alike),
  // never a filter silently dropped.
  const time = (name: TimeFilter) => params.get(name)?.trim() ?? '';
  return {
    status: [...new Set(values(params, 'status').filter(isStatus))],
    environment: text('environment'),
    role: text('role'),
    location: text('location'),
    tag: text('tag'),
    managed_by: text('managed_by'),
    q: params.get('q')?.trim() ?? '',
    last_seen_before: time('last_seen_before'),
    last_seen_after: time('last_seen_after'),
    cf: customFilters(params),
    sort: isSort(sort) ? sort : null,
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    cursor: emptyToNull(params.get('cursor')),
  };
}

/** The query string of a state (with its `?`, or empty), naming only what differs from the defaults. */
export function listSearch(state: ListState): string {
  const params = new URLSearchParams();
  for (const status of state.status) {
    params.append('status', status);
  }
  for (const name of TEXT_FILTERS) {
    if (state[name] !== '') {
      params.set(name, state[name]);
    }
  }
  if (state.q !== '') {
    params.set('q', state.q);
  }
  for (const name of TIME_FILTERS) {
    if (state[name] !== '') {
      params.set(name, state[name]);
    }
  }
  for (const [name, list] of sortedEntries(state.cf)) {
    for (const value of list) {
      params.append(name, value);
    }
  }
  if (state.sort !== null) {
    params.set('sort', state.sort);
  }
  if (state.limit !== DEFAULT_PAGE_SIZE) {
    params.set('limit', String(state.limit));
  }
  if (state.cursor !== null) {
    params.set('cursor', state.cursor);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function sortedEntries(cf: ListState['cf']): [string, readonly string[]][] {
  return Object.entries(cf)
    .filter(([name, list]) => CF_PARAM.test(name) && list.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The query of GET /api/v1/servers for a state. */
export function listQuery(state: ListState): ListQuery {
  const query = filterQuery(state);
  query.limit = state.limit;
  if (state.cursor !== null) {
    query.cursor = state.cursor;
  }
  return query;
}

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'ndjson'];

/** The query of an export of the list: the same filters and sort, the whole set (no page size, no cursor). */
export function exportQuery(state: ListState, format: ExportFormat): ListQuery {
  return { ...filterQuery(state), format };
}

/** An export's file name: `servers-<the local date>.csv` (or `.ndjson`). */
export function exportFileName(format: ExportFormat, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `servers-${String(now.getFullYear())}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.${format}`;
}

/**
 * A list query as its query string: arrays as repeated parameters, and each condition on a custom field
 * as a parameter of its own (the OpenAPI document groups them in one object, `custom_field_filters`,
 * which openapi-fetch would otherwise send as `custom_field_filters[cf_rack]=...`).
 */
export function serializeListQuery(query: ListQuery): string {
  const params = new URLSearchParams();
  const { custom_field_filters: custom = {}, ...fixed } = query;
  const append = (name: string, value: string | number | readonly string[]) => {
    for (const one of typeof value === 'object' ? value : [value]) {
      params.append(name, String(one));
    }
  };
  for (const [name, value] of Object.entries(fixed)) {
    append(name, value);
  }
  for (const [name, value] of Object.entries(custom)) {
    append(name, value);
  }
  return params.toString();
}

/** The filters and sort of a state as the API's query. */
function filterQuery(state: ListState): ListQuery {
  const split = (value: string) =>
    value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  const query: ListQuery = {};
  if (state.status.length > 0) {
    query.status = [...state.status];
  }
  for (const name of TEXT_FILTERS) {
    const list = split(state[name]);
    if (list.length > 0) {
      query[name] = list;
    }
  }
  if (state.q !== '') {
    query.q = state.q;
  }
  for (const name of TIME_FILTERS) {
    if (state[name] !== '') {
      query[name] = state[name];
    }
  }
  const cf = sortedEntries(state.cf);
  if (cf.length > 0) {
    query.custom_field_filters = Object.fromEntries(cf.map(([name, list]) => [name, [...list]]));
  }
  if (state.sort !== null) {
    query.sort = state.sort;
  }
  return query;
}

/** The sort after a click on a column: ascending first, then descending, then ascending again. */
export function nextSort(current: Sort | null, key: SortKey): Sort {
  return current === key ? `-${key}` : key;
}

/** How a column is sorted now, for its `aria-sort`. */
export function sortDirection(current: Sort | null, key: SortKey): 'ascending' | 'descending' | 'none' {
  if (current === key) {
    return 'ascending';
  }
  return current === `-${key}` ? 'descending' : 'none';
}
