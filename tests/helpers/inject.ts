import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, InjectOptions } from 'fastify';

/** An answer as app.inject gives it, for the tests that send requests to every operation. */
export interface InjectedAnswer {
  statusCode: number;
  headers: OutgoingHttpHeaders;
  /** The body; empty for a stream of events, which is left unread. */
  body: string;
  // The signature of app.inject's answer, which the callers use.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  json<T = unknown>(): T;
}

/**
 * app.inject for any operation, a stream of events included. The answer of
 * GET /api/v1/changes/stream (text/event-stream) never ends by itself: it is taken with its status and
 * headers only, and the stream goes on unread until the app closes (which ends it). Every other answer
 * is read whole.
 */
export async function injectOperation(app: FastifyInstance, options: InjectOptions): Promise<InjectedAnswer> {
  const res = await app.inject({ ...options, payloadAsStream: true });
  const stream = res.stream();
  let body = '';
  if (String(res.headers['content-type']).startsWith('text/event-stream')) {
    stream.destroy();
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
    }
    body = Buffer.concat(chunks).toString('utf8');
  }
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    body,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
    json: <T>() => JSON.parse(body) as T,
  };
}
