// The fan-out: changes of the feed turned into deliveries, one per change and subscription that wants
// it, on the database the suite runs on. Nothing is sent here (the delivery worker sends).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { databaseLower } from '../../src/servers/query/lower-case.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { WRITE_LOCK_KEY } from '../../src/db/transaction.js';
import { FANOUT_CHANGES, FANOUT_TURN_KEY, createFanOut, startFanOut } from '../../src/webhooks/webhooks.fanout.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';
import { createWebhook } from '../helpers/webhooks.js';

let t: TestApp;
const clock = new Date('2026-06-01T10:00:00.000Z');
beforeEach(async () => {
  t = await buildTestApp({ now: () => clock });
});
afterEach(async () => {
  await t.app.close();
});

const call = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: AS_BOOTSTRAP, ...(payload === undefined ? {} : { payload }) });
const fanOut = () => createFanOut(t.db, { lower: () => databaseLower(t.db), logger: t.app.log, now: () => clock });

let hosts = 0;
async function createServer(hostname: string, fields: Record<string, unknown> = {}): Promise<number> {
  hosts += 1;
  const res = await call('POST', '/api/v1/servers', {
    hostname,
    ip: `10.9.0.${hosts}`,
    status: 'up',
    ...fields,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: number }>().id;
}

interface Body {
  type: string;
  timestamp: string;
  data: { seq: number; server_id: number; action: string; actor: string; changes: object; server: unknown };
}

async function deliveries() {
  const rows = await t.db.selectFrom('webhook_deliveries').selectAll().orderBy('id').execute();
  return rows.map((row) => ({ ...row, parsed: JSON.parse(row.body) as Body }));
}

describe('the webhooks fan-out', () => {
  it('queues one delivery per change and subscription, with the event, its diff and the server after it (before, for a delete)', async () => {
    const webhook = await createWebhook(t);
    const id = await createServer('fan-01', { environment: 'staging' });
    expect((await call('PATCH', `/api/v1/servers/${id}`, { status: 'down' })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/v1/servers/${id}`)).statusCode).toBe(204);
    // The sample servers' two creates are read too, and are nobody's: they came before the subscription.
    expect(await fanOut().pass()).toEqual({ changes: 5, queued: 3 });

    const rows = await deliveries();
    expect(rows.map((row) => [row.event_type, row.status, row.webhook_id])).toEqual([
      ['server.created', 'pending', webhook.id],
      ['server.updated', 'pending', webhook.id],
      ['server.deleted', 'pending', webhook.id],
    ]);
    const changes = await t.db
      .selectFrom('server_changes')
      .selectAll()
      .where('server_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(changes).toHaveLength(3);
    for (const [row, change] of rows.map((row, i) => [row, changes[i]] as const)) {
      if (change === undefined) {
        throw new Error('a delivery without its change');
      }
      expect(row.seq).toBe(change.seq);
      expect(row.message_id).toBe(`msg_${change.seq}_${webhook.id}`);
      expect(row.next_attempt_at).toBe(clock.toISOString());
      expect(row.parsed).toStrictEqual({
        type: row.event_type,
        timestamp: change.at,
        data: {
          seq: change.seq,
          server_id: id,
          action: change.action,
          actor: change.actor,
          changes: JSON.parse(change.changes) as object,
          server: JSON.parse(change.server ?? 'null') as object,
        },
      });
    }
    expect(rows[1]?.parsed.data.changes).toEqual({ status: { from: 'up', to: 'down' } });
    // The delete carries the server as it was before it.
    expect(rows[2]?.parsed.data.server).toMatchObject({ id, hostname: 'fan-01', status: 'down' });

    // The position moved: a second pass finds nothing.
    expect(await fanOut().pass()).toEqual({ changes: 0, queued: 0 });
    const state = await t.db.selectFrom('webhook_state').select('last_seq').executeTakeFirstOrThrow();
    expect(state.last_seq).toBe(changes[2]?.seq);
  });

  it("keeps to each subscription's events, filter and start, and skips inactive ones", async () => {
    const before = await createServer('fan-early');
    const all = await createWebhook(t);
    const deletes = await createWebhook(t, { events: ['server.deleted'] });
    const production = await createWebhook(t, { filter: 'environment=production&status=up' });
    const off = await createWebhook(t, { active: false });
    const prod = await createServer('fan-prod', { environment: 'production' });
    const staging = await createServer('fan-staging', { environment: 'staging' });
    // Leaves the filter: the state after the change decides (down), so production hears nothing.
    expect((await call('PATCH', `/api/v1/servers/${prod}`, { status: 'down' })).statusCode).toBe(200);
    expect((await call('PATCH', `/api/v1/servers/${prod}`, { status: 'up' })).statusCode).toBe(200);
    // A delete is matched against the server before it.
    expect((await call('DELETE', `/api/v1/servers/${prod}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/v1/servers/${before}`)).statusCode).toBe(204);
    await fanOut().pass();

    const rows = await deliveries();
    const of = (webhookId: number) =>
      rows.filter((row) => row.webhook_id === webhookId).map((row) => [row.event_type, row.parsed.data.server_id]);
    // The change before the subscriptions existed (fan-early's create) is nobody's.
    expect(of(all.id)).toEqual([
      ['server.created', prod],
      ['server.created', staging],
      ['server.updated', prod],
      ['server.updated', prod],
      ['server.deleted', prod],
      ['server.deleted', before],
    ]);
    expect(of(deletes.id)).toEqual([
      ['server.deleted', prod],
      ['server.deleted', before],
    ]);
    expect(of(production.id)).toEqual([
      ['server.created', prod],
      ['server.updated', prod],
      ['server.deleted', prod],
    ]);
    expect(of(off.id)).toEqual([]);
  });

  it('matches custom-field filters against the definitions of now; a filter whose field is gone matches nothing, logged once', async () => {
    expect((await call('POST', '/api/v1/custom-fields', { name: 'rack', type: 'string' })).statusCode).toBe(201);
    const webhook = await createWebhook(t, { filter: 'cf_rack=R1' });
    await createServer('fan-r1', { custom_fields: { rack: 'R1' } });
    await createServer('fan-r2', { custom_fields: { rack: 'R2' } });
    await fanOut().pass();
    expect((await deliveries()).map((row) => row.parsed.data.server)).toEqual([
      expect.objectContaining({ hostname: 'fan-r1', custom_fields: { rack: 'R1' } }),
    ]);

    expect((await call('DELETE', '/api/v1/custom-fields/rack?force=true')).statusCode).toBe(204);
    await createServer('fan-r3');
    const fan = fanOut();
    await fan.pass();
    await createServer('fan-r4');
    await fan.pass();
    expect(await deliveries()).toHaveLength(1);
    const warnings = t.logs.entries().filter((entry) => entry.webhook === webhook.id && entry.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/filter no longer holds/);
  });

  it('reads a custom-field filter whose name is percent-encoded as the list does', async () => {
    expect((await call('POST', '/api/v1/custom-fields', { name: 'rack', type: 'string' })).statusCode).toBe(201);
    await createWebhook(t, { filter: '%63f_rack=R1' });
    await createServer('fan-enc-1', { custom_fields: { rack: 'R1' } });
    await createServer('fan-enc-2', { custom_fields: { rack: 'R2' } });
    await fanOut().pass();
    expect((await deliveries()).map((row) => row.parsed.data.server)).toEqual([
      expect.objectContaining({ hostname: 'fan-enc-1' }),
    ]);
  });

  it('spaces its passes out while the API is busy, with every wake-up meanwhile taken by the next pass', async () => {
    const busyIntervalMs = 150;
    let busy = true;
    const starts: number[] = [];
    const loop = startFanOut(
      {
        pass: () => {
          starts.push(performance.now());
          return Promise.resolve({ changes: 1, queued: 0 });
        },
      },
      // The poll does not wake it during the test: the wakes are the test's.
      { intervalMs: 60_000, busy: () => busy, busyIntervalMs },
    );
    try {
      // Wakes after each of many commits: passes at most one per interval, each taking all the wakes before it.
      const until = performance.now() + 4 * busyIntervalMs;
      while (performance.now() < until) {
        loop.wake();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // One more, after whatever pass the last wakes may have had: one pass is owed to it.
      const woken = starts.length;
      loop.wake();
      expect(woken).toBeGreaterThanOrEqual(2);
      expect(woken).toBeLessThanOrEqual(6);
      for (let i = 1; i < starts.length; i += 1) {
        // A timer may fire up to a millisecond before performance.now() says its time came.
        expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(busyIntervalMs - 2);
      }
      // That wake came during a wait, or after the last pass: one more pass after it, then none.
      await expect.poll(() => starts.length, { timeout: 2000 }).toBe(woken + 1);
      await new Promise((resolve) => setTimeout(resolve, 2 * busyIntervalMs));
      expect(starts).toHaveLength(woken + 1);
      // No longer busy: a wake is a pass at once, however recent the last.
      busy = false;
      loop.wake();
      await expect.poll(() => starts.length, { timeout: 100, interval: 5 }).toBe(woken + 2);
    } finally {
      await loop.stop();
    }
  });

  it('stops during a paced wait without waiting for it to end', async () => {
    let passes = 0;
    const loop = startFanOut(
      {
        pass: () => {
          passes += 1;
          return Promise.resolve({ changes: 0, queued: 0 });
        },
      },
      { intervalMs: 60_000, busy: () => true, busyIntervalMs: 60_000 },
    );
    // Once the first pass has ended, the next waits a minute.
    await expect.poll(() => passes).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    loop.wake();
    const began = performance.now();
    await loop.stop();
    expect(performance.now() - began).toBeLessThan(10_000);
    expect(passes).toBe(1);
  });

  it('logs an outage once as it starts and once as it ends, and loses no wake-up meanwhile', async () => {
    let calls = 0;
    const results = [new Error('database away'), new Error('database away'), { changes: 1, queued: 1 }];
    let queued = 0;
    const loop = startFanOut(
      {
        pass: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const result = results[Math.min(calls, results.length - 1)] ?? { changes: 0, queued: 0 };
          calls += 1;
          if (result instanceof Error) {
            throw result;
          }
          return result;
        },
      },
      { intervalMs: 20, logger: t.app.log, onQueued: () => (queued += 1) },
    );
    try {
      await expect.poll(() => queued, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    } finally {
      await loop.stop();
    }
    const messages = t.logs.entries().map((entry) => String(entry.msg));
    expect(messages.filter((msg) => msg.startsWith('the webhooks fan-out failed'))).toHaveLength(1);
    expect(messages.filter((msg) => msg === 'the webhooks fan-out works again')).toHaveLength(1);
  });

  it('delivers a change written without the server state (by an older revision) with server null, to unfiltered subscriptions only', async () => {
    const all = await createWebhook(t);
    await createWebhook(t, { filter: 'status=up' });
    const id = await createServer('fan-old');
    await sql`update server_changes set server = null where server_id = ${id}`.execute(t.db);
    await fanOut().pass();
    const rows = await deliveries();
    expect(rows.map((row) => [row.webhook_id, row.parsed.data.server])).toEqual([[all.id, null]]);
  });

  it('never queues an event twice for a subscription, whatever runs the pass again', async () => {
    const webhook = await createWebhook(t);
    await createServer('fan-twice');
    await fanOut().pass();
    // A position moved back, as after a restore: the unique message id keeps the queue as it was.
    await t.db.updateTable('webhook_state').set({ last_seq: 0 }).execute();
    await fanOut().pass();
    const rows = await deliveries();
    expect(rows.map((row) => row.webhook_id)).toEqual([webhook.id]);
  });

  it('works through a backlog larger than a pass, in order, when started, and wakes the worker', async () => {
    await createWebhook(t);
    const count = FANOUT_CHANGES + 20;
    const servers = Array.from({ length: count }, (_, i) => ({
      hostname: `fan-bulk-${String(i).padStart(4, '0')}`,
      ip: `10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      status: 'up',
    }));
    const res = await call('POST', '/api/v1/servers', servers);
    expect(res.statusCode, res.body).toBe(201);
    let woken = 0;
    const loop = startFanOut(fanOut(), { intervalMs: 60_000, onQueued: () => (woken += 1) });
    try {
      await expect.poll(async () => (await deliveries()).length, { timeout: 10_000 }).toBe(count);
    } finally {
      await loop.stop();
    }
    const seqs = (await deliveries()).map((row) => row.seq ?? 0);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(woken).toBeGreaterThanOrEqual(2);
  });
});

