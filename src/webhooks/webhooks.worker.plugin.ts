import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { DeliveryWorker } from './webhooks.worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The webhook delivery worker of this process; null when the app runs without one. */
    webhookWorker: DeliveryWorker | null;
  }
}

export interface DeliveryWorkerPluginOptions {
  worker: DeliveryWorker | null;
}

/**
 * Runs the delivery worker with the app: it starts once the app is ready, and stops when the app closes:
 * claims stop as closing begins, while the server drains its requests, and the database closes only
 * after the attempts in flight have ended and their leases are released (this plugin's onClose is
 * registered after the app's own, which closes the database; Fastify runs them last first).
 */
export const deliveryWorkerPlugin = fp<DeliveryWorkerPluginOptions>(
  async (app: FastifyInstance, { worker }) => {
    app.decorate('webhookWorker', worker);
    if (worker === null) {
      return;
    }
    app.addHook('onReady', async () => {
      worker.start();
    });
    app.addHook('preClose', async () => {
      // Not awaited here: requests and attempts drain side by side; onClose waits for the worker.
      void worker.stop();
    });
    app.addHook('onClose', async () => {
      await worker.stop();
    });
  },
  { name: 'webhook-delivery-worker', fastify: '5.x' },
);
