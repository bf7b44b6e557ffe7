import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type Socket, connect } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** One HTTP/1.1 response as it came over the wire. */
export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** A TCP connection to the app that writes and reads bytes as they are, with nothing in between. */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves, once the connection is closed (by either side, or reset), with the milliseconds since it opened. */
  closed: Promise<number>;
  /** Milliseconds since the connection opened. */
  elapsed(): number;
}

/** Listens on a free loopback port and answers the port. */
export async function listenOnLoopback(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

export async function openConnection(port: number): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1' });
  // A reset by the server counts as a close; the test looks at what arrived before it.
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const openedAt = performance.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => {
      resolve(performance.now() - openedAt);
    });
  });
  return { socket, received: () => text, closed, elapsed: () => performance.now() - openedAt };
}

/** Resolves with the promise's value, or rejects after `ms`: a test on the network must end. */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: nothing after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

/** Splits what a connection received into its complete responses (each with a Content-Length, as the app sends them). */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) {
      return responses;
    }
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) {
      return responses;
    }
    responses.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

/** Waits, at most `ms`, until the connection has received `count` complete responses, and answers them. */
export async function responses(connection: RawConnection, count: number, ms = 2000): Promise<RawResponse[]> {
  const arrived = async () => {
    while (parseResponses(connection.received()).length < count) {
      if (connection.socket.destroyed) {
        throw new Error(`closed after ${JSON.stringify(connection.received())}`);
      }
      await Promise.race([once(connection.socket, 'data'), connection.closed]);
    }
    return parseResponses(connection.received());
  };
  return within(ms, arrived(), `${count} response(s)`);
}

/** A GET of the liveness route, which answers at once. */
export const HEALTH_REQUEST = 'GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n';
