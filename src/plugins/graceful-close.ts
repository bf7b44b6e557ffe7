import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { appError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Aborted as the app begins to close, before it waits for the responses in flight: a response that
     * lasts as long as its client stays (the change stream) ends on it, or the close would wait for it.
     */
    closeSignal: AbortSignal;
  }
}

/**
 * Closing without cutting anyone off. When the app closes (on SIGTERM or SIGINT, see main.ts), it
 * stops accepting connections at once, answers a request that still arrives on an open keep-alive
 * connection with 503 SERVICE_UNAVAILABLE and `Connection: close`, tells the responses that never end
 * by themselves to end (`closeSignal`), and waits until every response in flight has been sent before
 * the server closes its connections. How long it may wait is the caller's business (main.ts gives it
 * SHUTDOWN_GRACE_MS).
 */
export const gracefulClose = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    const sending = new Set<ServerResponse>();
    const closeController = new AbortController();
    app.decorate('closeSignal', closeController.signal);

    app.addHook('onRequest', (_request, reply, done) => {
      if (closing) {
        void reply.header('connection', 'close');
        done(appError('SERVICE_UNAVAILABLE'));
        return;
      }
      if (app.server.listening) {
        const response = reply.raw;
        sending.add(response);
        // 'close' comes once the whole response has been handed to the system, or the client left.
        response.once('close', () => sending.delete(response));
      }
      done();
    });

    app.addHook('preClose', async () => {
      closing = true;
      closeController.abort();
      if (!app.server.listening) {
        return;
      }
      // Stop accepting connections, but without http.Server#close's closeIdleConnections(): Node
      // deems a response done once end() is called, even while its body still waits in the socket's
      // buffer for a slow client, and would cut that client off. Fastify's own close follows, once
      // every response has gone out.
      NetServer.prototype.close.call(app.server);
      await Promise.all([...sending].map((response) => once(response, 'close')));
    });
  },
  { name: 'graceful-close', fastify: '5.x', dependencies: ['error-handler'] },
);
