// A request's state as the pages show it. No Preact here: tests/web runs it in Node.
import type { components } from './openapi.js';

type ApiError = components['schemas']['Error'];

export type Loaded<T> =
  | { state: 'loading' }
  /** `busy`: a newer answer is on its way; the page keeps this one shown (and the focus where it is). */
  | { state: 'done'; data: T; busy: boolean }
  | { state: 'failed'; status: number; error: ApiError | null };

/** What to show while a new answer loads: the last one, marked busy, rather than nothing. */
export function reloading<T>(previous: Loaded<T>): Loaded<T> {
  return previous.state === 'done' ? { ...previous, busy: true } : { state: 'loading' };
}
