// The delivery worker, in the app, on the database the suite runs on, against a real receiver on a
// loopback port that checks every signature with the standardwebhooks package. The app's clock is the
// test's: retries come due when the test moves it, not after real waits, and the worker is driven with
// drain() (its own poll is a minute here, so that whatever happens sooner is its wake-up's doing).
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insertable, Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import type { Database, WebhookDeliveriesTable } from '../../src/db/types.js';
import { createLogger } from '../../src/logger.js';
import { createDeliveryMetrics } from '../../src/webhooks/webhooks.metrics.js';
import { anyDue } from '../../src/webhooks/webhooks.queue.repository.js';
import { insertWebhook } from '../../src/webhooks/webhooks.repository.js';
import { MAX_CONSECUTIVE_FAILURES } from '../../src/webhooks/webhooks.retry.js';
import type {
  Webhook,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookSecret,
} from '../../src/webhooks/webhooks.schemas.js';
import { generateSecret } from '../../src/webhooks/webhooks.signing.js';
import {
  BUSY_ATTEMPTS_PER_SECOND,
  type DeliveryWorker,
  createDeliveryWorker,
} from '../../src/webhooks/webhooks.worker.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl, migratedDatabase } from '../helpers/database.js';
import { createWebhook, queueDeliveries, webhookRow } from '../helpers/webhooks.js';
import { type Handler, type Receiver, answer, hang, startReceiver, verifies } from '../helpers/webhook-receiver.js';

const ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_TIMEOUT_MS: '300',
  WEBHOOK_RETRY_SCHEDULE: '1,2,30',
};
/** Four attempts in all, the last 33 seconds after the first. */
const SCHEDULE = [1, 2, 30];
/** Whether the API is busy, as the worker is told (see the describe 'a busy API'). */
let apiBusy = false;
const WORKER = { pollIntervalMs: 60_000, random: () => 0, busy: () => apiBusy };

let receiver: Receiver;
let t: TestApp;
let clock = new Date();

function worker(app = t.app): DeliveryWorker {
  const found = app.webhookWorker;
  if (found === null) {
    throw new Error('the app runs no delivery worker');
  }
  return found;
}

beforeAll(async () => {
  receiver = await startReceiver();
  t = await buildTestApp({ env: ENV, now: () => clock, deliveryWorker: WORKER, seed: false });
});
beforeEach(() => {
  // Near the real time: the standardwebhooks package refuses a timestamp more than 5 minutes away.
  clock = new Date();
  receiver.reset();
});
afterEach(async () => {
  apiBusy = false;
  await worker().drain();
  await t.db.deleteFrom('webhooks').execute();
});
afterAll(async () => {
  await t.app.close();
  await receiver.close();
});

const advance = (seconds: number) => {
  clock = new Date(clock.getTime() + seconds * 1000);
};
const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: AS_BOOTSTRAP, ...(payload === undefined ? {} : { payload }) });

async function ping(webhookId: number): Promise<WebhookDelivery> {
  const res = await call('POST', `/api/v1/webhooks/${webhookId}/ping`);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<WebhookDelivery>();
}

