// Server events end to end in one app: a write commits, the fan-out queues its deliveries at once, the
// worker sends them, signed, to a real receiver on a loopback port that checks the signature with the
// standardwebhooks package. On the database the suite runs on.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { section } from '../helpers/docs-reference.js';
import { createWebhook } from '../helpers/webhooks.js';
import { type Receiver, startReceiver, verifies } from '../helpers/webhook-receiver.js';

let receiver: Receiver;
let t: TestApp;
beforeAll(async () => {
  receiver = await startReceiver();
  // Polls (the fan-out's and the worker's) far apart: what arrives within the test's seconds came from
  // the wake-ups after commits.
  t = await buildTestApp({
    env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000' },
    deliveryWorker: { pollIntervalMs: 60_000 },
    seed: false,
  });
});
beforeEach(() => {
  receiver.reset();
});
afterAll(async () => {
  await t.app.close();
  await receiver.close();
});

const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: AS_BOOTSTRAP, ...(payload === undefined ? {} : { payload }) });

interface Event {
  type: string;
  timestamp: string;
  data: { seq: number; server_id: number; action: string; actor: string; changes: object; server: unknown };
}

describe('server events', () => {
  it('reach the receiver signed, in order, for the events and servers each subscription asked for', async () => {
    const all = await createWebhook(t, { url: receiver.url('/all') });
    const web = await createWebhook(t, { url: receiver.url('/web'), filter: 'role=web', events: ['server.deleted'] });
    const created = await call('POST', '/api/v1/servers', {
      hostname: 'ev-01',
      ip: '10.7.0.1',
      status: 'up',
      role: 'web',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: number }>().id;
    expect((await call('PATCH', `/api/v1/servers/${id}`, { status: 'maintenance' })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/v1/servers/${id}`)).statusCode).toBe(204);

    const first = await receiver.next('/all', 0);
    await receiver.next('/all', 1);
    await receiver.next('/all', 2);
    const deleted = await receiver.next('/web', 0);
    const events = receiver.at('/all').map((request) => JSON.parse(request.body) as Event);
    expect(events.map((event) => [event.type, event.data.server_id])).toEqual([
      ['server.created', id],
      ['server.updated', id],
      ['server.deleted', id],
    ]);
    expect(events[1]?.data.changes).toEqual({ status: { from: 'up', to: 'maintenance' } });
    expect(events[1]?.data.server).toMatchObject({ id, hostname: 'ev-01', status: 'maintenance' });
    expect(events[2]?.data.server).toMatchObject({ id, status: 'maintenance' });
    expect(first.headers['webhook-id']).toBe(`msg_${events[0]?.data.seq}_${all.id}`);
    for (const request of receiver.at('/all')) {
      expect(verifies(all.secret, request)).toBe(true);
      expect(verifies(web.secret, request)).toBe(false);
    }
    expect(verifies(web.secret, deleted)).toBe(true);
    expect((JSON.parse(deleted.body) as Event).type).toBe('server.deleted');
    expect(receiver.at('/web')).toHaveLength(1);

    // The body docs/webhooks.md shows has the fields of the real one, no more, no fewer.
    const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    const shown = /```json\n([\s\S]*?)```/u.exec(section(doc, '## Events'))?.[1] ?? '{}';
    const example = JSON.parse(shown) as Event;
    expect(Object.keys(example).sort()).toEqual(Object.keys(events[1] ?? {}).sort());
    expect(Object.keys(example.data).sort()).toEqual(Object.keys(events[1]?.data ?? {}).sort());
    expect(example.type).toBe('server.updated');
  });
});
