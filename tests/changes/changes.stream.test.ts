// GET /api/v1/changes/stream with a real HTTP client against a listening server, on the database the
// suite runs on (SQLite or PostgreSQL).
import type { AddressInfo } from 'node:net';
import type { KyselyPlugin, ValueNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTransaction } from '../../src/db/transaction.js';
import { insertChanges } from '../../src/changes/changes.repository.js';
import {
  AS_BOOTSTRAP,
  type TestApp,
  type TestAppOptions,
  buildTestApp,
  writeAsBootstrap,
} from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl } from '../helpers/database.js';
import { startServer } from '../helpers/server-process.js';
import { type SseEvent, type SseStream, dataOf, openStream } from '../helpers/sse.js';

interface ChangeBody {
  seq: number;
  server_id: number;
  action: string;
  server: Record<string, unknown> | null;
}

const apps: TestApp[] = [];
const streams: SseStream[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) {
    stream.close();
  }
  await Promise.all(apps.splice(0).map((t) => t.app.close()));
});

/** An app listening on a loopback port, and the stream URL on it. */
async function listening(options: TestAppOptions = {}): Promise<{ t: TestApp; url: string }> {
  const t = await buildTestApp(options);
  apps.push(t);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, url: `http://127.0.0.1:${port}/api/v1/changes/stream` };
}

async function open(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const stream = await openStream(url, headers);
  streams.push(stream);
  return stream;
}