/** A subscription's delivery log, oldest first. */
async function log(webhookId: number): Promise<WebhookDelivery[]> {
  const res = await call('GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<WebhookDeliveryList>().deliveries.reverse();
}

async function subscription(webhookId: number): Promise<Webhook> {
  return (await call('GET', `/api/v1/webhooks/${webhookId}`)).json<Webhook>();
}

const queue = (
  db: Kysely<Database>,
  webhookId: number,
  seqs: readonly number[],
  fields: Partial<Insertable<WebhookDeliveriesTable>> = {},
) => queueDeliveries(db, webhookId, seqs, clock, fields);

const seqOf = (body: string) => (JSON.parse(body) as { data: { seq: number } }).data.seq;

/** Runs every attempt of a delivery that keeps failing, through the whole schedule. */
async function throughSchedule(): Promise<void> {
  await worker().drain();
  for (const wait of SCHEDULE) {
    advance(wait);
    await worker().drain();
  }
}

describe('delivering', () => {
  it('sends a ping at once, signed as the standardwebhooks package verifies, and logs the attempt', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/ping') });
    const delivery = await ping(webhook.id);
    // The worker polls once a minute here: the ping woke it.
    const request = await receiver.next('/ping', 0, 3000);
    expect(verifies(webhook.secret, request)).toBe(true);
    expect(verifies(generateSecret(), request)).toBe(false);
    expect(request.headers['webhook-id']).toBe(delivery.message_id);
    expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(clock.getTime() / 1000)));
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^inventory-api-webhooks\//);
    expect(JSON.parse(request.body)).toStrictEqual({
      type: 'ping',
      timestamp: clock.toISOString(),
      data: { webhook_id: webhook.id },
    });

    await worker().drain();
    const [logged] = await log(webhook.id);
    expect(logged).toMatchObject({
      id: delivery.id,
      status: 'succeeded',
      next_attempt_at: null,
      completed_at: clock.toISOString(),
    });
    expect(logged?.attempts).toStrictEqual([
      {
        id: expect.any(Number) as unknown,
        started_at: clock.toISOString(),
        duration_ms: expect.any(Number) as unknown,
        http_status: 204,
        error: null,
        response_excerpt: '',
        signature_timestamp: Math.floor(clock.getTime() / 1000),
      },
    ]);
    const row = await t.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ attempts: 1, lease_owner: null, lease_expires_at: null });
  });

  it('retries after a 500 and after a timeout, on the schedule, then succeeds; the log shows every attempt', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/flaky') });
    receiver.sequence('/flaky', [answer(500, 'boom'), hang, answer(200, 'thanks')]);
    const start = clock;
    const delivery = await ping(webhook.id);
    await worker().drain();
    let [logged] = await log(webhook.id);
    expect(logged).toMatchObject({
      status: 'pending',
      next_attempt_at: new Date(start.getTime() + 1000).toISOString(),
    });

    // Not due yet: nothing is sent.
    await worker().drain();
    expect(receiver.at('/flaky')).toHaveLength(1);

    advance(1);
    await worker().drain();
    [logged] = await log(webhook.id);
    expect(logged).toMatchObject({
      status: 'pending',
      next_attempt_at: new Date(start.getTime() + 3000).toISOString(),
    });
    advance(2);
    await worker().drain();

    [logged] = await log(webhook.id);
    expect(logged?.status).toBe('succeeded');
    const attempts = logged?.attempts ?? [];
    expect(attempts.map((a) => [a.http_status, a.error, a.response_excerpt])).toStrictEqual([
      [500, null, 'boom'],
      [null, 'timed out after 300 ms without an answer', null],
      [200, null, 'thanks'],
    ]);
    expect(attempts[1]?.duration_ms).toBeGreaterThanOrEqual(290);
    const requests = receiver.at('/flaky');
    expect(requests.map((r) => r.headers['webhook-id'])).toStrictEqual(Array(3).fill(delivery.message_id));
    // Each attempt is signed anew, at its own time, as its log entry says.
    expect(requests.map((r) => Number(r.headers['webhook-timestamp']))).toStrictEqual(
      attempts.map((a) => a.signature_timestamp),
    );
    expect(attempts.map((a) => a.signature_timestamp)).toStrictEqual(
      [0, 1, 3].map((s) => Math.floor(start.getTime() / 1000) + s),
    );
    expect(requests.every((r) => verifies(webhook.secret, r))).toBe(true);
  });

  it("honours Retry-After on a 429 and a 503, in seconds or as a date, capped by the schedule's longest wait", async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/busy') });
    clock = new Date(Math.floor(clock.getTime() / 1000) * 1000);
    const inTen = new Date(clock.getTime() + 7000 + 3600_000 + 10_000);
    receiver.sequence('/busy', [
      answer(429, '', { 'retry-after': '7' }),
      answer(503, '', { 'retry-after': '3600' }),
      answer(503, '', { 'retry-after': inTen.toUTCString() }),
    ]);
    await ping(webhook.id);
    await worker().drain();
    const due = async () => (await log(webhook.id))[0]?.next_attempt_at;
    expect(await due()).toBe(new Date(clock.getTime() + 7000).toISOString());
    advance(7);
    await worker().drain();
    expect(await due()).toBe(new Date(clock.getTime() + 30_000).toISOString());
    // The date is read against the app's clock.
    advance(3600);
    await worker().drain();
    expect(await due()).toBe(inTen.toISOString());
    advance(10);
    await worker().drain();
    const [logged] = await log(webhook.id);
    expect(logged?.status).toBe('succeeded');
    expect(logged?.attempts.map((a) => a.http_status)).toStrictEqual([429, 503, 503, 204]);
  });

  it('fails the delivery and disables the subscription at once on 410 Gone', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/gone') });
    receiver.on('/gone', answer(410, 'unsubscribed'));
    await ping(webhook.id);
    await worker().drain();
    const [logged] = await log(webhook.id);
    expect(logged).toMatchObject({ status: 'failed', completed_at: clock.toISOString() });
    expect(logged?.attempts).toHaveLength(1);
    const after = await subscription(webhook.id);
    expect(after).toMatchObject({ active: false, consecutive_failures: 1 });
    expect(after.disabled_reason).toBe(
      `the receiver answered 410 Gone to delivery ${logged?.id} at ${clock.toISOString()}`,
    );
    expect((await call('POST', `/api/v1/webhooks/${webhook.id}/ping`)).statusCode).toBe(409);
    expect(t.logs.entries().some((e) => e.msg === 'webhook disabled' && e.webhook === webhook.id)).toBe(true);
  });

  it('does not follow a redirect: the attempt fails with its status', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/moved') });
    receiver.on('/moved', answer(307, '', { location: receiver.url('/elsewhere') }));
    await ping(webhook.id);
    await worker().drain();
    const [logged] = await log(webhook.id);
    expect(logged?.status).toBe('pending');
    expect(logged?.attempts[0]).toMatchObject({ http_status: 307 });
    expect(logged?.attempts[0]?.error).toMatch(/redirects are not followed/);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('signs with both secrets while the one before a rotation still signs', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/rotated') });
    const rotated = await call('POST', `/api/v1/webhooks/${webhook.id}/rotate-secret`);
    const { secret } = rotated.json<WebhookSecret>();
    await ping(webhook.id);
    await worker().drain();
    const [request] = receiver.at('/rotated');
    expect(request?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2);
    expect(request !== undefined && verifies(webhook.secret, request)).toBe(true);
    expect(request !== undefined && verifies(secret, request)).toBe(true);
  });

  it('redelivers a failed delivery with the same message id; the log keeps every attempt', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/down') });
    receiver.on('/down', answer(500));
    const delivery = await ping(webhook.id);
    await throughSchedule();
    let [logged] = await log(webhook.id);
    expect(logged).toMatchObject({ status: 'failed', completed_at: clock.toISOString() });
    expect(logged?.attempts).toHaveLength(SCHEDULE.length + 1);
    expect((await subscription(webhook.id)).consecutive_failures).toBe(1);

    receiver.on('/down', answer(202));
    const res = await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/${delivery.id}/redeliver`);
    expect(res.statusCode).toBe(202);
    await receiver.next('/down', SCHEDULE.length + 1, 3000);
    await worker().drain();
    [logged] = await log(webhook.id);
    expect(logged?.status).toBe('succeeded');
    expect(logged?.attempts.map((a) => a.http_status)).toStrictEqual([500, 500, 500, 500, 202]);
    expect(new Set(receiver.at('/down').map((r) => r.headers['webhook-id']))).toStrictEqual(
      new Set([delivery.message_id]),
    );
    // A success resets the failures in a row.
    expect((await subscription(webhook.id)).consecutive_failures).toBe(0);
  });
});

describe('order', () => {
  it("starts a subscription's attempts in seq order, one at a time", async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/ordered') });
    receiver.on('/ordered', (_request, res) => {
      setTimeout(() => res.writeHead(204).end(), 5);
    });
    // Queued out of order: ids and seqs disagree.
    await queue(t.db, webhook.id, [5, 1, 4, 2, 3]);
    await worker().drain();
    expect(receiver.at('/ordered').map((r) => seqOf(r.body))).toStrictEqual([1, 2, 3, 4, 5]);
    expect(receiver.maxInFlight('/ordered')).toBe(1);
  });

  it('sends a ping queued after the events before them, then the events in seq order', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/ping-first') });
    await queue(t.db, webhook.id, [3, 1, 2]);
    await queue(t.db, webhook.id, [0], {
      event_type: 'ping',
      message_id: 'msg_ping_first',
      seq: null,
      body: JSON.stringify({ type: 'ping', data: { webhook_id: webhook.id } }),
    });
    await worker().drain();
    const sent = receiver.at('/ping-first').map((r) => {
      const body = JSON.parse(r.body) as { type: string; data: { seq?: number } };
      return body.type === 'ping' ? 'ping' : body.data.seq;
    });
    expect(sent).toStrictEqual(['ping', 1, 2, 3]);
  });

  it("keeps the order when a replica's clock runs ahead: a later seq waits for an earlier one not yet due", async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/skewed') });
    // Seq 1 queued by a replica whose clock is 300 ms ahead of this one; seq 2 by this one.
    await queue(t.db, webhook.id, [1], { next_attempt_at: new Date(clock.getTime() + 300).toISOString() });
    await queue(t.db, webhook.id, [2]);
    await worker().drain();
    expect(receiver.at('/skewed')).toHaveLength(0);
    advance(0.3);
    await worker().drain();
    expect(receiver.at('/skewed').map((r) => seqOf(r.body))).toStrictEqual([1, 2]);
  });

  it('does not hold later deliveries back behind one that waits for its retry', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/held') });
    receiver.sequence('/held', [answer(500)]);
    await queue(t.db, webhook.id, [1, 2, 3]);
    await worker().drain();
    expect(receiver.at('/held').map((r) => seqOf(r.body))).toStrictEqual([1, 2, 3]);
    advance(1);
    await worker().drain();
    expect(receiver.at('/held').map((r) => seqOf(r.body))).toStrictEqual([1, 2, 3, 1]);
    expect((await log(webhook.id)).map((d) => d.status)).toStrictEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('does not start a delivery that came due while a later one of its subscription is in flight', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/in-flight') });
    let finish = () => undefined as unknown;
    receiver.sequence('/in-flight', [
      answer(500),
      (_request, res) => {
        finish = () => res.writeHead(204).end();
      },
    ]);
    await queue(t.db, webhook.id, [1, 2]);
    // Two replicas on the database, with time enough for an attempt held open.
    const replica = (owner: string) =>
      createDeliveryWorker({
        db: t.db,
        config: loadConfig({ ...ENV, WEBHOOK_TIMEOUT_MS: '10000' }).webhooks,
        logger: createLogger(loadConfig({ LOG_LEVEL: 'silent' })),
        now: () => clock,
        random: () => 0,
        owner,
      });
    const [a, b] = [replica('replica-a'), replica('replica-b')];
    // Seq 1 fails and waits for its retry; seq 2 goes, and its receiver holds it open.
    const running = a.drain();
    await receiver.next('/in-flight', 1);
    advance(1);
    // Seq 1 is due again, but seq 2 is in flight: the other replica takes nothing.
    await b.drain();
    expect(receiver.at('/in-flight')).toHaveLength(2);
    finish();
    await running;
    expect(receiver.at('/in-flight').map((r) => seqOf(r.body))).toStrictEqual([1, 2, 1]);
    expect(receiver.maxInFlight('/in-flight')).toBe(1);
  });

  it("sends other subscriptions' deliveries side by side", async () => {
    const a = await createWebhook(t, { url: receiver.url('/side-a') });
    const b = await createWebhook(t, { url: receiver.url('/side-b') });
    let waiting = 0;
    const release: (() => void)[] = [];
    const together: Handler = (_request, res) => {
      waiting += 1;
      release.push(() => {
        res.writeHead(204).end();
      });
      // Each answers only once both are in flight.
      if (waiting === 2) {
        for (const go of release) {
          go();
        }
      }
    };
    receiver.on('/side-a', together);
    receiver.on('/side-b', together);
    await ping(a.id);
    await ping(b.id);
    await worker().drain();
    expect((await log(a.id))[0]?.status).toBe('succeeded');
    expect((await log(b.id))[0]?.status).toBe('succeeded');
  });
});

describe('a busy API', () => {
  it(`starts at most ${BUSY_ATTEMPTS_PER_SECOND} attempts a second, and makes every one in the end`, async () => {
    const hooks = [];
    for (let n = 0; n < 4; n += 1) {
      hooks.push(await createWebhook(t, { url: receiver.url('/busy') }));
    }
    apiBusy = true;
    const began = performance.now();
    for (const hook of hooks) {
      await ping(hook.id);
    }
    await worker().drain();
    // Four subscriptions, whose attempts would otherwise go side by side: one claim at once, then one
    // every 1000 / BUSY_ATTEMPTS_PER_SECOND ms (a timer may fire a millisecond early by this clock).
    expect(performance.now() - began).toBeGreaterThanOrEqual((3 * 1000) / BUSY_ATTEMPTS_PER_SECOND - 5);
    for (const hook of hooks) {
      expect((await log(hook.id))[0]?.status).toBe('succeeded');
    }
    expect(receiver.at('/busy')).toHaveLength(4);
    // One at a time (they take a millisecond or two, a tenth of a second apart), not side by side.
    expect(receiver.maxInFlight('/busy')).toBe(1);
  });
});

describe('disabling', () => {
  it(`disables a subscription after ${MAX_CONSECUTIVE_FAILURES} failed deliveries in a row; its deliveries then wait`, async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/failing') });
    receiver.on('/failing', answer(500, 'down'));
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i += 1) {
      await ping(webhook.id);
    }
    await throughSchedule();
    const logged = await log(webhook.id);
    expect(logged.map((d) => d.status)).toStrictEqual(Array(MAX_CONSECUTIVE_FAILURES).fill('failed'));
    expect(receiver.at('/failing')).toHaveLength(MAX_CONSECUTIVE_FAILURES * (SCHEDULE.length + 1));
    const disabled = await subscription(webhook.id);
    expect(disabled).toMatchObject({ active: false, consecutive_failures: MAX_CONSECUTIVE_FAILURES });
    expect(disabled.disabled_reason).toBe(
      `${MAX_CONSECUTIVE_FAILURES} deliveries in a row failed; the last, delivery ${logged.at(-1)?.id}, ` +
        `at ${clock.toISOString()}: HTTP 500`,
    );

    // A delivery queued meanwhile waits, and goes once the subscription is on again.
    await queue(t.db, webhook.id, [7]);
    await worker().drain();
    expect(receiver.at('/failing')).toHaveLength(MAX_CONSECUTIVE_FAILURES * (SCHEDULE.length + 1));
    receiver.on('/failing', answer(204));
    const res = await call('PATCH', `/api/v1/webhooks/${webhook.id}`, { active: true });
    expect(res.json<Webhook>()).toMatchObject({ active: true, disabled_reason: null, consecutive_failures: 0 });
    await worker().drain();
    expect(seqOf(receiver.at('/failing').at(-1)?.body ?? '{}')).toBe(7);
  });

  it('sends nothing for a subscription turned off by hand, whose deliveries wait', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/paused'), active: false });
    await queue(t.db, webhook.id, [1]);
    // Nothing due for an active subscription: a poll takes no lock for them.
    expect(await anyDue(t.db, clock.toISOString())).toBe(false);
    await worker().drain();
    expect(receiver.at('/paused')).toHaveLength(0);
    await call('PATCH', `/api/v1/webhooks/${webhook.id}`, { active: true });
    await worker().drain();
    expect(receiver.at('/paused')).toHaveLength(1);
  });
});

describe('leases', () => {
  it('takes over a delivery whose lease lapsed (its process died), and waits for one still held', async () => {
    const lapsed = await createWebhook(t, { url: receiver.url('/lapsed') });
    const held = await createWebhook(t, { url: receiver.url('/held-lease') });
    const lease = (seconds: number) => ({
      lease_owner: 'gone-host:4242:deadbeef',
      lease_expires_at: new Date(clock.getTime() + seconds * 1000).toISOString(),
    });
    await queue(t.db, lapsed.id, [1], lease(-1));
    await queue(t.db, held.id, [1], lease(60));
    // And the held one's subscription has another delivery, which waits behind the one in flight.
    await queue(t.db, held.id, [2]);
    await worker().drain();
    expect(receiver.at('/lapsed')).toHaveLength(1);
    expect(receiver.at('/held-lease')).toHaveLength(0);

    advance(61);
    await worker().drain();
    expect(receiver.at('/held-lease').map((r) => seqOf(r.body))).toStrictEqual([1, 2]);
    const rows = await t.db.selectFrom('webhook_deliveries').select(['status', 'lease_owner']).execute();
    expect(rows).toStrictEqual(Array(3).fill({ status: 'succeeded', lease_owner: null }));
  });
});

describe('leases lost', () => {
  it('records an attempt whose lease was taken over meanwhile, and leaves the delivery to the new owner', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/late') });
    let answerLate = () => undefined as unknown;
    receiver.on('/late', (_request, res) => {
      answerLate = () => res.writeHead(204).end();
    });
    await ping(webhook.id);
    await receiver.next('/late', 0);
    // The lease lapsed (a stalled process) and another replica claimed the delivery.
    const until = new Date(clock.getTime() + 60_000).toISOString();
    await t.db.updateTable('webhook_deliveries').set({ lease_owner: 'replica-b', lease_expires_at: until }).execute();
    answerLate();
    await worker().drain();
    const row = await t.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'replica-b', lease_expires_at: until });
    const attempts = await t.db.selectFrom('webhook_attempts').select(['delivery_id', 'http_status']).execute();
    expect(attempts).toStrictEqual([{ delivery_id: row.id, http_status: 204 }]);
    expect(t.logs.entries().some((e) => e.msg === 'webhook deliveries: a lease lapsed during its attempt')).toBe(true);
  });
});

describe('retention', () => {
  it('purges done deliveries older than WEBHOOK_LOG_RETENTION_DAYS with their attempts, in batches; pending ones stay', async () => {
    const webhook = await createWebhook(t, { url: receiver.url('/old') });
    const daysAgo = (days: number) => new Date(clock.getTime() - days * 86_400_000).toISOString();
    const done = (status: 'succeeded' | 'failed', created: number, completed = created) => ({
      status,
      created_at: daysAgo(created),
      completed_at: daysAgo(completed),
      next_attempt_at: null,
    });
    await queue(t.db, webhook.id, [1, 2, 3], done('succeeded', 31));
    await queue(t.db, webhook.id, [4, 5], done('failed', 30.5, 30.2));
    await queue(t.db, webhook.id, [6], done('succeeded', 29));
    // Pending however old; not due, so that nothing sends it here.
    await queue(t.db, webhook.id, [7], { created_at: daysAgo(40), next_attempt_at: daysAgo(-1) });
    // Queued long ago, redelivered and done yesterday: kept as long as a delivery done yesterday.
    await queue(t.db, webhook.id, [9], done('succeeded', 45, 1));
    const ids = await t.db.selectFrom('webhook_deliveries').select('id').orderBy('id').execute();
    await t.db
      .insertInto('webhook_attempts')
      .values(
        ids.map(({ id }) => ({ delivery_id: id, started_at: daysAgo(31), duration_ms: 1, signature_timestamp: 1 })),
      )
      .execute();

    const purger = createDeliveryWorker({
      db: t.db,
      config: loadConfig(ENV).webhooks,
      logger: createLogger(loadConfig({ LOG_LEVEL: 'silent' })),
      now: () => clock,
      purgeBatchSize: 2,
    });
    expect(await purger.purge()).toBe(5);
    const left = await t.db.selectFrom('webhook_deliveries').select('seq').orderBy('seq').execute();
    expect(left.map((row) => row.seq)).toStrictEqual([6, 7, 9]);
    expect(await t.db.selectFrom('webhook_attempts').select('delivery_id').execute()).toHaveLength(3);
    expect(await purger.purge()).toBe(0);

    // Started, a worker purges on its own, at start and then every purgeIntervalMs.
    await queue(t.db, webhook.id, [8], done('failed', 31));
    const periodic = createDeliveryWorker({
      db: t.db,
      config: loadConfig(ENV).webhooks,
      logger: createLogger(loadConfig({ LOG_LEVEL: 'silent' })),
      now: () => clock,
      pollIntervalMs: 60_000,
      purgeIntervalMs: 20,
    });
    periodic.start();
    try {
      const seqs = async () => (await t.db.selectFrom('webhook_deliveries').select('seq').execute()).length;
      const deadline = Date.now() + 5000;
      while ((await seqs()) > 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await seqs()).toBe(3);
    } finally {
      await periodic.stop();
    }
  });
});

describe('metrics', () => {
  /** The value of one sample, such as `webhook_deliveries_total{outcome="retry"}`. */
  async function sample(series: string): Promise<number> {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return Number(line?.slice(series.length + 1));
  }

  it('counts attempts by outcome, times them, and gives the age of the oldest pending delivery', async () => {
    const before = {
      succeeded: await sample('webhook_deliveries_total{outcome="succeeded"}'),
      retry: await sample('webhook_deliveries_total{outcome="retry"}'),
      failed: await sample('webhook_deliveries_total{outcome="failed"}'),
      timed: await sample('webhook_attempt_duration_seconds_count'),
    };
    expect(await sample('webhook_oldest_pending_delivery_age_seconds')).toBe(0);
    const ok = await createWebhook(t, { url: receiver.url('/m-ok') });
    const down = await createWebhook(t, { url: receiver.url('/m-down') });
    receiver.on('/m-down', answer(503));
    await ping(ok.id);
    await ping(down.id);
    await worker().drain();
    expect(await sample('webhook_deliveries_total{outcome="succeeded"}')).toBe(before.succeeded + 1);
    expect(await sample('webhook_deliveries_total{outcome="retry"}')).toBe(before.retry + 1);
    expect(await sample('webhook_deliveries_total{outcome="failed"}')).toBe(before.failed);
    expect(await sample('webhook_attempt_duration_seconds_count')).toBe(before.timed + 2);
    advance(0.5);
    expect(await sample('webhook_oldest_pending_delivery_age_seconds')).toBe(0.5);
    await throughSchedule();
    expect(await sample('webhook_deliveries_total{outcome="failed"}')).toBe(before.failed + 1);
    expect(await sample('webhook_oldest_pending_delivery_age_seconds')).toBe(0);
  });
});

describe('the address guard at send time', () => {
  it('refuses loopback without WEBHOOK_ALLOW_PRIVATE_NETWORKS, and logs the attempt with the error', async () => {
    const strict = await buildTestApp({
      env: { WEBHOOK_TIMEOUT_MS: '300' },
      deliveryWorker: WORKER,
      seed: false,
    });
    try {
      // Made while the rule allowed it (the API refuses such a URL now).
      const ids: number[] = [];
      for (const url of [receiver.url('/guarded'), `http://localhost:${receiver.port}/guarded`]) {
        const row = await insertWebhook(strict.db, webhookRow(url, { events: '["server.created"]' }));
        ids.push(row.id);
        expect(
          (await strict.app.inject({ method: 'POST', url: `/api/v1/webhooks/${row.id}/ping`, headers: AS_BOOTSTRAP }))
            .statusCode,
        ).toBe(202);
      }
      await worker(strict.app).drain();
      const errors = await strict.db
        .selectFrom('webhook_attempts')
        .select(['http_status', 'error'])
        .orderBy('id')
        .execute();
      expect(errors).toStrictEqual([
        { http_status: null, error: expect.stringMatching(/^127\.0\.0\.1, a loopback address/) as unknown },
        {
          http_status: null,
          error: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/) as unknown,
        },
      ]);
      expect(receiver.at('/guarded')).toHaveLength(0);
    } finally {
      await strict.app.close();
    }
  });
});

