// A Server-Sent Events client for tests: a real HTTP request to a listening server, whose events are
// parsed as they arrive (the WHATWG HTML standard's rules, for the fields the API sends).
import { type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The events received so far, in order. */
  events: SseEvent[];
  /** The comments received so far (`: heartbeat` as `heartbeat`). */
  comments: string[];
  /** The `retry` fields received so far. */
  retries: number[];
  /** Everything received, as text (the body of an answer that is not a stream). */
  text(): string;
  /** Resolves once `count` events have arrived in all; rejects after `timeoutMs`, or if the stream ends first. */
  waitForEvents(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves once a comment `text` has arrived; rejects after `timeoutMs`. */
  waitForComment(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the response is over: `end` for a clean end, `aborted` if the connection was cut. */
  over: Promise<'end' | 'aborted'>;
  /** Stops reading: the server's writes pile up in the socket, then in the server. */
  pause(): void;
  resume(): void;
  /** Closes the connection, as a client that leaves. */
  close(): void;
  response: IncomingMessage;
}

/** Opens `url` (GET) and resolves once the response's headers have arrived. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      let raw = '';
      let pending = '';
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
      const waiters = new Set<() => void>();
      const notify = () => {
        for (const waiter of [...waiters]) {
          waiter();
        }
      };
      let ended: 'end' | 'aborted' | undefined;
      const over = new Promise<'end' | 'aborted'>((done) => {
        res.on('end', () => {
          ended ??= 'end';
          done(ended);
          notify();
        });
        res.on('close', () => {
          ended ??= res.complete ? 'end' : 'aborted';
          done(ended);
          notify();
        });
      });
      res.on('error', () => undefined);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line === '') {
            if (current.data.length > 0) {
              events.push({ id: current.id, event: current.event, data: current.data.join('\n') });
            }
            current = { data: [] };
          } else if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') {
              current.data.push(value);
            } else if (field === 'id') {
              current.id = value;
            } else if (field === 'event') {
              current.event = value;
            } else if (field === 'retry') {
              retries.push(Number(value));
            }
          }
        }
        notify();
      });

      function waitFor<T>(ready: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
        return new Promise((done, fail) => {
          const check = () => {
            const value = ready();
            if (value !== undefined) {
              cleanup();
              done(value);
            } else if (ended !== undefined) {
              cleanup();
              fail(new Error(`the stream ended (${ended}) before ${what}; events: ${events.length}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            fail(
              new Error(`no ${what} within ${timeoutMs} ms; events: ${events.length}, comments: ${comments.length}`),
            );
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      }

      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        retries,
        text: () => raw,
        waitForEvents: (count, timeoutMs = 5000) =>
          waitFor(() => (events.length >= count ? events.slice(0, count) : undefined), `${count} events`, timeoutMs),
        waitForComment: (text, timeoutMs = 5000) =>
          waitFor(() => (comments.includes(text) ? true : undefined), `the comment "${text}"`, timeoutMs).then(
            () => undefined,
          ),
        over,
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => {
          req.destroy();
        },
        response: res,
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The JSON object of an event's data. */
export function dataOf(event: SseEvent | undefined): Record<string, unknown> {
  if (event === undefined) {
    throw new Error('no such event');
  }
  return JSON.parse(event.data) as Record<string, unknown>;
}
