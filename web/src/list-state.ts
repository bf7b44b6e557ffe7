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
export const TEXT_FILTERS = ['environment', 'role', 'location', 'tag'] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

export interface ListState {
  status: Status[];
  environment: string;
  role: string;
  location: string;
  tag: string;
  q: string;
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
  q: '',
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

function emptyToNull(value: string | null): string | null {
  return value === '' ? null : value;
}

/** The state a URL's query string describes; what it cannot be (an unknown status, a size not offered) is left out. */
export function parseListState(search: string): ListState {
  const params = new URLSearchParams(search);
  const limitText = params.get('limit') ?? '';
  const limit = /^[1-9][0-9]{0,3}$/.test(limitText) ? Number(limitText) : DEFAULT_PAGE_SIZE;
  const sort = params.get('sort') ?? '';
  const text = (name: TextFilter) => values(params, name).join(',');
  return {
    status: [...new Set(values(params, 'status').filter(isStatus))],
    environment: text('environment'),
    role: text('role'),
    location: text('location'),
    tag: text('tag'),
    q: params.get('q')?.trim() ?? '',
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

/** The query of GET /api/v1/servers for a state. */
export function listQuery(state: ListState): ListQuery {
  const split = (value: string) =>
    value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  const query: ListQuery = { limit: state.limit };
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
  if (state.sort !== null) {
    query.sort = state.sort;
  }
  if (state.cursor !== null) {
    query.cursor = state.cursor;
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
