// Follows GET /api/v1/changes/stream with fetch rather than EventSource, which cannot send the
// Authorization header the console's token needs, and gives up on a 503 instead of honouring its
// Retry-After. Reconnects after a dropped connection with Last-Event-ID (the API resumes after it,
// without a gap: docs/api.md#the-change-stream-server-sent-events), with a growing delay; stops for
// good on a refusal that waiting cannot cure (401, 403, 400), and when its signal aborts (the page
// unmounts). No Preact, and `connect` and `sleep` are given: tests/web/change-stream.test.ts runs it in Node.
import { type SseEvent, SseOverflowError, createSseParser } from './sse.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** What to do with the answer to a connection. */
export type Verdict =
  | { kind: 'read' }
  /** Try again later: after `afterMs` (the API's Retry-After) or the usual delay (null). */
  | { kind: 'retry'; afterMs: number | null }
  | { kind: 'stop'; reason: 'refused' | 'forbidden' | 'failed' };

/** The delay the stream asks for (`retry: 3000`) until it says otherwise. */
export const DEFAULT_RETRY_MS = 3000;
/** The longest wait between two attempts, however many failed; and the most a `retry:` may ask. */
export const MAX_DELAY_MS = 60_000;
/** The least a `retry:` may ask: a stream's `retry: 0` would otherwise reconnect without a pause. */
export const MIN_RETRY_MS = 1000;
/** The most a Retry-After is waited: beyond it, a wrong header would stop the updates for good. */
export const MAX_RETRY_AFTER_MS = 3_600_000;
/**
 * How long a connection stays open, without an event, to count as working: until then, and until an
 * event comes, a server that accepts and closes at once is retried with a growing delay.
 */
export const STABLE_MS = 30_000;

/** A stream's `retry:` within MIN_RETRY_MS and MAX_DELAY_MS. */
export function clampRetry(ms: number): number {
  return Math.min(Math.max(ms, MIN_RETRY_MS), MAX_DELAY_MS);
}

/**
 * Retry-After in seconds or as an HTTP date, in milliseconds from `now`, at most MAX_RETRY_AFTER_MS;
 * null when absent or unreadable.
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') {
    return null;
  }
  if (/^\s*[0-9]+\s*$/.test(value)) {
    return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.min(Math.max(date - now, 0), MAX_RETRY_AFTER_MS);
}

/** What an answer means for the stream: read it, try again later, or stop. */
export function judgeResponse(status: number, headers: Headers, now: number): Verdict {
  if (status === 200) {
    // Anything else under a 200 (a proxy's or a portal's page) is not the stream: waiting will not change it.
    return headers.get('content-type')?.startsWith('text/event-stream') === true
      ? { kind: 'read' }
      : { kind: 'stop', reason: 'failed' };
  }
  if (status === 401) {
    return { kind: 'stop', reason: 'refused' };
  }
  if (status === 403) {
    return { kind: 'stop', reason: 'forbidden' };
  }
  // Too many streams (503 TOO_MANY_STREAMS), rate limited, or the server busy or restarting.
  if (status === 429 || status === 503) {
    return { kind: 'retry', afterMs: retryAfterMs(headers.get('retry-after'), now) };
  }
  if (status >= 500 || status === 408) {
    return { kind: 'retry', afterMs: null };
  }
  return { kind: 'stop', reason: 'failed' };
}

/**
 * The wait before reconnection number `attempt` (0 after a connection that worked): the stream's own
 * `retry` first, from half to one and a half times it, then doubling up to MAX_DELAY_MS, from half to
 * all of it; `random` (0 to 1) spreads each, so that consoles cut off together do not come back together.
 */
export function reconnectDelay(attempt: number, retryMs: number, random: number): number {
  if (attempt === 0) {
    return Math.round(retryMs * (0.5 + random));
  }
  const base = Math.min(retryMs * 2 ** Math.min(attempt, 16), MAX_DELAY_MS);
  return Math.round(base / 2 + (random * base) / 2);
}

export interface FollowOptions {
  /** Opens the stream, sending `lastEventId` as Last-Event-ID. */
  connect: (lastEventId: string, signal: AbortSignal) => Promise<Response>;
  /** Aborting it closes the connection and ends the loop. */
  signal: AbortSignal;
  /** The seq to start after. */
  lastEventId: string;
  onEvent: (event: SseEvent) => void;
  /** Called when the state changes (never twice with the same state). */
  onState: (state: StreamState) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** Why the stream stopped: a refusal (with its status), or the signal. */
export type Stopped = { reason: 'refused' | 'forbidden' | 'failed'; status: number } | { reason: 'aborted' };

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Follows the stream until a refusal or the signal; resolves with why it stopped. */
export async function followStream(options: FollowOptions): Promise<Stopped> {
  const { connect, signal, onEvent } = options;
  // A call, not a property: the checks after an await read it afresh.
  const aborted = () => signal.aborted;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  let state: StreamState | null = null;
  const enter = (next: StreamState) => {
    if (next !== state) {
      state = next;
      options.onState(next);
    }
  };
  let lastEventId = options.lastEventId;
  let retryMs = DEFAULT_RETRY_MS;
  let attempt = 0;
  enter('connecting');
  while (!aborted()) {
    let retryAfter: number | null = null;
    try {
      const response = await connect(lastEventId, signal);
      const verdict = judgeResponse(response.status, response.headers, now());
      if (verdict.kind !== 'read') {
        // openapi-fetch has read an error's body already; a body still unread is let go.
        await response.body?.cancel().catch(() => undefined);
      }
      if (verdict.kind === 'stop') {
        enter('stopped');
        return { reason: verdict.reason, status: response.status };
      }
      if (verdict.kind === 'retry') {
        retryAfter = verdict.afterMs;
      } else if (response.body !== null) {
        enter('live');
        const openedAt = now();
        /** Events received: one, or the connection open long enough, and the next wait starts over. */
        let events = 0;
        let overflowed = false;
        const parser = createSseParser(
          {
            event: (event) => {
              events += 1;
              onEvent(event);
            },
            retry: (ms) => {
              retryMs = clampRetry(ms);
            },
          },
          lastEventId,
        );
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
          for (let read = await reader.read(); !read.done; read = await reader.read()) {
            parser.push(read.value);
          }
        } catch (error) {
          // A stream that sends an endless line is dropped, and is no connection that worked.
          overflowed = error instanceof SseOverflowError;
          if (overflowed) {
            await reader.cancel().catch(() => undefined);
          }
          throw error;
        } finally {
          lastEventId = parser.lastEventId();
          if (!overflowed && (events > 0 || now() - openedAt >= STABLE_MS)) {
            attempt = 0;
          }
        }
      }
    } catch {
      // No answer, or the connection dropped while reading: reconnect (unless the page is gone).
    }
    if (aborted()) {
      break;
    }
    enter('reconnecting');
    await wait(Math.max(retryAfter ?? 0, reconnectDelay(attempt, retryMs, random())), signal);
    attempt += 1;
  }
  enter('stopped');
  return { reason: 'aborted' };
}
