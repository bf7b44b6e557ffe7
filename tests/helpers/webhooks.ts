// Webhook subscriptions for tests, made through the API.
import type { Insertable, Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../../src/db/types.js';
import { generateSecret } from '../../src/webhooks/webhooks.signing.js';
import type { WebhookWithSecret } from '../../src/webhooks/webhooks.schemas.js';
import { AS_BOOTSTRAP, type TestApp } from './build-test-app.js';

/** A public address for webhook URLs: it needs no name resolution, and nothing is ever sent to it here. */
export const PUBLIC_URL = 'https://93.184.215.14/hooks/inventory';

/** Creates a subscription as the bootstrap token, which must succeed. */
export async function createWebhook(t: TestApp, body: Record<string, unknown> = {}): Promise<WebhookWithSecret> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: AS_BOOTSTRAP,
    payload: { url: PUBLIC_URL, ...body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<WebhookWithSecret>();
}

/**
 * Deliveries of a subscription as the fan-out queues them, straight into the table: one per seq
 * given, in that order, pending and due at `at`; `fields` overrides any column.
 */
export async function queueDeliveries(
  db: Kysely<Database>,
  webhookId: number,
  seqs: readonly number[],
  at: Date,
  fields: Partial<Insertable<WebhookDeliveriesTable>> = {},
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values(
      seqs.map((seq) => ({
        webhook_id: webhookId,
        event_type: 'server.updated' as const,
        message_id: `msg_${seq}_${webhookId}`,
        seq,
        body: JSON.stringify({ type: 'server.updated', data: { seq } }),
        status: 'pending' as const,
        next_attempt_at: at.toISOString(),
        created_at: at.toISOString(),
        ...fields,
      })),
    )
    .execute();
}

/**
 * A subscription's row as the API would store it, straight for the table (past the API's checks: a
 * URL its rule refuses now, more than its limit): active, for every server, after seq 0; `fields`
 * overrides any column.
 */
export function webhookRow(url: string, fields: Partial<Insertable<WebhooksTable>> = {}): Insertable<WebhooksTable> {
  const at = new Date().toISOString();
  return {
    url,
    events: '["server.created", "server.updated", "server.deleted"]',
    filter: '',
    description: null,
    active: 1,
    secret: generateSecret(),
    previous_secret: null,
    previous_secret_expires_at: null,
    disabled_reason: null,
    after_seq: 0,
    created_at: at,
    updated_at: at,
    created_by: 'bootstrap',
    updated_by: 'bootstrap',
    ...fields,
  };
}
