// The time inputs' conversions in a zone with summer time (Paris), not only in UTC: set before any date
// is made in this file (each test file runs in a process of its own).
process.env.TZ = 'Europe/Paris';

import { describe, expect, it } from 'vitest';
import { fromLocalInput, toLocalInput } from '../../web/src/custom-filters.js';

describe('the time inputs in Paris', () => {
  it('runs in Paris', () => {
    // Winter: UTC+1.
    expect(new Date('2026-01-15T12:00:00Z').getTimezoneOffset()).toBe(-60);
  });

  it('shows a UTC time in local time across the switch to summer time, and sends it back in UTC', () => {
    // 29 March 2026, 01:00 UTC: the clocks go from 02:00 to 03:00.
    expect(toLocalInput('2026-03-29T01:30:00Z')).toBe('2026-03-29T03:30');
    expect(fromLocalInput('2026-03-29T03:30')).toBe('2026-03-29T01:30:00.000Z');
    expect(toLocalInput('2026-03-29T00:30:00Z')).toBe('2026-03-29T01:30');
    expect(fromLocalInput('2026-03-29T01:30')).toBe('2026-03-29T00:30:00.000Z');
    expect(fromLocalInput('2026-03-29T03:30', true)).toBe('2026-03-29T01:30:59.999Z');
  });
});
