import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { WebhooksConfig } from '../config.js';
import { rowsTransaction } from '../db/transaction.js';
import type { Database, WebhookDeliveryRow, WebhookRow } from '../db/types.js';
import type { DeliveryMetrics, DeliveryOutcome } from './webhooks.metrics.js';
import * as queue from './webhooks.queue.repository.js';
import { MAX_CONSECUTIVE_FAILURES, outcomeOf } from './webhooks.retry.js';
import { SecretUnreadableError, signingSecrets } from './webhooks.secrets.js';
import { type AttemptResult, sendAttempt } from './webhooks.sender.js';

// The delivery worker: claims due deliveries with a lease, sends each (webhooks.sender.ts), and records
// every attempt with what follows it (webhooks.retry.ts) in one transaction. Every replica runs one; a
// lease makes each attempt one replica's, and a lease whose process died lapses, after which any
// replica takes the delivery over. At least once: a delivery is marked succeeded only after a 2xx.

/** How often the queue is read when nothing wakes the worker earlier. */
export const POLL_INTERVAL_MS = 1000;
/** Attempts in flight at once in one process. */
export const DELIVERY_CONCURRENCY = 8;
/**
 * How much longer than WEBHOOK_TIMEOUT_MS a lease lasts: time to record the attempt's result, and room
 * for the clocks of replicas that differ by a little (each writes and reads leases by its own clock).
 * Short, because a process killed in the middle of an attempt holds its subscription's deliveries back
 * (one attempt in flight per subscription) until its lease lapses.
 */
export const LEASE_MARGIN_MS = 5000;
/**
 * While the API is busy (see src/plugins/api-load.ts), at most this many attempts start a second in one
 * process: the writes come first, and deliveries catch up once they ease (the queue keeps them).
 */
export const BUSY_ATTEMPTS_PER_SECOND = 10;
/** How often delivered and failed deliveries older than WEBHOOK_LOG_RETENTION_DAYS are purged. */
export const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Deliveries deleted per statement by a purge, and the most statements in one purge. */
export const PURGE_BATCH_SIZE = 500;
const PURGE_MAX_BATCHES = 200;
/** The advisory lock key claims take turns with on PostgreSQL ("invw"; the write lock is "inv"). */
export const CLAIM_TURN_KEY = 0x696e7677;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DeliveryWorkerOptions {
  pollIntervalMs?: number;
  concurrency?: number;
  /** In [0, 1): the jitter of retries. */
  random?: () => number;
  purgeIntervalMs?: number;
  purgeBatchSize?: number;
  /** How long stop() lets attempts in flight run before it aborts them. */
  stopGraceMs?: number;
  /** The lease owner written on claims; unique per process by default. */
  owner?: string;
  /** Whether the API is busy: then attempts start at BUSY_ATTEMPTS_PER_SECOND at most. Never, by default. */
  busy?: () => boolean;
}

export interface DeliveryWorkerDeps extends DeliveryWorkerOptions {
  db: Kysely<Database>;
  config: WebhooksConfig;
  logger: FastifyBaseLogger;
  now?: () => Date;
  metrics?: DeliveryMetrics;
}

export interface DeliveryWorker {
  /** The lease owner of this worker's claims. */
  readonly owner: string;
  /** Starts polling and purging. */
  start(): void;
  /** Looks for due deliveries now (one was just queued), instead of at the next poll. */
  wake(): void;
  /**
   * Claims and sends until nothing is due (by the clock as it is) and nothing is in flight. For tests
   * and tools; the worker does the same on its own once started.
   */
  drain(): Promise<void>;
  /** Purges the log of deliveries past retention; returns how many went. */
  purge(): Promise<number>;
  /** Stops claiming, lets attempts in flight end (aborted after stopGraceMs), releases their leases. */
  stop(): Promise<void>;
}

