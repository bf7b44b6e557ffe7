import type { Insertable, Kysely, Updateable } from 'kysely';
import type {
  Database,
  WebhookAttemptRow,
  WebhookDeliveriesTable,
  WebhookDeliveryRow,
  WebhookRow,
  WebhooksTable,
} from '../db/types.js';
import type { DeliveryStatus } from './webhooks.schemas.js';

// Repositories take `db` first and never open a transaction: the service decides what runs atomically.

export function listWebhooks(db: Kysely<Database>): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().orderBy('id').execute();
}

export function findWebhook(db: Kysely<Database>, id: number): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countWebhooks(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export function insertWebhook(db: Kysely<Database>, row: Insertable<WebhooksTable>): Promise<WebhookRow> {
  return db.insertInto('webhooks').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateWebhook(
  db: Kysely<Database>,
  id: number,
  changes: Updateable<WebhooksTable>,
): Promise<WebhookRow> {
  return db.updateTable('webhooks').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Deletes a subscription; its deliveries and their attempts go with it (foreign keys, on delete cascade). */
export async function deleteWebhook(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

export function insertDelivery(
  db: Kysely<Database>,
  row: Insertable<WebhookDeliveriesTable>,
): Promise<WebhookDeliveryRow> {
  return db.insertInto('webhook_deliveries').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A delivery of one subscription: another subscription's delivery id finds nothing. */
export function findDelivery(
  db: Kysely<Database>,
  webhookId: number,
  deliveryId: number,
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .where('id', '=', deliveryId)
    .executeTakeFirst();
}

export interface DeliveriesPage {
  status: DeliveryStatus | undefined;
  /** Only deliveries with a smaller id (the last one of the previous page). */
  beforeId: number | undefined;
  limit: number;
}

/**
 * The query of a page of a subscription's deliveries, newest first: by the index on (webhook_id, id),
 * or (webhook_id, status, id) with a status; the SQL snapshots show it.
 */
export function deliveriesPageQuery(db: Kysely<Database>, webhookId: number, page: DeliveriesPage) {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (page.status !== undefined) {
    query = query.where('status', '=', page.status);
  }
  if (page.beforeId !== undefined) {
    query = query.where('id', '<', page.beforeId);
  }
  return query.orderBy('id', 'desc').limit(page.limit);
}

export function listDeliveries(
  db: Kysely<Database>,
  webhookId: number,
  page: DeliveriesPage,
): Promise<WebhookDeliveryRow[]> {
  return deliveriesPageQuery(db, webhookId, page).execute();
}

/** The attempts of some deliveries, by delivery and then in the order they were made. */
export async function listAttempts(db: Kysely<Database>, deliveryIds: readonly number[]): Promise<WebhookAttemptRow[]> {
  if (deliveryIds.length === 0) {
    return [];
  }
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('delivery_id')
    .orderBy('id')
    .execute();
}

/**
 * Queues a delivery again, due at `at`, with a new run of the retry schedule. The lease of an attempt
 * in flight is left alone: that attempt ends as it would have, and a pending delivery stays pending.
 */
export function requeueDelivery(db: Kysely<Database>, id: number, at: string): Promise<WebhookDeliveryRow> {
  return db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: at, completed_at: null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
