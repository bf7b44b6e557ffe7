// What follows an attempt: the schedule with its jitter, Retry-After and its cap, 410 Gone.
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../src/webhooks/webhooks.retry.js';

const NOW = new Date('2026-06-01T10:00:00.000Z');
const SCHEDULE = [5, 300, 1800];
const after = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const failed = (status: number | null, retryAfterMs: number | null = null) => ({ ok: false, status, retryAfterMs });
const noJitter = () => 0;

describe('outcomeOf', () => {
  it('is a success on ok, whatever the attempt', () => {
    expect(outcomeOf({ ok: true, status: 204, retryAfterMs: null }, 4, SCHEDULE, NOW, noJitter)).toStrictEqual({
      kind: 'succeeded',
    });
  });

  it('waits schedule[n-1] after failed attempt n, and fails the delivery after the last wait', () => {
    expect(outcomeOf(failed(500), 1, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(5) });
    expect(outcomeOf(failed(null), 2, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(300) });
    expect(outcomeOf(failed(302), 3, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(1800) });
    expect(outcomeOf(failed(500), 4, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'failed', gone: false });
  });

  it('lengthens a wait by up to 10 % at random', () => {
    expect(outcomeOf(failed(500), 2, SCHEDULE, NOW, () => 0.5)).toStrictEqual({ kind: 'retry', at: after(315) });
    const longest = outcomeOf(failed(500), 2, SCHEDULE, NOW, () => 0.999_999);
    expect(longest.kind === 'retry' && longest.at.getTime()).toBe(after(330).getTime());
  });

  it("honours a 429's or a 503's Retry-After, without jitter, from the schedule's first wait up to its longest", () => {
    expect(outcomeOf(failed(429, 42_000), 1, SCHEDULE, NOW, () => 0.5)).toStrictEqual({
      kind: 'retry',
      at: after(42),
    });
    // Never sooner than the schedule's first wait: a Retry-After of 0 would spend the schedule at once.
    expect(outcomeOf(failed(503, 0), 2, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(5) });
    expect(outcomeOf(failed(429, 2000), 1, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(5) });
    expect(outcomeOf(failed(503, 86_400_000), 1, SCHEDULE, NOW, noJitter)).toStrictEqual({
      kind: 'retry',
      at: after(1800),
    });
    // Not on other statuses; and the schedule's end is the end.
    expect(outcomeOf(failed(500, 42_000), 1, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'retry', at: after(5) });
    expect(outcomeOf(failed(429, 1000), 4, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'failed', gone: false });
  });

  it('fails the delivery at once on 410 Gone', () => {
    expect(outcomeOf(failed(410), 1, SCHEDULE, NOW, noJitter)).toStrictEqual({ kind: 'failed', gone: true });
  });
});