/** A lease owner unique to this process: the host, the pid and a random part, within 64 characters. */
function processOwner(): string {
  return `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

interface InFlight {
  done: Promise<void>;
  controller: AbortController;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { db, config, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const owner = deps.owner ?? processOwner();
  const concurrency = deps.concurrency ?? DELIVERY_CONCURRENCY;
  const guard = { allowPrivateNetworks: config.allowPrivateNetworks };

  let started = false;
  let stopping = false;
  let claiming: Promise<void> | null = null;
  let claimAgain = false;
  let lastClaimDrained = false;
  let lastClaimError: Error | undefined;
  let failing = false;
  let purging: Promise<number> | null = null;
  let stopped: Promise<void> | null = null;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<InFlight>();
  /** Ends the wait of a paced claim when the worker stops. */
  const pace = new AbortController();
  /** When the next claim may start while the API is busy (performance.now()). */
  let nextBusyClaimAt = 0;

  function databaseFailed(what: string, err: unknown): void {
    // Once per outage, not once per poll.
    if (!failing) {
      failing = true;
      logger.error({ err }, `webhook deliveries: ${what} failed; trying again at each poll`);
    }
  }

  function databaseWorks(): void {
    if (failing) {
      failing = false;
      logger.info('webhook deliveries: the database answers again');
    }
  }

  /** Claims up to `room` due deliveries, with their subscriptions; none without a lock when nothing is due. */
  async function claim(room: number): Promise<{ claimed: WebhookDeliveryRow[]; webhooks: WebhookRow[] }> {
    const at = now();
    if (!(await queue.anyDue(db, at.toISOString()))) {
      return { claimed: [], webhooks: [] };
    }
    const claimed = await rowsTransaction(
      db,
      (trx) =>
        queue.claimDeliveries(trx, {
          owner,
          now: at.toISOString(),
          leaseUntil: new Date(at.getTime() + config.timeoutMs + LEASE_MARGIN_MS).toISOString(),
          limit: room,
        }),
      // A lease lost with a crash of the machine only lets the delivery be claimed again: the claim, as
      // the record of an attempt below, does not wait for the disk, which the API's writes need.
      { turnKey: CLAIM_TURN_KEY, durable: false },
    );
    const webhooks = await queue.findWebhooksById(db, [...new Set(claimed.map((row) => row.webhook_id))]);
    return { claimed, webhooks };
  }

  /** Claims as many deliveries as there is room for, again and again while each claim fills the room. */
  async function fill(): Promise<void> {
    while (!stopping) {
      let room = concurrency - inFlight.size;
      if (room <= 0) {
        lastClaimDrained = false;
        return;
      }
      const paced = deps.busy?.() === true;
      if (paced) {
        // The API is busy: one delivery a claim, BUSY_ATTEMPTS_PER_SECOND claims a second at most.
        // Waiting here holds `claiming`, so the wakes meanwhile come to one claim after it.
        const wait = nextBusyClaimAt - performance.now();
        if (wait > 0) {
          await delay(wait, undefined, { signal: pace.signal }).catch(() => undefined);
          continue;
        }
        room = 1;
      }
      let claimed: Awaited<ReturnType<typeof claim>>;
      try {
        claimed = await claim(room);
        databaseWorks();
        lastClaimError = undefined;
      } catch (error) {
        databaseFailed('claiming deliveries', error);
        lastClaimError = new Error('claiming deliveries failed', { cause: error });
        lastClaimDrained = true;
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may have come during the claim
      if (stopping) {
        await release(claimed.claimed);
        return;
      }
      if (paced && claimed.claimed.length > 0) {
        nextBusyClaimAt = performance.now() + 1000 / BUSY_ATTEMPTS_PER_SECOND;
      }
      const byId = new Map(claimed.webhooks.map((webhook) => [webhook.id, webhook]));
      for (const delivery of claimed.claimed) {
        launch(delivery, byId.get(delivery.webhook_id));
      }
      lastClaimDrained = claimed.claimed.length < room;
      if (lastClaimDrained) {
        return;
      }
    }
  }

  /** Starts a claim now, or right after the one under way (which may have missed what was just queued). */
  function kick(): void {
    if (claiming !== null) {
      claimAgain = true;
      return;
    }
    claiming = fill().finally(() => {
      claiming = null;
      if (claimAgain && !stopping) {
        claimAgain = false;
        kick();
      }
    });
  }

  function launch(delivery: WebhookDeliveryRow, webhook: WebhookRow | undefined): void {
    const controller = new AbortController();
    const flight: InFlight = { done: Promise.resolve(), controller };
    flight.done = attempt(delivery, webhook, controller.signal)
      .catch((error: unknown) => {
        // The lease stays: the delivery is taken again once it lapses.
        logger.error({ err: error, delivery: delivery.id }, 'webhook deliveries: recording an attempt failed');
      })
      .finally(() => {
        inFlight.delete(flight);
        if (!stopping) {
          kick();
        }
      });
    inFlight.add(flight);
  }

  function leaseOf(delivery: WebhookDeliveryRow): { id: number; leaseUntil: string } {
    return { id: delivery.id, leaseUntil: delivery.lease_expires_at ?? '' };
  }

  async function release(deliveries: readonly WebhookDeliveryRow[]): Promise<void> {
    try {
      await queue.releaseLeases(db, owner, deliveries.map(leaseOf));
    } catch (error) {
      logger.error({ err: error }, 'webhook deliveries: releasing leases failed; they lapse on their own');
    }
  }

  async function attempt(
    delivery: WebhookDeliveryRow,
    webhook: WebhookRow | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (webhook?.active !== 1) {
      // Deleted or turned off since the claim: the delivery waits (or went with its subscription).
      await release([delivery]);
      return;
    }
    const at = now();
    const timestamp = Math.floor(at.getTime() / 1000);
    let secrets: string[] | undefined;
    try {
      secrets = signingSecrets(webhook, at, config.secretKey);
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) {
        throw error;
      }
    }
    const result: AttemptResult =
      secrets === undefined
        ? {
            ok: false,
            status: null,
            error: 'not sent: the signing secret is sealed with another WEBHOOK_SECRET_KEY; rotate the secret',
            durationMs: 0,
            excerpt: null,
            retryAfterMs: null,
            aborted: false,
          }
        : await sendAttempt(
            { url: webhook.url, messageId: delivery.message_id, body: delivery.body, timestamp, secrets },
            { guard, timeoutMs: config.timeoutMs, signal, now },
          );
    if (secrets !== undefined && !result.aborted) {
      metrics?.attemptDuration.observe(result.durationMs / 1000);
    }
    const recorded = await record(delivery, at, timestamp, result);
    if (recorded === undefined) {
      return;
    }
    metrics?.deliveries.inc({ outcome: recorded.outcome });
    if (recorded.disabled !== undefined) {
      // The reason, not the URL (it may hold a token of the receiver's).
      logger.warn({ webhook: delivery.webhook_id, reason: recorded.disabled }, 'webhook disabled');
    }
  }

  /**
   * Writes the attempt and its consequences in one transaction: the delivery's next attempt or its end,
   * and the subscription's failures in a row. A lease lost meanwhile (it lapsed and another worker took
   * the delivery) leaves the delivery to that worker: only the attempt is written.
   */
  function record(
    delivery: WebhookDeliveryRow,
    at: Date,
    timestamp: number,
    result: AttemptResult,
  ): Promise<{ outcome: DeliveryOutcome; disabled?: string } | undefined> {
    return rowsTransaction(
      db,
      async (trx) => {
        const current = await queue.lockDelivery(trx, delivery.id);
        if (current === undefined) {
          return undefined;
        }
        await queue.insertAttempt(trx, {
          delivery_id: delivery.id,
          started_at: at.toISOString(),
          duration_ms: result.durationMs,
          http_status: result.status,
          error: result.error,
          response_excerpt: result.excerpt,
          signature_timestamp: timestamp,
        });
        if (current.lease_owner !== owner || current.lease_expires_at !== delivery.lease_expires_at) {
          logger.warn({ delivery: delivery.id }, 'webhook deliveries: a lease lapsed during its attempt');
          return undefined;
        }
        const released = { lease_owner: null, lease_expires_at: null };
        if (result.aborted) {
          // Shutting down: not counted against the schedule, and claimable again at once.
          await queue.updateDelivery(trx, delivery.id, released);
          return undefined;
        }
        const made = current.attempts + 1;
        const ended = now();
        const outcome = outcomeOf(result, made, config.retrySchedule, ended, random);
        if (outcome.kind === 'retry') {
          await queue.updateDelivery(trx, delivery.id, {
            ...released,
            attempts: made,
            next_attempt_at: outcome.at.toISOString(),
          });
          return { outcome: 'retry' };
        }
        await queue.updateDelivery(trx, delivery.id, {
          ...released,
          status: outcome.kind,
          attempts: made,
          next_attempt_at: null,
          completed_at: ended.toISOString(),
        });
        if (outcome.kind === 'succeeded') {
          await queue.resetFailures(trx, delivery.webhook_id);
          return { outcome: 'succeeded' };
        }
        const counted = await queue.countFailure(trx, delivery.webhook_id);
        let reason: string | undefined;
        if (outcome.gone) {
          reason = `the receiver answered 410 Gone to delivery ${delivery.id} at ${ended.toISOString()}`;
        } else if (counted?.active === 1 && counted.consecutive_failures >= MAX_CONSECUTIVE_FAILURES) {
          const last = result.status === null ? (result.error ?? 'no answer') : `HTTP ${result.status}`;
          reason =
            `${counted.consecutive_failures} deliveries in a row failed; the last, delivery ${delivery.id}, ` +
            `at ${ended.toISOString()}: ${last}`;
        }
        if (reason !== undefined) {
          await queue.disableWebhook(trx, delivery.webhook_id, reason);
          return { outcome: 'failed', disabled: reason };
        }
        return { outcome: 'failed' };
      },
      { durable: false },
    );
  }

  async function purge(): Promise<number> {
    const before = new Date(now().getTime() - config.logRetentionDays * DAY_MS).toISOString();
    const size = deps.purgeBatchSize ?? PURGE_BATCH_SIZE;
    let total = 0;
    for (let batch = 0; batch < PURGE_MAX_BATCHES && !stopping; batch += 1) {
      const deleted = await queue.purgeDeliveries(db, before, size);
      total += deleted;
      if (deleted < size) {
        break;
      }
      // A turn of the event loop between batches: requests are served meanwhile.
      await nextTurn();
    }
    return total;
  }

  function purgeInBackground(): void {
    if (purging !== null || stopping) {
      return;
    }
    purging = purge()
      .then(
        (count) => {
          if (count > 0) {
            logger.info({ deliveries: count }, 'webhook deliveries: purged the log past its retention');
          }
          return count;
        },
        (error: unknown) => {
          databaseFailed('purging the delivery log', error);
          return 0;
        },
      )
      .finally(() => {
        purging = null;
      });
  }

  return {
    owner,

    start() {
      if (started || stopping) {
        return;
      }
      started = true;
      timers.push(setInterval(kick, deps.pollIntervalMs ?? POLL_INTERVAL_MS).unref());
      timers.push(setInterval(purgeInBackground, deps.purgeIntervalMs ?? PURGE_INTERVAL_MS).unref());
      kick();
      purgeInBackground();
    },

    wake() {
      if (started && !stopping) {
        kick();
      }
    },

    async drain() {
      for (;;) {
        kick();
        while (claiming !== null || inFlight.size > 0) {
          await claiming;
          await Promise.all([...inFlight].map((flight) => flight.done));
        }
        if (lastClaimError !== undefined) {
          throw lastClaimError;
        }
        if (lastClaimDrained || stopping) {
          return;
        }
      }
    },

    purge,

    stop() {
      stopped ??= (async () => {
        stopping = true;
        pace.abort();
        for (const timer of timers) {
          clearInterval(timer);
        }
        const grace = deps.stopGraceMs ?? config.timeoutMs;
        let abortTimer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<void>((resolve) => {
          abortTimer = setTimeout(() => {
            for (const flight of inFlight) {
              flight.controller.abort();
            }
            resolve();
          }, grace);
        });
        try {
          // A claim that hangs (the database does not answer) is not waited for beyond the grace.
          await Promise.race([claiming, graceOver]);
          await Promise.all([...inFlight].map((flight) => flight.done));
          await Promise.race([purging, graceOver]);
        } finally {
          clearTimeout(abortTimer);
        }
      })();
      return stopped;
    },
  };
}
