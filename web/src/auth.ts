// How the console's requests carry the token, and what an answer says about it. No browser globals:
// tests/web/auth.test.ts runs these in Node.
import type { components } from './openapi.js';

type Token = components['schemas']['Token'];
type ApiError = components['schemas']['Error'];

/** Adds the stored token to a request that names no token of its own (a sign-in checks the token it was given). */
export function authorize(request: Request, stored: string | null): Request {
  if (stored !== null && !request.headers.has('authorization')) {
    request.headers.set('authorization', `Bearer ${stored}`);
  }
  return request;
}

/**
 * Whether this answer says the stored token no longer works (revoked, expired): a 401 to a request that
 * carried it. Every scope reads its own token (docs/access.md), so a 403 never means that: it stays.
 */
export function refusesStored(request: Request, response: Response, stored: string | null): boolean {
  return response.status === 401 && stored !== null && request.headers.get('authorization') === `Bearer ${stored}`;
}

/** What GET /api/v1/tokens/self said of a token. */
export type SelfCheck =
  | { state: 'accepted'; self: Token }
  | { state: 'refused' }
  /** The token may still be good (429, 503, no network): keep it, say what failed. */
  | { state: 'failed'; status: number; error: ApiError | null };

export function judgeSelf(status: number, data: Token | undefined, error: unknown): SelfCheck {
  if (status >= 200 && status < 300 && data !== undefined) {
    return { state: 'accepted', self: data };
  }
  if (status === 401) {
    return { state: 'refused' };
  }
  return { state: 'failed', status, error: apiError(error) };
}

/** The API's JSON error body, or null for anything else (a proxy's HTML page). */
export function apiError(body: unknown): ApiError | null {
  if (typeof body !== 'object' || body === null) {
    return null;
  }
  const { error, code } = body as Partial<ApiError>;
  return typeof error === 'string' && typeof code === 'string' ? (body as ApiError) : null;
}

/** A request that got no answer at all (network down, server gone). */
export function networkFailure(error: unknown): { state: 'failed'; status: 0; error: ApiError } {
  return {
    state: 'failed',
    status: 0,
    error: { error: error instanceof Error ? error.message : String(error), code: 'NETWORK' },
  };
}