describe.runIf(dialect === 'postgres')('the webhooks fan-out on PostgreSQL', () => {
  /** Runs `work` while another transaction holds the advisory lock `key`, released when `work` ends. */
  const whileLocked = (key: number, work: () => Promise<void>) =>
    t.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(key)})`.execute(trx);
      await work();
    });

  it("does not wait for the API's write lock: a pass queues while a write holds it", async () => {
    const webhook = await createWebhook(t);
    await createServer('fan-unlocked');
    await whileLocked(WRITE_LOCK_KEY, async () => {
      const passed = await Promise.race([fanOut().pass(), sleep(5000).then(() => 'waited' as const)]);
      expect(passed).toMatchObject({ queued: 1 });
    });
    expect((await deliveries()).map((row) => row.webhook_id)).toEqual([webhook.id]);
  });

  it("takes turns with the other replicas' passes", async () => {
    await createWebhook(t);
    await createServer('fan-turns');
    let pass: Promise<unknown> | undefined;
    await whileLocked(FANOUT_TURN_KEY, async () => {
      pass = fanOut().pass();
      const first = await Promise.race([pass, sleep(300).then(() => 'waiting' as const)]);
      expect(first).toBe('waiting');
    });
    await expect(pass).resolves.toMatchObject({ queued: 1 });
  });
});
