// Pings, the delivery log and redelivery over HTTP, on the database the suite runs on. Nothing is sent
// here: these routes queue deliveries for the delivery worker; the attempts are written as it writes them.
import type { Insertable } from 'kysely';
import type { Response as LightMyRequestResponse } from 'light-my-request';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookAttemptsTable, WebhookDeliveriesTable } from '../../src/db/types.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import type { WebhookDelivery, WebhookDeliveryList } from '../../src/webhooks/webhooks.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { createWebhook, queueDeliveries } from '../helpers/webhooks.js';

let t: TestApp;
let clock: Date;
beforeEach(async () => {
  clock = new Date('2026-06-01T10:00:00.000Z');
  t = await buildTestApp({ now: () => clock });
});
afterEach(async () => {
  await t.app.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: AS_BOOTSTRAP, ...(payload === undefined ? {} : { payload }) });
const error = (res: LightMyRequestResponse) => res.json<ErrorResponse>();
const page = (res: LightMyRequestResponse) => res.json<WebhookDeliveryList>();

const queued = (webhookId: number, seqs: number[], fields: Partial<Insertable<WebhookDeliveriesTable>> = {}) =>
  queueDeliveries(t.db, webhookId, seqs, clock, fields);

const attempt = (deliveryId: number, at: string, fields: Partial<Insertable<WebhookAttemptsTable>> = {}) =>
  t.db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: deliveryId,
      started_at: at,
      duration_ms: 120,
      http_status: 500,
      error: null,
      response_excerpt: 'Internal Server Error',
      signature_timestamp: Math.floor(Date.parse(at) / 1000),
      ...fields,
    })
    .execute();

describe('POST /api/v1/webhooks/:id/ping', () => {
  it('queues a ping due now, with a body of its own and a message id: 202 and the delivery', async () => {
    const webhook = await createWebhook(t);
    const res = await call('POST', `/api/v1/webhooks/${webhook.id}/ping`);
    expect(res.statusCode).toBe(202);
    const delivery = res.json<WebhookDelivery>();
    expect(delivery).toStrictEqual({
      id: 1,
      webhook_id: webhook.id,
      event_type: 'ping',
      message_id: expect.stringMatching(/^msg_ping_[A-Za-z0-9_-]{22}$/) as unknown,
      seq: null,
      status: 'pending',
      next_attempt_at: '2026-06-01T10:00:00.000Z',
      created_at: '2026-06-01T10:00:00.000Z',
      completed_at: null,
      attempts: [],
    });
    const row = await t.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(row.body)).toStrictEqual({
      type: 'ping',
      timestamp: '2026-06-01T10:00:00.000Z',
      data: { webhook_id: webhook.id },
    });
    expect(row).toMatchObject({ attempts: 0, lease_owner: null, lease_expires_at: null });
    const again = (await call('POST', `/api/v1/webhooks/${webhook.id}/ping`)).json<WebhookDelivery>();
    expect(again.message_id).not.toBe(delivery.message_id);
  });

  it('answers 409 WEBHOOK_INACTIVE for an inactive subscription, saying why it was disabled', async () => {
    const webhook = await createWebhook(t, { active: false });
    const res = await call('POST', `/api/v1/webhooks/${webhook.id}/ping`);
    expect(res.statusCode).toBe(409);
    expect(error(res)).toMatchObject({
      code: 'WEBHOOK_INACTIVE',
      details: [{ field: 'id', message: 'webhook 1 is inactive' }],
    });
    await t.db.updateTable('webhooks').set({ disabled_reason: 'the receiver answered 410 Gone' }).execute();
    const disabled = await call('POST', `/api/v1/webhooks/${webhook.id}/ping`);
    expect(error(disabled).details).toStrictEqual([
      { field: 'id', message: 'webhook 1 was disabled: the receiver answered 410 Gone' },
    ]);
    expect(await t.db.selectFrom('webhook_deliveries').selectAll().execute()).toStrictEqual([]);
  });
});

