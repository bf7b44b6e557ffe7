import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/build-test-app.js';

describe('closing the app', () => {
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const slowEntered = new Promise<void>((resolve) => {
    entered = resolve;
  });

  /** A test-only route that holds its request until the test releases it. */
  function addHeldRoute(app: FastifyInstance): void {
    app.get('/probe/held', async () => {
      entered();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { done: true };
    });
  }

  it('gets 503 SERVICE_UNAVAILABLE as JSON and a closed connection, while the one in flight completes', async () => {
    const { app } = await buildTestApp({ extend: addHeldRoute });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('no port');
    }
    const socket = connect({ port: address.port, host: '127.0.0.1' });
    socket.setEncoding('utf8');
    let received = '';
    socket.on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<void>((resolve) =>
      socket.on('close', () => {
        resolve();
      }),
    );

    socket.write('GET /probe/held HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await slowEntered;
    const closed = app.close();
    // The next request on the same keep-alive connection arrives after the shutdown began.
    socket.write('GET /api/v1/servers HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await ended;
    await closed;

    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[0]).toContain('{"done":true}');
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(responses[1]).toMatch(/connection: close/i);
    expect(responses[1]).toContain('{"error":"Service unavailable","code":"SERVICE_UNAVAILABLE"}');
  });
});
