import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { appError } from '../errors.js';
import type { Principal, TokenScope, TokensService } from '../tokens/tokens.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * What a route needs: 'write' always asks for a write token; 'read' asks for any token when
     * INVENTORY_AUTH_READS is true and for none otherwise. Routes without it are open: the health
     * checks, the OpenAPI document and /docs (see docs/api.md, Authentication).
     */
    scope?: TokenScope;
  }
  interface FastifyRequest {
    /** The token the request authenticated with, if any. */
    principal: Principal | null;
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

function bearerToken(request: FastifyRequest): string | null | undefined {
  const header = request.headers.authorization;
  if (header === undefined) {
    return undefined;
  }
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Bearer-token authentication and scope checks, and a throttle on failed attempts: after
 * `maxFailures` bad tokens from one address within the window, that address gets 429 until the
 * window ends, whatever it sends. The throttle lives in this process's memory.
 */
export const auth = fp<AuthOptions>(
  (app: FastifyInstance, options) => {
    const maxFailures = options.maxFailures ?? 10;
    const windowMs = options.failureWindowMs ?? 60_000;
    const failures = new LRUCache<string, { count: number; until: number }>({ max: THROTTLE_CAPACITY });

    app.decorateRequest('principal', null);

    app.addHook('onRequest', async (request) => {
      const scope = request.routeOptions.config.scope;
      if (scope === undefined || (scope === 'read' && !options.authReads)) {
        return;
      }
      const now = Date.now();
      const record = failures.get(request.ip);
      if (record !== undefined && record.until > now && record.count >= maxFailures) {
        throw appError('TOO_MANY_AUTH_FAILURES', {
          headers: { 'retry-after': String(Math.ceil((record.until - now) / 1000)) },
        });
      }

      const secret = bearerToken(request);
      if (secret === undefined) {
        throw appError('AUTH_REQUIRED', { headers: { 'www-authenticate': REALM } });
      }
      const principal = secret === null ? null : await options.tokens.authenticate(secret);
      if (principal === null) {
        const current = record !== undefined && record.until > now ? record : { count: 0, until: now + windowMs };
        failures.set(request.ip, { count: current.count + 1, until: current.until });
        throw appError('INVALID_TOKEN', { headers: { 'www-authenticate': `${REALM}, error="invalid_token"` } });
      }
      if (scope === 'write' && principal.scope !== 'write') {
        throw appError('INSUFFICIENT_SCOPE', {
          headers: { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="write"` },
        });
      }
      request.principal = principal;
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['error-handler'] },
);
