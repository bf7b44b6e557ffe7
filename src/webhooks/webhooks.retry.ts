import type { AttemptResult } from './webhooks.sender.js';

// What follows an attempt: the delivery succeeded, waits for its next attempt, or failed for good.

/**
 * Deliveries of one subscription that fail in a row (each after its whole retry schedule) before the
 * subscription is disabled. With the default schedule a receiver that is down for good is disabled
 * after its tenth undelivered event, about 28 hours after the first; one success in between resets the
 * count.
 */
export const MAX_CONSECUTIVE_FAILURES = 10;
/** The most a wait is lengthened at random, as a fraction of it, so that retries do not come in waves. */
export const RETRY_JITTER = 0.1;
/** The statuses whose Retry-After is honoured. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; at: Date }
  /** `gone`: the receiver answered 410 Gone, which also disables the subscription. */
  | { kind: 'failed'; gone: boolean };

/**
 * What follows attempt number `made` (1 for the first of a run of the schedule) at `now`. After failed
 * attempt n the next is due after schedule[n-1] seconds plus up to RETRY_JITTER of it (`random` in
 * [0, 1)), or after the receiver's Retry-After on a 429 or 503, but never sooner than the schedule's
 * first wait (a Retry-After of 0, or a date past, would spend the whole schedule at once) nor later
 * than its longest; after the schedule's last wait the delivery has failed. A 410 fails it at once.
 */
export function outcomeOf(
  result: Pick<AttemptResult, 'ok' | 'status' | 'retryAfterMs'>,
  made: number,
  schedule: readonly number[],
  now: Date,
  random: () => number,
): AttemptOutcome {
  if (result.ok) {
    return { kind: 'succeeded' };
  }
  if (result.status === 410) {
    return { kind: 'failed', gone: true };
  }
  const step = schedule[made - 1];
  if (step === undefined) {
    return { kind: 'failed', gone: false };
  }
  const longestMs = Math.max(...schedule) * 1000;
  const waitMs =
    result.status !== null && RETRY_AFTER_STATUSES.has(result.status) && result.retryAfterMs !== null
      ? Math.min(Math.max(result.retryAfterMs, (schedule[0] ?? 0) * 1000), longestMs)
      : Math.round(step * 1000 * (1 + RETRY_JITTER * random()));
  return { kind: 'retry', at: new Date(now.getTime() + waitMs) };
}
