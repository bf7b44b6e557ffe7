// What a change asked of the API came to: its answer, or the failure to show. No Preact here.
import { apiError, networkFailure } from './auth.js';
import type { components } from './openapi.js';

type ApiError = components['schemas']['Error'];

export type Outcome<T> = { ok: true; data: T | undefined } | { ok: false; status: number; error: ApiError | null };

/** Runs a request of the API client; a 2xx is `ok` (with its body, if any), anything else the failure. */
export async function attempt<T>(
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  try {
    const { data, error, response } = await request();
    return response.ok ? { ok: true, data } : { ok: false, status: response.status, error: apiError(error) };
  } catch (error) {
    const { status, error: body } = networkFailure(error);
    return { ok: false, status, error: body };
  }
}