describe('shutdown', () => {
  it('lets an attempt end within the grace, aborts one that does not, and releases its lease', async () => {
    const url = await freshDatabaseUrl(join(tmpdir(), `webhooks-${randomBytes(6).toString('hex')}.db`));
    const app = await buildTestApp({
      env: { ...ENV, DATABASE_URL: url, WEBHOOK_TIMEOUT_MS: '10000' },
      deliveryWorker: { ...WORKER, stopGraceMs: 400 },
      seed: false,
    });
    const slow = await createWebhook(app, { url: receiver.url('/slow') });
    const stuck = await createWebhook(app, { url: receiver.url('/stuck') });
    receiver.on('/slow', (_request, res) => {
      setTimeout(() => res.writeHead(204).end(), 150);
    });
    receiver.on('/stuck', hang);
    for (const webhook of [slow, stuck]) {
      expect(
        (await app.app.inject({ method: 'POST', url: `/api/v1/webhooks/${webhook.id}/ping`, headers: AS_BOOTSTRAP }))
          .statusCode,
      ).toBe(202);
    }
    await receiver.next('/slow', 0);
    await receiver.next('/stuck', 0);
    const closing = Date.now();
    await app.app.close();
    expect(Date.now() - closing).toBeLessThan(2000);

    const db = createDatabase(loadConfig({ DATABASE_URL: url }).database);
    try {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['webhook_id', 'status', 'attempts', 'lease_owner', 'lease_expires_at'])
        .orderBy('webhook_id')
        .execute();
      expect(rows).toStrictEqual([
        { webhook_id: slow.id, status: 'succeeded', attempts: 1, lease_owner: null, lease_expires_at: null },
        // Claimable again at once by another replica; the aborted attempt does not count.
        { webhook_id: stuck.id, status: 'pending', attempts: 0, lease_owner: null, lease_expires_at: null },
      ]);
      const attempts = await db.selectFrom('webhook_attempts').select(['http_status', 'error']).orderBy('id').execute();
      expect(attempts).toHaveLength(2);
      expect(attempts).toContainEqual({ http_status: 204, error: null });
      expect(attempts).toContainEqual({ http_status: null, error: 'aborted: the process is shutting down' });
    } finally {
      await db.destroy();
    }
  });
  it('starts no attempt once closing begins, while the server still drains its requests', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const app = await buildTestApp({
      env: ENV,
      deliveryWorker: { ...WORKER, pollIntervalMs: 50 },
      seed: false,
      extend: (instance) => {
        instance.get('/test/hold', async () => {
          await held;
          return { held: true };
        });
      },
    });
    const webhook = await createWebhook(app, { url: receiver.url('/drain') });
    const address = await app.app.listen({ host: '127.0.0.1', port: 0 });
    const request = fetch(`${address}/test/hold`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = app.app.close();
    // Due now, in the database, while the request above keeps the server draining: the worker, polling
    // every 50 ms, would have sent it.
    await queueDeliveries(app.db, webhook.id, [1], new Date());
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.at('/drain')).toHaveLength(0);
    release?.();
    expect((await request).status).toBe(200);
    await closed;
    expect(receiver.at('/drain')).toHaveLength(0);
  });
});

