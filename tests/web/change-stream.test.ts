// The console's change-stream follower: what it reads, when it reconnects and with which id, and when it stops.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_MS,
  MAX_DELAY_MS,
  MAX_RETRY_AFTER_MS,
  MIN_RETRY_MS,
  STABLE_MS,
  type StreamState,
  followStream,
  judgeResponse,
  reconnectDelay,
  retryAfterMs,
} from '../../web/src/change-stream.js';
import { SSE_MAX_LENGTH, type SseEvent } from '../../web/src/sse.js';

const SSE = { 'content-type': 'text/event-stream' } as const;

/** An answer whose body gives `chunks`, then ends (or never ends, until the signal aborts, as fetch's would). */
function answer(chunks: readonly string[], signal: AbortSignal, { end = true } = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(new TextEncoder().encode(chunk));
      }
      if (end) {
        controller.close();
      } else {
        signal.addEventListener('abort', () => {
          controller.error(new DOMException('aborted', 'AbortError'));
        });
      }
    },
  });
  return new Response(body, { status: 200, headers: SSE });
}

type Step = (signal: AbortSignal) => Response | Error;

/** Runs the follower against `steps` (one per connection), sleeping at once; records what it did. */
async function run(
  steps: readonly Step[],
  { abortAfterSteps = false, random = 0.5, now = () => Date.parse('2026-12-01T00:00:00Z') } = {},
) {
  const controller = new AbortController();
  const ids: string[] = [];
  const delays: number[] = [];
  const states: StreamState[] = [];
  const events: SseEvent[] = [];
  let next = 0;
  const stopped = await followStream({
    signal: controller.signal,
    lastEventId: '10',
    connect: (lastEventId, signal) => {
      ids.push(lastEventId);
      const step = steps[next];
      next += 1;
      if (step === undefined) {
        // Past the script: the page goes away.
        controller.abort();
        return Promise.reject(new DOMException('aborted', 'AbortError'));
      }
      const result = step(signal);
      if (abortAfterSteps && next === steps.length) {
        queueMicrotask(() => {
          controller.abort();
        });
      }
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => random,
    now,
  });
  return { stopped, ids, delays, states, events };
}

describe('following the change stream', () => {
  it('delivers the events, and after a dropped connection resumes after the last one with the retry it was told', async () => {
    const { stopped, ids, delays, states, events } = await run(
      [
        (s) => answer(['retry: 2000\n\nid: 11\nevent: server.created\ndata: {"seq":11}\n\nid: 12\ndata: {"cu'], s),
        (s) => answer(['id: 12\nevent: server.updated\ndata: {"seq":12}\n\n'], s),
        () => new Response('{"error":"Unauthorized","code":"UNAUTHORIZED"}', { status: 401 }),
      ],
      { random: 0.1 },
    );
    expect(events.map((e) => [e.type, e.lastEventId])).toStrictEqual([
      ['server.created', '11'],
      ['server.updated', '12'],
    ]);
    // The cut event (12) came again: the second connection resumed after 11.
    expect(ids).toStrictEqual(['10', '11', '12']);
    // Each connection that brought an event resets the delay to the stream's own retry, spread: 2 s * 0.6.
    expect(delays).toStrictEqual([1200, 1200]);
    expect(states).toStrictEqual(['connecting', 'live', 'reconnecting', 'live', 'reconnecting', 'stopped']);
    expect(stopped).toStrictEqual({ reason: 'refused', status: 401 });
  });

  it("waits the API's Retry-After when it refuses more streams, and backs off while there is no answer", async () => {
    const { stopped, ids, delays, states } = await run([
      () => new Response('{}', { status: 503, headers: { 'retry-after': '30' } }),
      () => new TypeError('Failed to fetch'),
      () => new TypeError('Failed to fetch'),
      () => new Response('bad gateway', { status: 502 }),
    ]);
    // 30 s asked; then 3 s doubled at each failure, spread by the random half: 6*0.75, 12*0.75, 24*0.75.
    expect(delays).toStrictEqual([30_000, 4500, 9000, 18_000]);
    expect(ids).toStrictEqual(['10', '10', '10', '10', '10']);
    // One "reconnecting" for the whole run of failures: the live region speaks once.
    expect(states).toStrictEqual(['connecting', 'reconnecting', 'stopped']);
    expect(stopped).toStrictEqual({ reason: 'aborted' });
  });

  it('backs off when every connection is accepted but closes before any event, and starts over after one open 30 s', async () => {
    const empty: Step = (s) => answer([': heartbeat\n\n'], s);
    const { delays } = await run([empty, empty, empty]);
    // Not 3 s each time: the count of failures goes on (3 s, then 6 s and 12 s spread by half).
    expect(delays).toStrictEqual([3000, 4500, 9000]);
    // Each connection open 30 s (the clock moves 30 s at each reading) counts as working.
    let clock = 0;
    const slow = await run([empty, empty, empty], {
      now: () => {
        clock += STABLE_MS;
        return clock;
      },
    });
    expect(slow.delays).toStrictEqual([3000, 3000, 3000]);
  });

  it("keeps a stream's retry between 1 s and a minute", async () => {
    const { delays } = await run([
      (s) => answer(['retry: 0\n\nid: 11\nevent: server.created\ndata: {}\n\n'], s),
      (s) => answer(['retry: 600000\n\nid: 12\nevent: server.created\ndata: {}\n\n'], s),
    ]);
    expect(delays).toStrictEqual([MIN_RETRY_MS, MAX_DELAY_MS]);
  });

  it('drops a connection whose line passes the limit, and backs off even after an event', async () => {
    const endless: Step = (s) =>
      answer(['id: 11\nevent: server.created\ndata: {}\n\ndata: ', 'x'.repeat(SSE_MAX_LENGTH), 'never read'], s, {
        end: false,
      });
    const { delays, events, ids } = await run([endless, endless, endless]);
    expect(events).toHaveLength(3);
    expect(ids).toStrictEqual(['10', '11', '11', '11']);
    expect(delays).toStrictEqual([3000, 4500, 9000]);
  });

  it('stops when the page goes away while the stream is open, without reconnecting', async () => {
    const { stopped, ids, delays, states } = await run([(s) => answer([': heartbeat\n\n'], s, { end: false })], {
      abortAfterSteps: true,
    });
    expect(stopped).toStrictEqual({ reason: 'aborted' });
    expect(ids).toStrictEqual(['10']);
    expect(delays).toStrictEqual([]);
    expect(states).toStrictEqual(['connecting', 'live', 'stopped']);
  });

  it('stops on a refusal that waiting cannot cure: 403, 400, or a 200 that is not an event stream', async () => {
    for (const [response, reason] of [
      [new Response('{}', { status: 403 }), 'forbidden'],
      [new Response('{}', { status: 400 }), 'failed'],
      [new Response('<html>portal</html>', { status: 200, headers: { 'content-type': 'text/html' } }), 'failed'],
    ] as const) {
      const { stopped, delays } = await run([() => response]);
      expect(stopped).toStrictEqual({ reason, status: response.status });
      expect(delays).toStrictEqual([]);
    }
  });
});

describe('reconnection decisions', () => {
  const now = Date.parse('2026-12-01T00:00:00Z');
  const judge = (status: number, headers: Record<string, string> = {}) =>
    judgeResponse(status, new Headers(headers), now);

  it('reads a 200 event stream, retries 429, 503, 5xx and 408, and stops on the rest', () => {
    expect(judge(200, SSE)).toStrictEqual({ kind: 'read' });
    expect(judge(200, { 'content-type': 'text/event-stream; charset=utf-8' })).toStrictEqual({ kind: 'read' });
    expect(judge(503, { 'retry-after': '30' })).toStrictEqual({ kind: 'retry', afterMs: 30_000 });
    expect(judge(429)).toStrictEqual({ kind: 'retry', afterMs: null });
    expect(judge(500)).toStrictEqual({ kind: 'retry', afterMs: null });
    expect(judge(408)).toStrictEqual({ kind: 'retry', afterMs: null });
    expect(judge(401)).toStrictEqual({ kind: 'stop', reason: 'refused' });
    expect(judge(403)).toStrictEqual({ kind: 'stop', reason: 'forbidden' });
    expect(judge(404)).toStrictEqual({ kind: 'stop', reason: 'failed' });
  });

  it('reads Retry-After in seconds or as a date, up to an hour, and ignores what it cannot read', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Tue, 01 Dec 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('Wed, 02 Dec 2026 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });

  it("waits the stream's retry first, then doubles with spread, never beyond the cap", () => {
    // After a connection that worked: the retry, from half to one and a half times it.
    expect(reconnectDelay(0, DEFAULT_RETRY_MS, 0)).toBe(1500);
    expect(reconnectDelay(0, DEFAULT_RETRY_MS, 0.5)).toBe(3000);
    expect(reconnectDelay(0, DEFAULT_RETRY_MS, 1)).toBe(4500);
    expect(reconnectDelay(1, DEFAULT_RETRY_MS, 0)).toBe(3000);
    expect(reconnectDelay(1, DEFAULT_RETRY_MS, 1)).toBe(6000);
    expect(reconnectDelay(3, DEFAULT_RETRY_MS, 1)).toBe(24_000);
    expect(reconnectDelay(10, DEFAULT_RETRY_MS, 1)).toBe(MAX_DELAY_MS);
    expect(reconnectDelay(1000, DEFAULT_RETRY_MS, 1)).toBe(MAX_DELAY_MS);
  });
});
