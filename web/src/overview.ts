// The overview's arithmetic: the summary's counts as bars, their links into the servers list, and the
// times behind "not seen recently". No Preact, no browser globals: tests/web/overview.test.ts runs it in Node.
import { EMPTY_STATE, type ListQuery, STATUSES, type Status, listSearch } from './list-state.js';

/** The summary's dimensions the overview shows, by their key in the list's URL state. */
export const DIMENSIONS = ['status', 'environment', 'role', 'location'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Where the summary counts servers without a value. */
export const NONE = '(none)';

export interface Bar {
  value: string;
  count: number;
  /** The bar's length: a share of the longest bar of its chart, 0 to 100. */
  percent: number;
}

/** A bar's length for `count` against the longest, `max`: at least 1% when not zero, so that it shows. */
export function barPercent(count: number, max: number): number {
  if (count <= 0 || max <= 0) {
    return 0;
  }
  return Math.max(1, Math.round((Math.min(count, max) / max) * 1000) / 10);
}

/**
 * A chart's bars: statuses in their usual order (every one, zeros included, as the API lists them),
 * other dimensions by count, largest first, then by value; "(none)" last.
 */
export function bars(dimension: Dimension, counts: Readonly<Record<string, number>>): Bar[] {
  const entries = Object.entries(counts);
  if (dimension === 'status') {
    const order = (value: string) => {
      const at = (STATUSES as readonly string[]).indexOf(value);
      return at === -1 ? STATUSES.length : at;
    };
    entries.sort(([a], [b]) => order(a) - order(b));
  } else {
    entries.sort(([a, x], [b, y]) => {
      if ((a === NONE) !== (b === NONE)) {
        return a === NONE ? 1 : -1;
      }
      return y - x || (a < b ? -1 : a > b ? 1 : 0);
    });
  }
  const max = Math.max(0, ...entries.map(([, count]) => count));
  return entries.map(([value, count]) => ({ value, count, percent: barPercent(count, max) }));
}

/**
 * The servers list showing what a bar counts, or null where the list cannot filter for it: servers
 * without a value ("(none)"), and a value with a comma (the list reads commas as "any of").
 */
export function countHref(dimension: Dimension, value: string): string | null {
  if (value === NONE || value.includes(',')) {
    return null;
  }
  if (dimension === 'status') {
    return (STATUSES as readonly string[]).includes(value)
      ? `/servers${listSearch({ ...EMPTY_STATE, status: [value as Status] })}`
      : null;
  }
  return `/servers${listSearch({ ...EMPTY_STATE, [dimension]: value })}`;
}

/** The periods offered for "not seen since", by their name in the page's URL (`?seen=7d`). */
export const PERIODS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 } as const;
export type Period = keyof typeof PERIODS;
export const DEFAULT_PERIOD: Period = '24h';

export function isPeriod(value: string): value is Period {
  return Object.hasOwn(PERIODS, value);
}

/** The period a query string names (`?seen=7d`), the default otherwise. */
export function parsePeriod(search: string): Period {
  const value = new URLSearchParams(search).get('seen') ?? '';
  return isPeriod(value) ? value : DEFAULT_PERIOD;
}

/** The overview's query string for a period (empty for the default). */
export function periodSearch(period: Period): string {
  return period === DEFAULT_PERIOD ? '' : `?seen=${period}`;
}

/** The start of `period` before `now`, in RFC 3339 (UTC), as `last_seen_before` takes it. */
export function periodStart(now: number, period: Period): string {
  return new Date(now - PERIODS[period]).toISOString();
}

/** Before any apply could have seen a server: `last_seen_after` it means "seen at least once". */
export const EVER = '1970-01-01T00:00:00.000Z';

/** How many servers "not seen recently" names, with links. */
export const STALE_SHOWN = 10;

/**
 * Servers an apply has seen, but not since `since`. `last_seen_before` alone matches servers never
 * seen too (docs/syncing.md): servers no source manages, which nothing ever sees, would drown the
 * ones a source stopped seeing. `last_seen_after=EVER` keeps only servers seen at least once.
 */
export function staleQuery(since: string): ListQuery {
  return { last_seen_after: EVER, last_seen_before: since, sort: 'hostname', limit: STALE_SHOWN };
}

/** Servers never seen by an apply, and among them those no source manages (their difference: a source has not sent them yet). */
export const NEVER_SEEN_QUERY: ListQuery = { last_seen_before: EVER, limit: 1 };
export const NEVER_SEEN_UNMANAGED_QUERY: ListQuery = { last_seen_before: EVER, managed_by: [NONE], limit: 1 };