describe('GET /api/v1/webhooks/:id/deliveries', () => {
  it('lists the deliveries newest first, each with its attempts in the order they were made', async () => {
    const webhook = await createWebhook(t);
    const other = await createWebhook(t);
    await queued(webhook.id, [3, 4]);
    await queued(other.id, [3]);
    await attempt(1, '2026-06-01T10:00:01.000Z');
    await attempt(1, '2026-06-01T10:00:06.000Z', {
      http_status: null,
      error: 'timed out after 15000 ms',
      response_excerpt: null,
      duration_ms: 15000,
    });
    await attempt(3, '2026-06-01T10:00:02.000Z', { http_status: 204, response_excerpt: '' });
    const res = await call('GET', `/api/v1/webhooks/${webhook.id}/deliveries`);
    expect(res.statusCode).toBe(200);
    const { deliveries, next } = page(res);
    expect(next).toBeNull();
    expect(deliveries.map((d) => [d.id, d.seq, d.message_id])).toStrictEqual([
      [2, 4, `msg_4_${webhook.id}`],
      [1, 3, `msg_3_${webhook.id}`],
    ]);
    expect(deliveries[0]?.attempts).toStrictEqual([]);
    expect(deliveries[1]?.attempts).toStrictEqual([
      {
        id: 1,
        started_at: '2026-06-01T10:00:01.000Z',
        duration_ms: 120,
        http_status: 500,
        error: null,
        response_excerpt: 'Internal Server Error',
        signature_timestamp: 1780308001,
      },
      {
        id: 2,
        started_at: '2026-06-01T10:00:06.000Z',
        duration_ms: 15000,
        http_status: null,
        error: 'timed out after 15000 ms',
        response_excerpt: null,
        signature_timestamp: 1780308006,
      },
    ]);
    const others = page(await call('GET', `/api/v1/webhooks/${other.id}/deliveries`)).deliveries;
    expect(others.map((d) => [d.id, d.attempts.length])).toStrictEqual([[3, 1]]);
  });

  it('filters by status and pages with cursors (in next and in the Link header) without a gap or a repeat', async () => {
    const webhook = await createWebhook(t);
    await queued(webhook.id, [1, 2, 3, 4, 5, 6, 7]);
    await t.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null, completed_at: clock.toISOString() })
      .where('seq', 'in', [2, 3, 5, 7])
      .execute();
    const seen: number[] = [];
    let url = `/api/v1/webhooks/${webhook.id}/deliveries?status=failed&limit=3`;
    for (;;) {
      const res = await call('GET', url);
      expect(res.statusCode, res.body).toBe(200);
      const { deliveries, next } = page(res);
      seen.push(...deliveries.map((d) => d.seq ?? 0));
      expect(deliveries.every((d) => d.status === 'failed')).toBe(true);
      if (next === null) {
        expect(res.headers.link).toBeUndefined();
        break;
      }
      expect(res.headers.link).toBe(
        `</api/v1/webhooks/${webhook.id}/deliveries?status=failed&limit=3&cursor=${next}>; rel="next"`,
      );
      url = `/api/v1/webhooks/${webhook.id}/deliveries?status=failed&limit=3&cursor=${next}`;
    }
    expect(seen).toStrictEqual([7, 5, 3, 2]);
    const pending = page(await call('GET', `/api/v1/webhooks/${webhook.id}/deliveries?status=pending`)).deliveries;
    expect(pending.map((d) => d.seq)).toStrictEqual([6, 4, 1]);
    const all = page(await call('GET', `/api/v1/webhooks/${webhook.id}/deliveries`));
    expect(all.deliveries).toHaveLength(7);
    // 20 by default.
    await queued(
      webhook.id,
      Array.from({ length: 20 }, (_, i) => 100 + i),
    );
    expect(page(await call('GET', `/api/v1/webhooks/${webhook.id}/deliveries`)).deliveries).toHaveLength(20);
  });

  it('answers 400 for a cursor of another status or none at all, a bad status and a bad limit', async () => {
    const webhook = await createWebhook(t);
    await queued(webhook.id, [1, 2, 3]);
    const { next } = page(await call('GET', `/api/v1/webhooks/${webhook.id}/deliveries?limit=1`));
    expect(next).not.toBeNull();
    const base = `/api/v1/webhooks/${webhook.id}/deliveries`;
    const cursorOf = (content: unknown) => Buffer.from(JSON.stringify(content)).toString('base64url');
    for (const [query, field] of [
      [`status=failed&cursor=${next ?? ''}`, 'cursor'],
      ['cursor=bm90IGpzb24', 'cursor'],
      [`cursor=${cursorOf([1])}`, 'cursor'],
      [`cursor=${cursorOf({ s: '', b: 0 })}`, 'cursor'],
      [`cursor=${cursorOf({ s: '', b: 2147483648 })}`, 'cursor'],
      [`cursor=${cursorOf({ s: '', b: 1.5 })}`, 'cursor'],
      ['status=done', 'status'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['offset=5', 'offset'],
    ] as const) {
      const res = await call('GET', `${base}?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(
        error(res).details?.map((d) => d.field),
        query,
      ).toStrictEqual([field]);
    }
    const cursor = await call('GET', `${base}?status=failed&cursor=${next ?? ''}`);
    expect(error(cursor).details).toStrictEqual([
      { field: 'cursor', message: 'is not a cursor of this listing (the same webhook and status)' },
    ]);
  });
});

describe('POST /api/v1/webhooks/:id/deliveries/:delivery_id/redeliver', () => {
  it('queues a failed delivery again, due now, with the same message id and its attempts kept', async () => {
    const webhook = await createWebhook(t);
    await queued(webhook.id, [5], {
      status: 'failed',
      attempts: 8,
      next_attempt_at: null,
      completed_at: '2026-06-01T09:00:00.000Z',
    });
    await attempt(1, '2026-06-01T08:00:00.000Z');
    clock = new Date('2026-06-01T12:00:00.000Z');
    const res = await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/1/redeliver`);
    expect(res.statusCode).toBe(202);
    expect(res.json<WebhookDelivery>()).toMatchObject({
      id: 1,
      message_id: `msg_5_${webhook.id}`,
      status: 'pending',
      next_attempt_at: '2026-06-01T12:00:00.000Z',
      completed_at: null,
      attempts: [{ id: 1, http_status: 500 }],
    });
    const row = await t.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ attempts: 0, body: JSON.stringify({ type: 'server.updated', data: { seq: 5 } }) });
  });

  it('queues a succeeded one too, and leaves the lease of an attempt in flight alone', async () => {
    const webhook = await createWebhook(t);
    await queued(webhook.id, [5], { status: 'succeeded', next_attempt_at: null, completed_at: clock.toISOString() });
    await queued(webhook.id, [6], {
      next_attempt_at: '2026-06-01T11:00:00.000Z',
      lease_owner: 'replica-a',
      lease_expires_at: '2026-06-01T10:01:00.000Z',
    });
    const succeeded = await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/1/redeliver`);
    expect(succeeded.json<WebhookDelivery>()).toMatchObject({ status: 'pending', completed_at: null });
    const inFlight = await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/2/redeliver`);
    expect(inFlight.json<WebhookDelivery>()).toMatchObject({
      status: 'pending',
      next_attempt_at: '2026-06-01T10:00:00.000Z',
    });
    const row = await t.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', 2).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ lease_owner: 'replica-a', lease_expires_at: '2026-06-01T10:01:00.000Z' });
  });

  it("answers 404 for an unknown delivery and for another subscription's, 409 for an inactive subscription", async () => {
    const webhook = await createWebhook(t);
    const other = await createWebhook(t);
    await queued(other.id, [5]);
    const res = await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/1/redeliver`);
    expect(res.statusCode).toBe(404);
    expect(error(res)).toMatchObject({
      code: 'WEBHOOK_DELIVERY_NOT_FOUND',
      details: [{ field: 'delivery_id', message: `webhook ${webhook.id} has no delivery with the id 1` }],
    });
    expect((await call('POST', `/api/v1/webhooks/${webhook.id}/deliveries/0/redeliver`)).statusCode).toBe(400);
    expect((await call('PATCH', `/api/v1/webhooks/${other.id}`, { active: false })).statusCode).toBe(200);
    const inactive = await call('POST', `/api/v1/webhooks/${other.id}/deliveries/1/redeliver`);
    expect(inactive.statusCode).toBe(409);
    expect(error(inactive).code).toBe('WEBHOOK_INACTIVE');
  });
});
