import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { appError } from '../errors.js';

/** The largest request body accepted (413 PAYLOAD_TOO_LARGE above). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** A client must send its request line and headers within this time (408 and closed otherwise). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A client must send its whole request, body included, within this time (408 and closed otherwise). */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * How often Node looks for requests past those two timeouts: a request is cut at most this late.
 * Node's default, 30 s, cut a slowloris's headers after 10 to 40 s and a body sent at 1 byte/s after
 * 57.6 s. Each check walks only the connections with a request in progress, not the idle ones.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1000;
/** A connection on which nothing moves for this long is closed. */
export const CONNECTION_TIMEOUT_MS = 120_000;
/** An idle keep-alive connection is closed after this time: longer than the usual load balancer's 60 s. */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** What `Retry-After` tells a client turned away because the server is overloaded, in seconds. */
export const OVERLOAD_RETRY_AFTER_S = 10;
/**
 * The event-loop delay is sampled once a second. The samples of the first seconds after start measure
 * the start itself (loading modules, compiling schemas), not traffic, so they turn nobody away.
 */
export const PRESSURE_WARM_UP_MS = 3000;
/** Connections refused over MAX_CONNECTIONS are logged at most once in this time, however many they are. */
export const DROPPED_CONNECTIONS_LOG_INTERVAL_MS = 60_000;

export interface RequestTimeouts {
  /** For the request line and headers, from the request's first byte (or the connection's opening). */
  headersMs: number;
  /** For the whole request, body included, from the same moment. */
  requestMs: number;
}

/**
 * Fastify's own limits and timeouts, and Node's through `http`; `buildApp` spreads them into its
 * options. The timeouts are the production ones unless a caller (a test) shortens them.
 */
export function protectionOptions(timeouts: Partial<RequestTimeouts> = {}) {
  return {
    bodyLimit: BODY_LIMIT_BYTES,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: timeouts.requestMs ?? REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: timeouts.headersMs ?? HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
    // Fastify's own 503 while closing has another body; graceful-close.ts answers the JSON error.
    return503OnClosing: false,
  } as const;
}

/** Routes that an overloaded server still answers: liveness (a restart would not help) and metrics. */
export const PRESSURE_EXEMPT: ReadonlySet<string> = new Set(['/api/v1/health', '/metrics']);
/** Routes that probes and scrapers call on a schedule: never rate limited. */
export const RATE_LIMIT_EXEMPT: ReadonlySet<string> = new Set(['/api/v1/health', '/api/v1/health/ready', '/metrics']);

/** The request headers a page on an origin of CORS_ORIGINS may send. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'Idempotency-Key',
  // Where a change stream resumes, for a client that reconnects itself (GET /api/v1/changes/stream).
  'Last-Event-ID',
  'X-Request-Id',
] as const;
/** The response headers such a page may read, besides the few every browser exposes. */
export const CORS_EXPOSED_HEADERS = [
  'ETag',
  'Idempotent-Replayed',
  'Last-Seen-At',
  'Link',
  'Location',
  'Retry-After',
  'X-Request-Id',
] as const;

/** helmet's options for a JSON API: nothing may load, frame or be framed. The documentation pages set their own policy. */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  // Other sites' pages may not read the API's answers unless CORS allows them.
  crossOriginResourcePolicy: { policy: 'same-origin' },
};

/**
 * The headers helmet sets with these options, computed once. They do not depend on the request, and
 * @fastify/helmet built helmet's middleware anew for every request: 8% of the CPU of GET by id in a
 * profile (docs/benchmarks.md).
 */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers = new Map<string, string>();
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  // helmet reads nothing of the request; a failure (a bad option) throws, at start.
  const request = Object.create(null) as IncomingMessage;
  helmet(options)(request, response as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) {
      throw error instanceof Error ? error : new Error('helmet refused its options');
    }
  });
  return Object.freeze(Object.fromEntries(headers));
}

function routeOf(request: FastifyRequest): string | undefined {
  return request.routeOptions.url;
}

export interface ProtectionOptions {
  config: Pick<Config, 'corsOrigins' | 'rateLimitPerMinute' | 'maxEventLoopDelayMs' | 'maxConnections'>;
}

/**
 * Caps the open connections: Node closes a connection over the cap as soon as it is accepted, before
 * it is read. A warning says so, at most once a DROPPED_CONNECTIONS_LOG_INTERVAL_MS, with the number
 * refused since the previous one: a flood of connections must not become a flood of log lines.
 */
function capConnections(app: FastifyInstance, maxConnections: number): void {
  app.server.maxConnections = maxConnections;
  let dropped = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  app.server.on('drop', () => {
    dropped += 1;
    const now = Date.now();
    if (now - loggedAt >= DROPPED_CONNECTIONS_LOG_INTERVAL_MS) {
      app.log.warn({ dropped, maxConnections }, 'refused connections over MAX_CONNECTIONS');
      dropped = 0;
      loggedAt = now;
    }
  });
}

/**
 * Protective defaults: a cap on open connections, security headers fit for a JSON API, CORS only for
 * the configured origins, an optional rate limit per client address, and 503 with Retry-After while
 * the event loop is saturated. Register it before the routes: the rate limit applies to the routes
 * registered after it.
 */
export const protection = fp<ProtectionOptions>(
  async (app: FastifyInstance, { config }) => {
    capConnections(app, config.maxConnections);

    const headers = securityHeaders(HELMET_OPTIONS);
    // On every answer, errors and 404s included; a route may replace one (the docs' own CSP).
    app.addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers);
      done();
    });

    if (config.corsOrigins.length > 0) {
      await app.register(cors, {
        origin: [...config.corsOrigins],
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        // What a browser client needs to write safely: conditional requests (If-Match), and the
        // Idempotency-Key that makes a retried create safe.
        allowedHeaders: [...CORS_ALLOWED_HEADERS],
        // Without these, a script on an allowed origin could not read a new server's Location, the ETag
        // to send back in If-Match, the next page's Link, how long to wait before retrying, or whether
        // an answer is the stored one of an earlier request with its Idempotency-Key.
        exposedHeaders: [...CORS_EXPOSED_HEADERS],
        maxAge: 600,
      });
    }

    if (config.rateLimitPerMinute > 0) {
      await app.register(rateLimit, {
        global: true,
        max: config.rateLimitPerMinute,
        timeWindow: 60_000,
        allowList: (request) => RATE_LIMIT_EXEMPT.has(routeOf(request) ?? ''),
        errorResponseBuilder: () => appError('RATE_LIMITED'),
      });
    }

    if (config.maxEventLoopDelayMs > 0) {
      let readyAt = Number.POSITIVE_INFINITY;
      app.addHook('onReady', async () => {
        readyAt = Date.now();
      });
      await app.register(underPressure, {
        maxEventLoopDelay: config.maxEventLoopDelayMs,
        retryAfter: OVERLOAD_RETRY_AFTER_S,
        pressureHandler: (request, reply) => {
          if (PRESSURE_EXEMPT.has(routeOf(request) ?? '') || Date.now() - readyAt < PRESSURE_WARM_UP_MS) {
            return;
          }
          void reply.header('retry-after', OVERLOAD_RETRY_AFTER_S);
          return Promise.reject(appError('OVERLOADED'));
        },
      });
    }
  },
  { name: 'protection', fastify: '5.x', dependencies: ['error-handler'] },
);
