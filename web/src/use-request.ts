import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api.js';
import { type Loaded, reloading } from './loaded.js';

export type { Loaded };

/**
 * The answer of `request`, made again whenever `deps` change; the request before is aborted (through
 * `signal`, for a request that takes it) and an answer that arrives after newer deps is dropped.
 */
export function useRequest<T>(
  request: (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>,
  deps: readonly unknown[],
): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    const abort = new AbortController();
    setLoaded(reloading);
    request(abort.signal).then(
      ({ data, error, response }) => {
        if (!current) {
          return;
        }
        if (data !== undefined && response.ok) {
          setLoaded({ state: 'done', data, busy: false });
        } else {
          const body = error as ApiError | undefined;
          setLoaded({ state: 'failed', status: response.status, error: body?.code === undefined ? null : body });
        }
      },
      (error: unknown) => {
        if (current) {
          const message = error instanceof Error ? error.message : String(error);
          setLoaded({ state: 'failed', status: 0, error: { error: message, code: 'NETWORK' } });
        }
      },
    );
    return () => {
      current = false;
      abort.abort();
    };
  }, deps);
  return loaded;
}
