// POST /api/v1/servers/apply for tests: the request as the bootstrap token, and its answers read as
// an apply's result (200) or as the JSON error (400).
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { ApplyResult } from '../../src/servers/apply/apply.schemas.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import { AS_BOOTSTRAP } from './build-test-app.js';

export const APPLY_URL = '/api/v1/servers/apply';

/**
 * The applies of a test file, each sent to the app `app()` returns when it is sent (a file that
 * builds an app per test passes a getter): `apply` answers the response as it is, `applied` expects
 * a 200 and gives the result, `refused` expects a 400 and gives the error.
 */
export function applyRequests(app: () => FastifyInstance) {
  function apply(payload: unknown, headers: Record<string, string> = {}, query = '') {
    return app().inject({
      method: 'POST',
      url: `${APPLY_URL}${query}`,
      headers: { ...AS_BOOTSTRAP, ...headers },
      payload: payload as object,
    });
  }

  async function applied(payload: unknown, headers: Record<string, string> = {}, query = ''): Promise<ApplyResult> {
    const res = await apply(payload, headers, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ApplyResult>();
  }

  async function refused(payload: unknown, headers: Record<string, string> = {}, query = ''): Promise<ErrorResponse> {
    const res = await apply(payload, headers, query);
    expect(res.statusCode, res.body).toBe(400);
    return res.json<ErrorResponse>();
  }

  return { apply, applied, refused };
}
