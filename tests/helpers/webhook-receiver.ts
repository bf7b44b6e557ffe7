// A webhook receiver on a loopback port: it records every request and answers as each path's handler
// says (204 by default).
import { type IncomingHttpHeaders, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The answer's socket closed before the answer was written whole (the sender stopped reading). */
  cut: Promise<boolean>;
}

/** Answers a request; it may never answer (a hung receiver). */
export type Handler = (request: Received, res: ServerResponse) => void;

export interface Receiver {
  /** An http URL of this receiver at `path`. */
  url(path: string): string;
  port: number;
  /** The requests so far, in the order they came. */
  received: Received[];
  /** The requests to a path, in the order they came. */
  at(path: string): Received[];
  /** How each request to `path` is answered from now on. */
  on(path: string, handler: Handler): void;
  /** Answers the next requests to `path` with these handlers, one each, then as before. */
  sequence(path: string, handlers: Handler[]): void;
  /** The most requests to one path that were in flight at once. */
  maxInFlight(path: string): number;
  /** Resolves with the next request to `path` (or one already there beyond `seen`). */
  next(path: string, seen?: number, timeoutMs?: number): Promise<Received>;
  reset(): void;
  close(): Promise<void>;
}

export const answer =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_request, res) => {
    res.writeHead(status, headers).end(body);
  };

/** Never answers: the sender's timeout ends the attempt. */
export const hang: Handler = () => undefined;

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const handlers = new Map<string, Handler>();
  const queued = new Map<string, Handler[]>();
  const inFlight = new Map<string, number>();
  const peaks = new Map<string, number>();
  const waiters: (() => void)[] = [];

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const chunks: Buffer[] = [];
    inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
    peaks.set(path, Math.max(peaks.get(path) ?? 0, inFlight.get(path) ?? 0));
    const cut = new Promise<boolean>((resolve) => {
      res.once('close', () => {
        inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
        resolve(!res.writableFinished);
      });
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = { path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), cut };
      received.push(request);
      const handler = queued.get(path)?.shift() ?? handlers.get(path) ?? answer(204);
      handler(request, res);
      for (const wake of waiters.splice(0)) {
        wake();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const at = (path: string) => received.filter((request) => request.path === path);

  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    at,
    on(path, handler) {
      handlers.set(path, handler);
    },
    sequence(path, list) {
      queued.set(path, [...list]);
    },
    maxInFlight: (path) => peaks.get(path) ?? 0,
    async next(path, seen = at(path).length, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const request = at(path)[seen];
        if (request !== undefined) {
          return request;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`no request to ${path} within ${timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    reset() {
      received.length = 0;
      handlers.clear();
      queued.clear();
      peaks.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Whether the standardwebhooks package accepts a request as signed by `secret` (it checks the timestamp too). */
export function verifies(secret: string, request: Received): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}
