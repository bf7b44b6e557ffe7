import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type FanOut, type FanOutLoop, startFanOut } from './webhooks.fanout.js';
import { POLL_INTERVAL_MS, type DeliveryWorker } from './webhooks.worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The webhook delivery worker of this process; null when the app runs without one. */
    webhookWorker: DeliveryWorker | null;
  }
}

export interface DeliveryWorkerPluginOptions {
  worker: DeliveryWorker | null;
  /** The fan-out that queues the deliveries of changes: run with the worker. */
  fanOut: FanOut;
  /** How often the fan-out looks for changes made through other processes (ms); POLL_INTERVAL_MS by default. */
  pollIntervalMs?: number;
  /** Registers a listener called after each local write commits; returns what removes it. */
  onCommitted?: (listener: () => void) => () => void;
  /** Whether the API is busy: the fan-out's passes are then spaced out (see startFanOut). */
  busy?: () => boolean;
}

/**
 * Runs the webhooks' fan-out and delivery worker with the app. The fan-out turns the change feed into
 * deliveries at once after each local commit, and every POLL_INTERVAL_MS for other replicas' changes;
 * it wakes the worker when it queued some. The worker starts once the app is ready, and stops when the app closes:
 * claims stop as closing begins, while the server drains its requests, and the database closes only
 * after the attempts in flight have ended and their leases are released (this plugin's onClose is
 * registered after the app's own, which closes the database; Fastify runs them last first).
 */
export const deliveryWorkerPlugin = fp<DeliveryWorkerPluginOptions>(
  async (app: FastifyInstance, { worker, fanOut, pollIntervalMs, onCommitted, busy }) => {
    app.decorate('webhookWorker', worker);
    if (worker === null) {
      return;
    }
    let loop: FanOutLoop | undefined;
    let unlisten: (() => void) | undefined;
    app.addHook('onReady', async () => {
      worker.start();
      loop = startFanOut(fanOut, {
        intervalMs: pollIntervalMs ?? POLL_INTERVAL_MS,
        onQueued: () => {
          worker.wake();
        },
        logger: app.log,
        ...(busy === undefined ? {} : { busy }),
      });
      const started = loop;
      unlisten = onCommitted?.(() => {
        started.wake();
      });
    });
    // As closing begins (closeSignal), before the server waits for its responses in flight: no claim
    // starts while requests drain, and attempts in flight end side by side with them.
    app.closeSignal.addEventListener('abort', () => {
      unlisten?.();
      void loop?.stop();
      void worker.stop();
    });
    app.addHook('onClose', async () => {
      await loop?.stop();
      await worker.stop();
    });
  },
  { name: 'webhook-delivery-worker', fastify: '5.x', dependencies: ['graceful-close'] },
);
