// The servers list's state and the page's URL: what a shared link or the back button brings back.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PAGE_SIZE,
  EMPTY_STATE,
  type ListState,
  STATUSES,
  listQuery,
  listSearch,
  nextSort,
  parseListState,
  sortDirection,
} from '../../web/src/list-state.js';
import { matchRoute } from '../../web/src/routes.js';
import { reloading } from '../../web/src/loaded.js';

const FULL: ListState = {
  status: ['up', 'maintenance'],
  environment: 'production,staging',
  role: 'web',
  location: 'eu-west-1a',
  tag: 'pci,edge',
  managed_by: 'vcenter-sync,(none)',
  q: 'web-01 & co',
  last_seen_before: '2026-11-30T12:00:00.000Z',
  last_seen_after: '2026-11-01T00:00:00+01:00',
  cf: { cf_rack: ['R12', 'R1,4'], cf_u__gte: ['10'] },
  sort: '-hostname',
  limit: 25,
  cursor: 'eyJpZCI6MTJ9',
};

describe('the list state in the URL', () => {
  it('names nothing for the defaults', () => {
    expect(listSearch(EMPTY_STATE)).toBe('');
    expect(parseListState('')).toStrictEqual(EMPTY_STATE);
  });

  it('comes back whole from its own query string, special characters included', () => {
    const search = listSearch(FULL);
    expect(search).toBe(
      '?status=up&status=maintenance&environment=production%2Cstaging&role=web&location=eu-west-1a' +
        '&tag=pci%2Cedge&managed_by=vcenter-sync%2C%28none%29&q=web-01+%26+co' +
        '&last_seen_before=2026-11-30T12%3A00%3A00.000Z&last_seen_after=2026-11-01T00%3A00%3A00%2B01%3A00' +
        '&cf_rack=R12&cf_rack=R1%2C4&cf_u__gte=10&sort=-hostname&limit=25&cursor=eyJpZCI6MTJ9',
    );
    expect(parseListState(search)).toStrictEqual(FULL);
  });

  it('reads statuses given comma-separated or repeated, once each', () => {
    expect(parseListState('?status=up,down&status=up').status).toStrictEqual(['up', 'down']);
  });

  it('leaves out what the list cannot take: an unknown status, sort key or page size, an empty cursor', () => {
    const state = parseListState('?status=up,burning&sort=-role&limit=7&cursor=');
    expect(state.status).toStrictEqual(['up']);
    expect(state.sort).toBeNull();
    expect(state.limit).toBe(DEFAULT_PAGE_SIZE);
    expect(state.cursor).toBeNull();
    expect(parseListState('?limit=1e2').limit).toBe(DEFAULT_PAGE_SIZE);
  });

  it('knows every status of the API', () => {
    expect([...STATUSES].sort()).toStrictEqual(['decommissioned', 'down', 'maintenance', 'up']);
  });
});

describe("the list state as GET /api/v1/servers's query", () => {
  it('sends every filter, the sort, the page size and the cursor', () => {
    expect(listQuery(FULL)).toStrictEqual({
      status: ['up', 'maintenance'],
      environment: ['production', 'staging'],
      role: ['web'],
      location: ['eu-west-1a'],
      tag: ['pci', 'edge'],
      managed_by: ['vcenter-sync', '(none)'],
      q: 'web-01 & co',
      last_seen_before: '2026-11-30T12:00:00.000Z',
      last_seen_after: '2026-11-01T00:00:00+01:00',
      custom_field_filters: { cf_rack: ['R12', 'R1,4'], cf_u__gte: ['10'] },
      sort: '-hostname',
      limit: 25,
      cursor: 'eyJpZCI6MTJ9',
    });
  });

  it('sends the page size alone for the defaults, and no empty value', () => {
    expect(listQuery(EMPTY_STATE)).toStrictEqual({ limit: DEFAULT_PAGE_SIZE });
    expect(listQuery({ ...EMPTY_STATE, environment: ' , ', tag: 'a, ,b' })).toStrictEqual({
      limit: DEFAULT_PAGE_SIZE,
      tag: ['a', 'b'],
    });
  });
});

describe('sorting by a column', () => {
  it('sorts ascending first, then descending, then ascending again', () => {
    expect(nextSort(null, 'ip')).toBe('ip');
    expect(nextSort('ip', 'ip')).toBe('-ip');
    expect(nextSort('-ip', 'ip')).toBe('ip');
    expect(nextSort('-ip', 'hostname')).toBe('hostname');
  });

  it("gives each column's aria-sort", () => {
    expect(sortDirection('ip', 'ip')).toBe('ascending');
    expect(sortDirection('-ip', 'ip')).toBe('descending');
    expect(sortDirection('-ip', 'status')).toBe('none');
    expect(sortDirection(null, 'status')).toBe('none');
  });
});

describe("the console's routes", () => {
  it('shows the list at / and /servers, a server at /servers/<id>, the new server form at /servers/new, the overview, the activity, and nothing else', () => {
    expect(matchRoute('/servers/new')).toStrictEqual({ page: 'new-server' });
    expect(matchRoute('/servers/new/')).toStrictEqual({ page: 'new-server' });
    expect(matchRoute('/')).toStrictEqual({ page: 'servers' });
    expect(matchRoute('/servers')).toStrictEqual({ page: 'servers' });
    expect(matchRoute('/servers/')).toStrictEqual({ page: 'servers' });
    expect(matchRoute('/servers/12')).toStrictEqual({ page: 'server', id: 12 });
    expect(matchRoute('/overview')).toStrictEqual({ page: 'overview' });
    expect(matchRoute('/overview/')).toStrictEqual({ page: 'overview' });
    expect(matchRoute('/activity')).toStrictEqual({ page: 'activity' });
    expect(matchRoute('/admin')).toStrictEqual({ page: 'admin' });
    expect(matchRoute('/admin/')).toStrictEqual({ page: 'admin' });
    for (const path of [
      '/overview/1',
      '/activity/x',
      '/servers/0',
      '/servers/012',
      '/servers/abc',
      '/servers/12/edit',
      '/servers/new/x',
      '/servers/newer',
      '/other',
      '/admin/x',
    ]) {
      expect(matchRoute(path), path).toStrictEqual({ page: 'not-found' });
    }
  });
});

describe('reloading', () => {
  it('keeps the last answer shown, marked busy, while the next one loads', () => {
    const done = { state: 'done', data: { count: 3 }, busy: false } as const;
    expect(reloading(done)).toStrictEqual({ state: 'done', data: { count: 3 }, busy: true });
  });

  it('shows loading when there is no answer to keep', () => {
    expect(reloading({ state: 'loading' })).toStrictEqual({ state: 'loading' });
    expect(reloading({ state: 'failed', status: 503, error: null })).toStrictEqual({ state: 'loading' });
  });
});