const write = (t: TestApp, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  writeAsBootstrap(t.app, method, url, payload);

/** The feed's changes after `after`, as GET /api/v1/changes gives them (its exact JSON, one per change). */
async function feedJson(t: TestApp, after: number): Promise<string[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes?after=${after}&limit=1000` });
  const body = res.body;
  const changes = res.json<{ changes: ChangeBody[] }>().changes;
  // Each change's own JSON, cut out of the feed's answer (the array's elements, in order).
  return changes.map((change, i) => {
    const start = body.indexOf(`{"seq":${change.seq},`);
    const next = changes[i + 1];
    const end = next === undefined ? body.lastIndexOf(']') : body.indexOf(`,{"seq":${next.seq},`);
    return body.slice(start, end);
  });
}

const ids = (events: readonly SseEvent[]) => events.map((e) => Number(e.id));

/** A server to create, distinct by `n`. */
const server = (n: number) => ({ hostname: `stream-${n}`, ip: `10.60.${n >> 8}.${n & 255}` });

/**
 * Writes `batches` times 80 changes of 64 KB each (a server with long notes) straight to the table, as
 * another replica would: about 5 MB a batch, far beyond what the sockets between server and client hold.
 */
async function insertBigChanges(t: TestApp, batches: number): Promise<void> {
  const notes = 'n'.repeat(64 * 1024);
  for (let batch = 0; batch < batches; batch++) {
    await writeTransaction(t.db, (trx) =>
      insertChanges(
        trx,
        Array.from({ length: 80 }, (_, i) => ({
          server_id: 1000 + batch * 80 + i,
          action: 'update' as const,
          at: '2026-01-01T00:00:00.000Z',
          actor: 'test',
          changes: '{}',
          server: JSON.stringify({ id: 1000 + batch * 80 + i, notes }),
        })),
      ),
    );
  }
}

/** The reads of change rows (not of the last seq) an app made: the LIMIT of each, in order. */
function recordChangeReads(): { limits: unknown[]; plugin: KyselyPlugin } {
  const limits: unknown[] = [];
  const plugin: KyselyPlugin = {
    transformQuery({ node }) {
      const text = JSON.stringify(node);
      if (node.kind === 'SelectQueryNode' && text.includes('"server_changes"') && !text.includes('"max"')) {
        limits.push((node.limit?.limit as ValueNode | undefined)?.value);
      }
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
  return { limits, plugin };
}

/** Waits until the app has `count` streams open (the stream is registered just before its first byte). */
async function streamsOpen(t: TestApp, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    if (new RegExp(`^inventory_change_streams ${count}$`, 'm').test(text)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not ${count} streams open`);
}

describe('GET /api/v1/changes/stream', () => {
  it('sends creates, updates and deletes as they are written, each as the feed has it; only new ones by default', async () => {
    // A poll interval far beyond the test: a write of this process reaches its streams at once.
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '60000' } });
    const stream = await open(url);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers['content-length']).toBeUndefined();
    expect(stream.headers.etag).toBeUndefined();
    await streamsOpen(t, 1);

    const startedAt = performance.now();
    await write(t, 'POST', '/servers', { ...server(1), tags: ['a'] });
    await write(t, 'PATCH', '/servers/3', { status: 'down' });
    await write(t, 'DELETE', '/servers/3');
    const events = await stream.waitForEvents(3, 2000);
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(events.map((e) => e.event)).toStrictEqual(['server.created', 'server.updated', 'server.deleted']);
    // The sample servers' creations (seqs 1 and 2) came before the stream: not sent.
    expect(ids(events)).toStrictEqual([3, 4, 5]);
    expect(events.map((e) => e.data)).toStrictEqual(await feedJson(t, 2));
    expect(dataOf(events[2]).server).toMatchObject({ id: 3, status: 'down' });
    expect(stream.retries).toStrictEqual([3000]);
    expect(stream.events).toHaveLength(3);
  });

  it('reads the table once per interval for all of its streams, not once per stream', async () => {
    const { limits, plugin } = recordChangeReads();
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '50' }, wrapDb: (db) => db.withPlugin(plugin) });
    for (let i = 0; i < 5; i++) {
      await open(url);
    }
    await streamsOpen(t, 5);
    limits.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 600));
    // About 12 rounds in 600 ms, each one query whatever the number of streams (5 streams: 60 otherwise).
    expect(limits.length).toBeGreaterThanOrEqual(3);
    expect(limits.length).toBeLessThanOrEqual(16);
  });

  it('sends exactly the missed changes to a client that reconnects with Last-Event-ID, then goes on live', async () => {
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '60000' } });
    const first = await open(url);
    await streamsOpen(t, 1);
    await write(t, 'POST', '/servers', server(1));
    const [received] = await first.waitForEvents(1);
    first.close();
    await first.over;
    await streamsOpen(t, 0);

    await write(t, 'PATCH', '/servers/3', { notes: 'missed 1' });
    await write(t, 'POST', '/servers', [server(2), server(3)]);
    const again = await open(url, { 'last-event-id': received?.id ?? '' });
    const missed = await again.waitForEvents(3);
    expect(ids(missed)).toStrictEqual([4, 5, 6]);
    expect(missed.map((e) => e.data)).toStrictEqual(await feedJson(t, 3));
    await write(t, 'DELETE', '/servers/4');
    expect(ids(await again.waitForEvents(4))).toStrictEqual([4, 5, 6, 7]);
  });

  it('starts after ?after=, and after Last-Event-ID when both are given', async () => {
    const { t, url } = await listening();
    await write(t, 'POST', '/servers', [server(1), server(2)]);
    const fromZero = await open(`${url}?after=0`);
    expect(ids(await fromZero.waitForEvents(4))).toStrictEqual([1, 2, 3, 4]);
    const fromTwo = await open(`${url}?after=2`);
    expect(ids(await fromTwo.waitForEvents(2))).toStrictEqual([3, 4]);
    const headerWins = await open(`${url}?after=0`, { 'last-event-id': '3' });
    expect(ids(await headerWins.waitForEvents(1))).toStrictEqual([4]);
    const beyond = await open(`${url}?after=1000`);
    await write(t, 'POST', '/servers', server(3));
    // After a seq beyond the end (a database restored from an older backup), from the end: the next
    // change comes, under its seq.
    expect(ids(await fromZero.waitForEvents(5))).toStrictEqual([1, 2, 3, 4, 5]);
    expect(ids(await beyond.waitForEvents(1))).toStrictEqual([5]);
  });

  it('catches up a backlog of many pages in order, then goes on live, missing and repeating nothing while writes go on', async () => {
    const { limits, plugin } = recordChangeReads();
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '50' }, wrapDb: (db) => db.withPlugin(plugin) });
    await write(
      t,
      'POST',
      '/servers',
      Array.from({ length: 450 }, (_, i) => server(i + 1)),
    );
    const stream = await open(`${url}?after=0`);
    // Writes while the stream catches up, and after.
    for (let i = 0; i < 20; i++) {
      await write(t, 'POST', '/servers', server(1000 + i));
    }
    const all = await stream.waitForEvents(2 + 450 + 20, 10_000);
    expect(ids(all)).toStrictEqual(Array.from({ length: 472 }, (_, i) => i + 1));
    // In pages: never the whole table at once.
    expect(limits.length).toBeGreaterThanOrEqual(5);
    expect(limits.every((limit) => typeof limit === 'number' && limit <= 100)).toBe(true);
    expect(all.map((e) => e.data)).toStrictEqual(await feedJson(t, 0));
    await write(t, 'PATCH', '/servers/1', { notes: 'live' });
    expect(ids(await stream.waitForEvents(473))).toContain(473);
    expect(stream.events).toHaveLength(473);
  });

  it.each([
    ['last-event-id', 'abc'],
    ['last-event-id', '-1'],
    ['last-event-id', '1.5'],
    ['last-event-id', '01'],
    ['last-event-id', '1,2'],
    ['last-event-id', '2147483648'],
    ['last-event-id', '99999999999'],
    ['after', '-1'],
    ['after', 'x'],
    ['after', '2147483648'],
  ])('answers 400 with the JSON error, before any stream, for %s = %j', async (name, value) => {
    const { url } = await listening();
    const answer =
      name === 'after' ? await open(`${url}?after=${encodeURIComponent(value)}`) : await open(url, { [name]: value });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    await answer.over;
    const body = JSON.parse(answer.text()) as { code: string; details: { field: string; message: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details[0]?.field).toBe(name);
    if (name === 'last-event-id') {
      expect(body.details[0]?.message).toBe('must be the id of an event of the stream: a seq from 0 to 2147483647');
    }
  });

  it('needs a token when reads do: 401 without one, the stream with one', async () => {
    const { url } = await listening({ env: { INVENTORY_AUTH_READS: 'true' } });
    const refused = await open(url);
    expect(refused.status).toBe(401);
    await refused.over;
    expect(JSON.parse(refused.text())).toMatchObject({ code: 'AUTH_REQUIRED' });
    const allowed = await open(url, AS_BOOTSTRAP);
    expect(allowed.status).toBe(200);
  });

  it("ends a stream at the next heartbeat once its token is revoked, and keeps another token's", async () => {
    const { t, url } = await listening({ env: { INVENTORY_AUTH_READS: 'true' }, streams: { heartbeatMs: 100 } });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: AS_BOOTSTRAP,
      payload: { name: 'dashboard', scope: 'read' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const reader = { authorization: `Bearer ${created.json<{ secret: string }>().secret}` };
    const revoked = await open(url, reader);
    const kept = await open(url, AS_BOOTSTRAP);
    expect([revoked.status, kept.status]).toStrictEqual([200, 200]);
    await revoked.waitForComment('heartbeat', 2000);
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/dashboard', headers: AS_BOOTSTRAP });
    expect(res.statusCode, res.body).toBeLessThan(300);
    expect(await revoked.over).toBe('end');
    await write(t, 'POST', '/servers', server(1));
    expect(ids(await kept.waitForEvents(1))).toHaveLength(1);
    expect(revoked.events).toStrictEqual([]);
  });

  it('answers 503 TOO_MANY_STREAMS with Retry-After past STREAM_MAX_CLIENTS, and takes a client again once one leaves', async () => {
    const { t, url } = await listening({ env: { STREAM_MAX_CLIENTS: '2' } });
    const first = await open(url);
    await open(url);
    await streamsOpen(t, 2);
    const third = await open(url);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('30');
    expect(third.headers['content-type']).toMatch(/^application\/json/);
    await third.over;
    expect(JSON.parse(third.text())).toMatchObject({ code: 'TOO_MANY_STREAMS' });
    first.close();
    await streamsOpen(t, 1);
    expect((await open(url)).status).toBe(200);
    await streamsOpen(t, 2);
  });

  it('sends a heartbeat on an idle stream, and lives past the request timeout', async () => {
    const { t, url } = await listening({
      env: { STREAM_POLL_MS: '60000' },
      streams: { heartbeatMs: 100 },
      timeouts: { headersMs: 300, requestMs: 300 },
    });
    const stream = await open(url);
    await stream.waitForComment('heartbeat', 2000);
    // Three times the request timeout, with the connection-check interval (1 s) past it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(stream.comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(5);
    await write(t, 'POST', '/servers', server(1));
    expect(ids(await stream.waitForEvents(1))).toStrictEqual([3]);
  });

  it('answers HEAD with the headers only, opening no stream', async () => {
    const { t } = await listening();
    const res = await t.app.inject({ method: 'HEAD', url: '/api/v1/changes/stream' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.body).toBe('');
  });

  it('ends every stream when the app closes, at once, so that the close does not wait for them', async () => {
    const { t, url } = await listening();
    const stream = await open(url);
    const other = await open(url);
    await streamsOpen(t, 2);
    const startedAt = performance.now();
    await t.app.close();
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(await stream.over).toBe('end');
    expect(await other.over).toBe('end');
    apps.splice(apps.indexOf(t), 1);
  });

  it('does not let a client that stopped reading hold the close', async () => {
    // A buffer too large to cut it for falling behind: only the close ends it.
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '20' }, streams: { bufferBytes: 1024 ** 3 } });
    const stuck = await open(url);
    await streamsOpen(t, 1);
    stuck.pause();
    await insertBigChanges(t, 2);
    // Until the socket is full and events wait in the server.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const startedAt = performance.now();
    await t.app.close();
    // At once: not after the second that a client gets to take the end.
    expect(performance.now() - startedAt).toBeLessThan(900);
    // Cut, not ended: reading again, the client finds the connection reset after what it had received.
    stuck.resume();
    expect(await stuck.over).toBe('aborted');
    apps.splice(apps.indexOf(t), 1);
  });

  it('disconnects a client that does not read while changes keep coming; it catches up with Last-Event-ID', async () => {
    const { t, url } = await listening({ env: { STREAM_POLL_MS: '20' }, streams: { bufferBytes: 64 * 1024 } });
    const stuck = await open(url);
    await streamsOpen(t, 1);
    stuck.pause();
    await insertBigChanges(t, 4);
    await streamsOpen(t, 0);
    // Reading again, the client finds the connection reset after what it had received.
    stuck.resume();
    expect(await stuck.over).toBe('aborted');
    expect(t.logs.text()).toContain('disconnected a change stream: the client fell more than 65536 bytes behind');

    // Reconnecting after the last event it received (the stream started after seq 2), it gets the rest
    // from the table, at its own pace, and is not cut for reading slowly.
    const again = await open(url, { 'last-event-id': stuck.events.at(-1)?.id ?? '2' });
    again.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    again.resume();
    const caught = await again.waitForEvents(320 - stuck.events.length, 20_000);
    expect(ids(caught)).toStrictEqual(Array.from({ length: caught.length }, (_, i) => 3 + stuck.events.length + i));
  }, 60_000);

  it('works under the other plugins: rate limit, CORS, no compression, no ETag', async () => {
    const { t, url } = await listening({
      env: { RATE_LIMIT_PER_MINUTE: '100', CORS_ORIGINS: 'https://console.example.com' },
    });
    const stream = await open(url, { origin: 'https://console.example.com', 'accept-encoding': 'gzip, br' });
    expect(stream.status).toBe(200);
    expect(stream.headers['access-control-allow-origin']).toBe('https://console.example.com');
    expect(stream.headers['x-ratelimit-limit']).toBe('100');
    expect(stream.headers['content-encoding']).toBeUndefined();
    expect(stream.headers.etag).toBeUndefined();
    await write(t, 'POST', '/servers', server(1));
    expect(ids(await stream.waitForEvents(1))).toStrictEqual([3]);
  });

  it.runIf(dialect === 'postgres')(
    'receives a change written through another replica of the same database within the poll interval',
    async () => {
      const DATABASE_URL = await freshDatabaseUrl();
      const { url } = await listening({ env: { DATABASE_URL, STREAM_POLL_MS: '200' } });
      // Another app on the database: its writes nudge its own poller, not this one.
      const other = await buildTestApp({ env: { DATABASE_URL }, seed: false });
      apps.push(other);
      const stream = await open(url);
      const startedAt = performance.now();
      await write(other, 'POST', '/servers', server(1));
      const [event] = await stream.waitForEvents(1, 2000);
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(event?.event).toBe('server.created');
      expect(dataOf(event).server).toMatchObject({ hostname: 'stream-1' });
    },
  );
});

describe('GET /api/v1/changes/stream in a server process', () => {
  it('ends on SIGTERM, cleanly and at once, and the process exits 0', async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    const server = await startServer({ env: { DATABASE_URL } });
    try {
      const stream = await open(`${server.url}/api/v1/changes/stream?after=0`);
      expect(ids(await stream.waitForEvents(2))).toStrictEqual([1, 2]);
      const startedAt = performance.now();
      const exited = server.stop('SIGTERM');
      expect(await stream.over).toBe('end');
      expect(await exited).toBe(0);
      expect(performance.now() - startedAt).toBeLessThan(3000);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
