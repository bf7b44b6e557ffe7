import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import fp from 'fastify-plugin';

/** The header a caller (or a proxy in front) sets to correlate its request with our log line. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A caller's id is kept only if it is short and plain: letters, digits and `._:-`, up to 128
 * characters. Anything else (spaces, quotes, control characters, an overlong value) could forge or
 * garble log lines, so it is replaced by a generated UUID.
 */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when well-formed, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const header = request.headers[REQUEST_ID_HEADER];
  return typeof header === 'string' && WELL_FORMED_ID.test(header) ? header : randomUUID();
}

/** Fastify's own options for request ids and logging; `buildApp` spreads them into its options. */
export const requestLoggingOptions = {
  genReqId: requestIdFor,
  // Fastify would take any header value as is; genReqId checks it first.
  requestIdHeader: false,
  // Fastify logs two lines per request, with the headers; we log one, without them.
  logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
} as const;

/** The name of the API token that made the request, once the auth plugin has checked it. */
function tokenNameOf(request: FastifyRequest): string | undefined {
  // principal is declared by the auth plugin; a request refused before it ran has none.
  return (request as { principal?: { name: string } | null }).principal?.name;
}

/**
 * One JSON line per request, when its response is sent: request id, method, route template (never
 * the raw URL, whose query could hold a secret), status, duration and, for an authenticated request,
 * the token's name (never the token, never a header), and the client's address (behind a proxy listed in
 * TRUST_PROXY, the one it forwarded). The id is echoed in `X-Request-Id`.
 */
export const requestLogging = fp(
  (app: FastifyInstance) => {
    // Callback hooks, not async ones: an async hook costs every request a promise and a turn of the
    // microtask queue (docs/benchmarks.md, "Second pass").
    app.addHook('onRequest', (request, reply, done) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      const token = tokenNameOf(request);
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
          client: request.ip,
          ...(token === undefined ? {} : { token }),
        },
        'request completed',
      );
      done();
    });
  },
  { name: 'request-logging', fastify: '5.x' },
);
