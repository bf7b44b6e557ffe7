// Webhooks across real server processes: a SIGKILL while deliveries are pending and one is in flight
// loses no event (at least once), and two replicas on one PostgreSQL schema send each event exactly
// once. Every request is checked against its signature with the standardwebhooks package. The two
// tests run side by side: the first spends most of its time waiting out the lease of the attempt the
// kill cut short (WEBHOOK_TIMEOUT_MS + 5 s), since a process that dies cannot give its leases back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { eventMessageId } from '../../src/webhooks/webhooks.events.js';
import type { WebhookDelivery, WebhookDeliveryList, WebhookWithSecret } from '../../src/webhooks/webhooks.schemas.js';
import { BOOTSTRAP_TOKEN } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl } from '../helpers/database.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';
import { type Received, type Receiver, answer, startReceiver, verifies } from '../helpers/webhook-receiver.js';

const HEADERS = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };
const WEBHOOK_ENV = {
  INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
  INVENTORY_SEED: 'false',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1',
  // Short, as the lease is this plus 5 s; long enough for the kill to find the attempt still in flight.
  WEBHOOK_TIMEOUT_MS: '2000',
};

interface Event {
  type: string;
  data: { seq: number; server_id: number };
}

const processes: ServerProcess[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(
    processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null).map((p) => p.stop('SIGKILL')),
  );
  await Promise.all(receivers.map((r) => r.close()));
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ env: { ...WEBHOOK_ENV, ...env } });
  processes.push(server);
  return server;
}

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

