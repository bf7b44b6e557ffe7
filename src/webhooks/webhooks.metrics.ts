import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../db/types.js';
import { oldestPendingCreatedAt } from './webhooks.queue.repository.js';

/** How an attempt ended for its delivery: delivered, to be tried again, or failed for good. */
export type DeliveryOutcome = 'succeeded' | 'retry' | 'failed';

export interface DeliveryMetrics {
  /** Attempts by what they meant for their delivery. */
  readonly deliveries: Counter<'outcome'>;
  /** Attempts' durations, from before the connection to the end of the answer (or its failure). */
  readonly attemptDuration: Histogram;
}

/**
 * The delivery worker's metrics, in the app's registry: `webhook_deliveries_total` by `outcome`,
 * `webhook_attempt_duration_seconds`, and `webhook_oldest_pending_delivery_age_seconds`, read from the
 * database at each scrape (one query).
 */
export function createDeliveryMetrics(registry: Registry, db: Kysely<Database>, now: () => Date): DeliveryMetrics {
  const deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: succeeded, retry (failed, to be tried again) or failed (for good)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome is present from the start, at 0: a rate over a series that appears late misses its first step.
  for (const outcome of ['succeeded', 'retry', 'failed'] satisfies DeliveryOutcome[]) {
    deliveries.inc({ outcome }, 0);
  }
  const attemptDuration = new Histogram({
    name: 'webhook_attempt_duration_seconds',
    help: 'Time a webhook delivery attempt took, from before the connection to the end of the answer',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'webhook_oldest_pending_delivery_age_seconds',
    help: 'Age of the oldest pending webhook delivery of an active subscription (0 when none is pending)',
    registers: [registry],
    async collect() {
      const oldest = await oldestPendingCreatedAt(db);
      this.set(oldest === null ? 0 : Math.max(0, (now().getTime() - Date.parse(oldest)) / 1000));
    },
  });
  return { deliveries, attemptDuration };
}
