// How busy the API is (src/plugins/api-load.ts): what the webhooks' fan-out and deliveries yield to.
import { get } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  BUSY_IN_PROGRESS,
  BUSY_SERVING,
  BUSY_UTILIZATION,
  LOAD_SAMPLE_MS,
  apiLoadPlugin,
  createInProgressCounter,
  isBusy,
} from '../../src/plugins/api-load.js';

describe('the requests in progress over time', () => {
  it('weighs each request by the part of the sample it was in progress', () => {
    let now = 0;
    const counter = createInProgressCounter(() => now);
    counter.begin(); // one from 0
    now = 25;
    counter.begin(); // two from 25
    now = 50;
    counter.end(); // one from 50
    now = 100;
    // 25 ms at one, 25 at two, 50 at one: 125 request-ms over 100 ms.
    expect(counter.sample()).toBeCloseTo(1.25);
    // The one still in progress counts whole in the next sample, and nothing of the last one stays.
    now = 200;
    expect(counter.sample()).toBeCloseTo(1);
    counter.end();
    now = 300;
    expect(counter.sample()).toBe(0);
    // A second sample at the same instant spans no time.
    expect(counter.sample()).toBe(0);
  });
});

describe('busy', () => {
  it('when requests queue, whatever the event loop does (a load bound by the database)', () => {
    expect(isBusy({ inProgress: BUSY_IN_PROGRESS, utilization: 0.1 })).toBe(true);
    expect(isBusy({ inProgress: BUSY_IN_PROGRESS - 0.01, utilization: 0.1 })).toBe(false);
  });

  it('when the loop is nearly full while it serves requests (a load bound by the CPU)', () => {
    expect(isBusy({ inProgress: BUSY_SERVING, utilization: BUSY_UTILIZATION })).toBe(true);
    expect(isBusy({ inProgress: BUSY_SERVING, utilization: BUSY_UTILIZATION - 0.01 })).toBe(false);
  });

  it('not when the loop is full of work other than requests (the deliveries themselves, a trickle of requests)', () => {
    expect(isBusy({ inProgress: 0, utilization: 1 })).toBe(false);
    expect(isBusy({ inProgress: BUSY_SERVING - 0.01, utilization: 1 })).toBe(false);
  });
});

describe('the plugin', () => {
  /** An app with the plugin and a route that holds each request until the test releases it. */
  async function appWithHeldRoute() {
    const app = Fastify();
    await app.register(apiLoadPlugin);
    const held: (() => void)[] = [];
    app.get('/held', async () => {
      await new Promise<void>((resolve) => held.push(resolve));
      return { ok: true };
    });
    return { app, held };
  }

  it('tells a busy API while requests are held in progress, and an idle one once they are answered', async () => {
    const { app, held } = await appWithHeldRoute();
    const streams: PassThrough[] = [];
    app.get('/stream', async (_request, reply) => {
      // A long answer: it counts until its first bytes, not for as long as it stays open.
      const stream = new PassThrough();
      streams.push(stream);
      stream.write('begun\n');
      return reply.type('text/plain').send(stream);
    });
    await app.ready();
    try {
      expect(app.apiLoad.busy()).toBe(false);
      const answers = Array.from({ length: 3 }, () => app.inject({ method: 'GET', url: '/held' }));
      await expect.poll(() => held.length).toBe(3);
      // Three requests in progress for a whole sample: at least BUSY_IN_PROGRESS.
      await expect.poll(() => app.apiLoad.busy(), { timeout: 3000, interval: 20 }).toBe(true);
      for (const release of held) {
        release();
      }
      const results = await Promise.all(answers);
      expect(results.map((res) => res.statusCode)).toEqual([200, 200, 200]);
      await expect.poll(() => app.apiLoad.busy(), { timeout: 3000, interval: 20 }).toBe(false);
      // Streams that stay open once begun leave it idle, over several samples.
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const bodies = Array.from(
        { length: 3 },
        () =>
          new Promise<string>((resolve, reject) => {
            get(`http://127.0.0.1:${port}/stream`, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => {
                resolve(body);
              });
            }).on('error', reject);
          }),
      );
      await expect.poll(() => streams.length).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 4 * LOAD_SAMPLE_MS));
      expect(app.apiLoad.busy()).toBe(false);
      for (const stream of streams) {
        stream.end('ended\n');
      }
      expect(await Promise.all(bodies)).toEqual(['begun\nended\n', 'begun\nended\n', 'begun\nended\n']);
    } finally {
      for (const stream of streams) {
        stream.destroy();
      }
      await app.close();
    }
  });

  it('counts neither a request whose client left nor a slow upload', async () => {
    const { app, held } = await appWithHeldRoute();
    app.post('/upload', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const sockets: Socket[] = [];
    const open = (head: string) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      socket.write(head);
      sockets.push(socket);
      return socket;
    };
    try {
      // Three held requests: busy; their clients leave while the handlers still wait: idle again.
      const clients = [1, 2, 3].map(() => open('GET /held HTTP/1.1\r\nHost: x\r\n\r\n'));
      await expect.poll(() => held.length).toBe(3);
      await expect.poll(() => app.apiLoad.busy(), { timeout: 3000, interval: 20 }).toBe(true);
      for (const client of clients) {
        client.destroy();
      }
      await expect.poll(() => app.apiLoad.busy(), { timeout: 3000, interval: 20 }).toBe(false);
      // Three uploads whose bodies come slowly: not load while their bodies are on the way.
      for (let i = 0; i < 3; i += 1) {
        open('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":');
      }
      await new Promise((resolve) => setTimeout(resolve, 4 * LOAD_SAMPLE_MS));
      expect(app.apiLoad.busy()).toBe(false);
    } finally {
      for (const release of held) {
        release();
      }
      for (const socket of sockets) {
        socket.destroy();
      }
      await app.close();
    }
  });
});