describe('several workers on one database', () => {
  it('makes each attempt exactly once, in order per subscription', async () => {
    const url = await freshDatabaseUrl(join(tmpdir(), `webhooks-${randomBytes(6).toString('hex')}.db`));
    const config = loadConfig({ ...ENV, DATABASE_URL: url, WEBHOOK_TIMEOUT_MS: '5000' });
    const setup = await migratedDatabase(config.database);
    const subscriptions = 8;
    const perSubscription = 25;
    for (let i = 1; i <= subscriptions; i += 1) {
      const row = await insertWebhook(
        setup,
        webhookRow(receiver.url(`/replica-${i}`), { events: '["server.updated"]' }),
      );
      receiver.on(`/replica-${i}`, (_request, res) => {
        setTimeout(() => res.writeHead(204).end(), Math.floor(Math.random() * 3));
      });
      await queue(
        setup,
        row.id,
        Array.from({ length: perSubscription }, (_, n) => n + 1),
      );
    }
    await setup.destroy();

    const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));
    // On PostgreSQL each worker has a pool of its own, as replicas do. SQLite serves one process, and
    // better-sqlite3 waits for a lock synchronously: two connections of one process that take turns
    // through the event loop would wait for each other until busy_timeout; the workers share one.
    const shared = dialect === 'sqlite' ? createDatabase(config.database) : undefined;
    const replicas = ['replica-a', 'replica-b'].map((owner) => {
      const db = shared ?? createDatabase(config.database);
      const registry = new Registry();
      const metrics = createDeliveryMetrics(registry, db, () => new Date());
      const replica = createDeliveryWorker({
        db,
        config: config.webhooks,
        logger,
        metrics,
        owner,
        pollIntervalMs: 5,
        concurrency: 3,
      });
      return { db, metrics, worker: replica };
    });
    const total = subscriptions * perSubscription;
    try {
      for (const replica of replicas) {
        replica.worker.start();
      }
      const deadline = Date.now() + 20_000;
      while (receiver.received.length < total && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const replica of replicas) {
        await replica.worker.stop();
      }
      expect(receiver.received).toHaveLength(total);
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(total);
      for (let i = 1; i <= subscriptions; i += 1) {
        expect(receiver.at(`/replica-${i}`).map((r) => seqOf(r.body))).toStrictEqual(
          Array.from({ length: perSubscription }, (_, n) => n + 1),
        );
        expect(receiver.maxInFlight(`/replica-${i}`)).toBe(1);
      }
      const [{ db } = { db: undefined }] = replicas;
      if (db === undefined) {
        throw new Error('no replica');
      }
      expect(await db.selectFrom('webhook_attempts').select('id').execute()).toHaveLength(total);
      const statuses = await db.selectFrom('webhook_deliveries').select('status').distinct().execute();
      expect(statuses).toStrictEqual([{ status: 'succeeded' }]);
      const done = await Promise.all(
        replicas.map(
          async (r) =>
            (await r.metrics.deliveries.get()).values.find((v) => v.labels.outcome === 'succeeded')?.value ?? 0,
        ),
      );
      expect(done.reduce((sum, count) => sum + count, 0)).toBe(total);
      // Both took part.
      expect(Math.min(...done)).toBeGreaterThan(0);
    } finally {
      for (const replica of replicas) {
        await replica.worker.stop();
      }
      await Promise.all([...new Set(replicas.map((replica) => replica.db))].map((db) => db.destroy()));
    }
  });
});