function call(base: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/api/v1${path}`, {
    method,
    headers: HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The body of an answer that must have this status. */
async function bodyOf<T>(res: Response, status: number): Promise<T> {
  if (res.status !== status) {
    throw new Error(`${res.url} answered ${res.status}, not ${status}: ${await res.text()}`);
  }
  return (await res.json()) as T;
}

async function subscribe(base: string, url: string): Promise<WebhookWithSecret> {
  return bodyOf<WebhookWithSecret>(await call(base, 'POST', '/webhooks', { url }), 201);
}

let servers = 0;
/** Creates a server with a host name and an address of its own; answers its id. */
async function createServer(base: string): Promise<number> {
  const n = ++servers;
  const res = await call(base, 'POST', '/servers', { hostname: `hook-${n}`, ip: `10.70.${n >> 8}.${n & 255}` });
  return (await bodyOf<{ id: number }>(res, 201)).id;
}

/** The seqs of the change feed after `after`. */
async function feedAfter(base: string, after: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let from = after; ;) {
    const res = await call(base, 'GET', `/changes?after=${from}&limit=1000`);
    const page = (await bodyOf<{ changes: { seq: number }[] }>(res, 200)).changes;
    if (page.length === 0) {
      return seqs;
    }
    seqs.push(...page.map((change) => change.seq));
    from = page[page.length - 1]?.seq ?? from;
  }
}

/** Every delivery of a subscription, following the pages. */
async function deliveries(base: string, webhookId: number): Promise<WebhookDelivery[]> {
  const all: WebhookDelivery[] = [];
  for (let cursor: string | null = ''; cursor !== null;) {
    const query = cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await call(base, 'GET', `/webhooks/${webhookId}/deliveries?limit=100${query}`);
    const page = await bodyOf<WebhookDeliveryList>(res, 200);
    all.push(...page.deliveries);
    cursor = page.next;
  }
  return all;
}

/** Polls `done` until it holds; fails after `timeoutMs`. */
async function waitUntil(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const idOf = (request: Received) => String(request.headers['webhook-id']);
const is2xx = (status: number | 'cut' | undefined) => typeof status === 'number' && status >= 200 && status < 300;

describe.concurrent('webhook deliveries from real server processes', () => {
  it(
    'sends every event at least once after a SIGKILL and a restart on the same database, signed; repeats only an attempt with no recorded 2xx',
    { timeout: 90_000 },
    async ({ expect }) => {
      const dir = mkdtempSync(join(tmpdir(), 'inventory-webhooks-'));
      dirs.push(dir);
      const env = { DATABASE_URL: await freshDatabaseUrl(join(dir, 'inventory.db')) };
      const hooks = await receiver();

      // What the receiver answered to each webhook-id, in order: a status, or 'cut' for the request in
      // flight when the server died, which it never answered. It fails at first (503: those deliveries
      // wait for their retry), then holds one request until the kill, then answers 200.
      const answers = new Map<string, (number | 'cut')[]>();
      let phase: 'failing' | 'holding' | 'restarted' = 'failing';
      let holding!: (id: string) => void;
      const held = new Promise<string>((resolve) => (holding = resolve));
      hooks.on('/hook', (request, res) => {
        const id = idOf(request);
        const list = answers.get(id) ?? [];
        answers.set(id, list);
        if (phase === 'restarted') {
          list.push(200);
          res.writeHead(200).end();
        } else if (phase === 'holding') {
          list.push('cut');
          holding(id);
        } else {
          list.push(503);
          res.writeHead(503).end();
        }
      });

      const first = await start(env);
      const webhook = await subscribe(first.url, hooks.url('/hook'));

      // A burst of 40 changes (20 servers created, each then updated), 8 writers at once.
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let n = writer; n < 20; n += 8) {
            const id = await createServer(first.url);
            await bodyOf(await call(first.url, 'PATCH', `/servers/${id}`, { notes: `after ${n}` }), 200);
          }
        }),
      );
      // Once four attempts have failed, the next is held: in flight at the kill, the others queued.
      await hooks.next('/hook', 3, 10_000);
      phase = 'holding';
      const cutId = await held;

      // Ten more writes at once, and the kill as soon as one of them is acknowledged: changes committed
      // a moment before it, which the fan-out may not have turned into deliveries yet.
      let acknowledged!: () => void;
      const oneAcknowledged = new Promise<void>((resolve) => (acknowledged = resolve));
      const late = Promise.allSettled(
        Array.from({ length: 10 }, async () => {
          await createServer(first.url);
          acknowledged();
        }),
      );
      await Promise.race([oneAcknowledged, late]);
      expect(await first.stop('SIGKILL')).toBeNull();
      for (const result of await late) {
        // A write cut by the kill fails as a network error (fetch's TypeError), nothing else.
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(TypeError);
        }
      }

      phase = 'restarted';
      const second = await start(env);
      const expected = (await feedAfter(second.url, webhook.after_seq)).map((seq) => eventMessageId(seq, webhook.id));
      expect(expected.length).toBeGreaterThanOrEqual(41);
      let log: WebhookDelivery[] = [];
      // The cut attempt's lease holds its subscription's deliveries back until it lapses (about 7 s).
      await waitUntil('every event is delivered', 60_000, async () => {
        log = await deliveries(second.url, webhook.id);
        return log.length === expected.length && log.every((d) => d.status === 'succeeded');
      });

      // One delivery per change of the feed; the receiver got every one of them, signed.
      expect(log.map((d) => d.message_id).sort()).toStrictEqual([...expected].sort());
      expect([...answers.keys()].sort()).toStrictEqual([...expected].sort());
      const seqOf = new Map(log.map((d) => [d.message_id, d.seq]));
      for (const request of hooks.at('/hook')) {
        expect(verifies(webhook.secret, request), idOf(request)).toBe(true);
        expect((JSON.parse(request.body) as Event).data.seq, idOf(request)).toBe(seqOf.get(idOf(request)));
      }

      // At least once, and no more than that: each event was answered 2xx once, to its last request;
      // the log holds exactly what the receiver answered (nothing is succeeded that was not received),
      // but for the request the kill cut, which was then sent again.
      for (const delivery of log) {
        const answered = answers.get(delivery.message_id) ?? [];
        expect(answered.filter(is2xx), delivery.message_id).toHaveLength(1);
        expect(is2xx(answered.at(-1)), delivery.message_id).toBe(true);
        expect(
          delivery.attempts.map((a) => a.http_status),
          delivery.message_id,
        ).toStrictEqual(answered.filter((status) => status !== 'cut'));
      }
      const cut = [...answers].filter(([, list]) => list.includes('cut'));
      expect(cut.map(([id, list]) => [id, list.filter((status) => status === 'cut').length])).toStrictEqual([
        [cutId, 1],
      ]);
      expect(answers.get(cutId)?.slice(-2)).toStrictEqual(['cut', 200]);
      expect([...answers.values()].filter((list) => list[0] === 503).length).toBeGreaterThanOrEqual(4);

      expect(await second.stop('SIGTERM')).toBe(0);
    },
  );

  it.runIf(dialect === 'postgres')(
    'sends each of 200 events written through two replicas on one PostgreSQL schema exactly once: one attempt each',
    { timeout: 60_000 },
    async ({ expect }) => {
      const env = { DATABASE_URL: await freshDatabaseUrl() };
      const hooks = await receiver();
      hooks.on('/hook', answer(200));
      // Both start at once on the empty schema: one migrates, the other waits for it.
      const replicas = await Promise.all([start(env), start(env)]);
      const base = (i: number) => replicas[i % 2]?.url ?? '';
      const webhook = await subscribe(base(0), hooks.url('/hook'));

      // 200 creates, through one replica and the other in turn, 16 at a time.
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let n = next++; n < 200; n = next++) {
            await createServer(base(n));
          }
        }),
      );
      const expected = (await feedAfter(base(1), webhook.after_seq)).map((seq) => eventMessageId(seq, webhook.id));
      expect(expected).toHaveLength(200);

      let log: WebhookDelivery[] = [];
      await waitUntil('200 deliveries succeeded', 30_000, async () => {
        log = await deliveries(base(1), webhook.id);
        return log.length === 200 && log.every((d) => d.status === 'succeeded');
      });
      // A poll of each replica later, nothing more came.
      await new Promise((resolve) => setTimeout(resolve, 1000));

      const received = hooks.at('/hook');
      expect(received).toHaveLength(200);
      expect(new Set(received.map(idOf)).size).toBe(200);
      expect(received.map(idOf).sort()).toStrictEqual([...expected].sort());
      for (const request of received) {
        expect(verifies(webhook.secret, request), idOf(request)).toBe(true);
      }
      log = await deliveries(base(0), webhook.id);
      expect(log.map((d) => [d.status, d.attempts.map((a) => a.http_status)])).toStrictEqual(
        Array.from({ length: 200 }, () => ['succeeded', [200]]),
      );

      expect(await Promise.all(replicas.map((r) => r.stop('SIGTERM')))).toStrictEqual([0, 0]);
    },
  );
});
