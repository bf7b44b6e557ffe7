import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { appError } from '../errors.js';
import { ErrorResponse } from '../shared/schemas.js';
import { type Principal, type TokenScope, type TokensService, scopeAllows } from '../tokens/tokens.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope a route needs, declared once: the auth check enforces it and the OpenAPI document shows
     * it (`x-required-scope`). 'read' asks for a token only when INVENTORY_AUTH_READS is true (or the
     * route sets `tokenRequired`); 'write' and 'admin' always do. Routes without it are open: the health
     * checks, the OpenAPI document and /docs. A token that is sent is checked on every route.
     */
    scope?: TokenScope;
    /** A token is needed even where reads are open: routes about the caller's own token. */
    tokenRequired?: boolean;
  }
  interface FastifyRequest {
    /** The token the request authenticated with, if any. */
    principal: Principal | null;
    /**
     * Asks again whether the request's token may still do what the route needs (not revoked, not
     * expired, its scope enough): for a response that lasts, such as the change stream, whose request
     * was authorised once as it began. null where the request came without a token.
     */
    stillAuthorized: (() => Promise<boolean>) | null;
  }
}

export interface AuthOptions {
  tokens: TokensService;
  /** Whether routes with scope 'read' need a token. */
  authReads: boolean;
  /** Failed authentications allowed from one client address per window (10). */
  maxFailures?: number;
  /** The window, in milliseconds (60000). */
  failureWindowMs?: number;
}

const REALM = 'Bearer realm="inventory-api"';
/** How many client addresses the failure throttle remembers at once; the least recent are forgotten. */
const THROTTLE_CAPACITY = 10_000;
/** The token of `Authorization: Bearer <token>`, or null for any other scheme or shape. */
function bearerSecret(header: string): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

/** Whether a route with this declaration refuses a request without a token (the OpenAPI document says so too). */
export function needsToken(config: { scope?: TokenScope; tokenRequired?: boolean }, authReads: boolean): boolean {
  return config.scope !== undefined && (config.scope !== 'read' || authReads || config.tokenRequired === true);
}

/**
 * Counts failed authentications per client address in fixed windows. In this process's memory.
 * `fail` records one and says, past the limit, how many seconds the window has left.
 */
function failureThrottle(maxFailures: number, windowMs: number) {
  const failures = new LRUCache<string, { count: number; until: number }>({ max: THROTTLE_CAPACITY });
  return {
    fail(address: string): number | undefined {
      const now = Date.now();
      const record = failures.get(address);
      const current = record !== undefined && record.until > now ? record : { count: 0, until: now + windowMs };
      failures.set(address, { count: current.count + 1, until: current.until });
      return current.count + 1 > maxFailures ? Math.ceil((current.until - now) / 1000) : undefined;
    },
  };
}

/**
 * Adds to a route's responses the answers a token that is sent can get anywhere. The scope the route
 * declares is shown in the OpenAPI document by src/plugins/openapi/operations.ts, from the same config.
 */
function declareRequirement(route: RouteOptions): void {
  const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
  if (schema === undefined || schema.hide === true) {
    return;
  }
  // Any route may answer these: a token that is sent is always checked.
  if (schema.response !== undefined) {
    schema.response[401] ??= ErrorResponse;
    schema.response[429] ??= ErrorResponse;
  }
}

/**
 * Bearer-token authentication and scope checks. A token that is sent is checked on every route, open
 * ones included: a client with a broken credential learns it on its first request. Another scheme is
 * told to use Bearer and is not a guess. A throttle slows guessing: past `maxFailures` bad tokens from
 * one client address within the window, bad tokens get 429 instead of 401 until the window ends; a
 * valid token is never refused by it, so an attacker behind the same proxy (or NAT) locks nobody out.
 */
export const auth = fp<AuthOptions>(
  (app: FastifyInstance, options) => {
    const throttle = failureThrottle(options.maxFailures ?? 10, options.failureWindowMs ?? 60_000);

    app.decorateRequest('principal', null);
    app.decorateRequest('stillAuthorized', null);

    app.addHook('onRoute', (route) => {
      declareRequirement(route);
    });

    /** Checks the token of a request that sent one; throws (rejects) the error to answer otherwise. */
    const authenticate = async (request: FastifyRequest, header: string): Promise<void> => {
      const config = request.routeOptions.config;
      const secret = bearerSecret(header);
      if (secret === null) {
        throw appError('INVALID_AUTH_SCHEME', { headers: { 'www-authenticate': `${REALM}, error="invalid_request"` } });
      }
      const principal = await options.tokens.authenticate(secret);
      if (principal === null) {
        const retryAfter = throttle.fail(request.ip);
        if (retryAfter !== undefined) {
          throw appError('TOO_MANY_AUTH_FAILURES', { headers: { 'retry-after': String(retryAfter) } });
        }
        throw appError('INVALID_TOKEN', { headers: { 'www-authenticate': `${REALM}, error="invalid_token"` } });
      }
      request.principal = principal;
      request.stillAuthorized = async () => {
        const now = await options.tokens.authenticate(secret);
        return now !== null && (config.scope === undefined || scopeAllows(now.scope, config.scope));
      };
      if (config.scope !== undefined && !scopeAllows(principal.scope, config.scope)) {
        throw appError('INSUFFICIENT_SCOPE', {
          headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${config.scope}"` },
        });
      }
    };

    // A callback hook: a request without a token (most reads, where they are open) is decided at once,
    // without the promise and the turn of the microtask queue of an async hook.
    app.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers.authorization;
      if (header !== undefined) {
        authenticate(request, header).then(
          () => {
            done();
          },
          (error: unknown) => {
            done(error instanceof Error ? error : new Error('authentication failed'));
          },
        );
        return;
      }
      if (needsToken(request.routeOptions.config, options.authReads)) {
        done(appError('AUTH_REQUIRED', { headers: { 'www-authenticate': REALM } }));
        return;
      }
      done();
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['error-handler'] },
);
