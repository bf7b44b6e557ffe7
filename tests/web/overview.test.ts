// The overview's arithmetic: bars, their links into the servers list, and the times of "not seen recently".
import { describe, expect, it } from 'vitest';
import { parseListState } from '../../web/src/list-state.js';
import {
  DEFAULT_PERIOD,
  EVER,
  NEVER_SEEN_QUERY,
  NEVER_SEEN_UNMANAGED_QUERY,
  barPercent,
  bars,
  countHref,
  parsePeriod,
  periodSearch,
  periodStart,
  staleQuery,
} from '../../web/src/overview.js';

describe('bars', () => {
  it('scales each bar to the longest of its chart, one decimal, with at least 1% for any server', () => {
    expect(barPercent(10, 10)).toBe(100);
    expect(barPercent(1, 3)).toBe(33.3);
    expect(barPercent(2, 3)).toBe(66.7);
    expect(barPercent(1, 100_000)).toBe(1);
    expect(barPercent(0, 10)).toBe(0);
    expect(barPercent(0, 0)).toBe(0);
    expect(barPercent(12, 10)).toBe(100);
  });

  it('lists statuses in their usual order, zeros included', () => {
    const result = bars('status', { decommissioned: 0, up: 4, maintenance: 1, down: 2 });
    expect(result).toStrictEqual([
      { value: 'up', count: 4, percent: 100 },
      { value: 'down', count: 2, percent: 50 },
      { value: 'maintenance', count: 1, percent: 25 },
      { value: 'decommissioned', count: 0, percent: 0 },
    ]);
  });

  it('lists other values by count, then by name, with servers without a value last', () => {
    const result = bars('environment', { '(none)': 9, staging: 2, production: 5, dev: 2 });
    // "(none)" is the longest here, and still last.
    expect(result.map((b) => [b.value, b.percent])).toStrictEqual([
      ['production', 55.6],
      ['dev', 22.2],
      ['staging', 22.2],
      ['(none)', 100],
    ]);
    expect(bars('role', {})).toStrictEqual([]);
  });
});

describe('links from a count to the servers list', () => {
  it('filters the list by the value, in the URL state the list reads', () => {
    expect(countHref('status', 'up')).toBe('/servers?status=up');
    expect(countHref('environment', 'production')).toBe('/servers?environment=production');
    expect(countHref('location', 'Paris DC 1')).toBe('/servers?location=Paris+DC+1');
    const href = countHref('role', 'web&db=1') ?? '';
    expect(parseListState(href.slice(href.indexOf('?'))).role).toBe('web&db=1');
  });

  it('has no link where the list cannot filter: no value, a comma, a status the console does not know', () => {
    expect(countHref('environment', '(none)')).toBeNull();
    expect(countHref('role', 'a,b')).toBeNull();
    expect(countHref('status', 'retired')).toBeNull();
  });
});

describe('not seen recently', () => {
  const now = Date.parse('2026-12-01T12:00:00.000Z');

  it('takes the period from the URL, the default otherwise, and writes it back', () => {
    expect(parsePeriod('?seen=7d')).toBe('7d');
    expect(parsePeriod('?seen=2y')).toBe(DEFAULT_PERIOD);
    expect(parsePeriod('')).toBe('24h');
    expect(periodSearch('30d')).toBe('?seen=30d');
    expect(periodSearch(DEFAULT_PERIOD)).toBe('');
  });

  it('starts the period that long before now, in RFC 3339', () => {
    expect(periodStart(now, '1h')).toBe('2026-12-01T11:00:00.000Z');
    expect(periodStart(now, '24h')).toBe('2026-11-30T12:00:00.000Z');
    expect(periodStart(now, '7d')).toBe('2026-11-24T12:00:00.000Z');
    expect(periodStart(now, '30d')).toBe('2026-11-01T12:00:00.000Z');
  });

  it('asks for servers seen once but not since, and counts the never seen apart', () => {
    expect(staleQuery('2026-11-30T12:00:00.000Z')).toStrictEqual({
      last_seen_after: EVER,
      last_seen_before: '2026-11-30T12:00:00.000Z',
      sort: 'hostname',
      limit: 10,
    });
    expect(NEVER_SEEN_QUERY).toStrictEqual({ last_seen_before: EVER, limit: 1 });
    expect(NEVER_SEEN_UNMANAGED_QUERY).toStrictEqual({ last_seen_before: EVER, managed_by: ['(none)'], limit: 1 });
  });
});
