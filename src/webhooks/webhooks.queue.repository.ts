import { type Insertable, type Kysely, type Updateable, sql } from 'kysely';
import { isSqlite } from '../db/transaction.js';
import type {
  Database,
  WebhookAttemptRow,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookDeliveryRow,
  WebhookRow,
} from '../db/types.js';

// The queries of the delivery worker: claiming due deliveries with a lease, recording attempts, the
// subscriptions' failure counts, and the retention of the log. Like every repository they take `db`
// first and never open a transaction: the worker decides what runs atomically.

export interface Claim {
  /** Who claims: the worker's process id, written to lease_owner. */
  owner: string;
  /** The time of the claim (ISO 8601), against which due times and leases are compared. */
  now: string;
  /** When the lease lapses: another worker may then claim the delivery again. */
  leaseUntil: string;
  /** The most deliveries claimed. */
  limit: number;
}

/**
 * The claim of up to `limit` due deliveries, as one UPDATE ... RETURNING. A delivery is claimable when
 * it is pending and due, its subscription is active, and no delivery of that subscription is in flight
 * (leased, the lease not yet lapsed); of a subscription's claimable deliveries only the first in seq
 * order (a ping, without seq, before the events; then by id) is taken. So one subscription has at most
 * one attempt in flight, and its attempts start in seq order; a delivery waiting for its retry is not
 * due and holds nothing back. On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so that claims
 * running at once never take the same delivery (the worker also makes claims take turns, for the order).
 *
 * It reads by subscription, not by delivery: for each active subscription, a look at its leased
 * deliveries and the first of its pending ones in seq order (two partial indexes), then that delivery by
 * its id. Its cost does not grow with the backlog, and it runs after every attempt.
 */
export function claimDeliveriesQuery(db: Kysely<Database>, claim: Claim) {
  const { now } = claim;
  const pending = sql.lit<WebhookDeliveryRow['status']>('pending');
  let candidates = db
    .selectFrom('webhooks as w')
    // The subscriptions first, then each one's first due delivery by its id (SQLite keeps this order).
    .crossJoin('webhook_deliveries as d')
    .select('d.id')
    .where('w.active', '=', 1)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('webhook_deliveries as f')
            .select(sql.lit(1).as('one'))
            .whereRef('f.webhook_id', '=', 'w.id')
            .where('f.lease_expires_at', '>', now)
            .where('f.status', '=', pending),
        ),
      ),
    )
    .where((eb) =>
      eb(
        'd.id',
        '=',
        // The subscription's first due delivery: a ping (no seq) first, then the events by seq. NULLS FIRST
        // is SQLite's order of ASC already, and PostgreSQL's index on seq is made in that order. One never
        // attempted counts whether or not it is due: it was queued due at once, by the clock of the replica
        // that queued it, which may run a little ahead of this one's; a later seq must not pass it meanwhile.
        eb
          .selectFrom('webhook_deliveries as e')
          .select('e.id')
          .whereRef('e.webhook_id', '=', 'w.id')
          .where('e.status', '=', pending)
          .where((inner) => inner.or([inner('e.next_attempt_at', '<=', now), inner('e.attempts', '=', 0)]))
          .orderBy('e.seq', (ob) => ob.asc().nullsFirst())
          .orderBy('e.id')
          .limit(1),
      ),
    )
    // Checked again on the row itself: on PostgreSQL, on the version a concurrent claim may have committed.
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.lease_expires_at', 'is', null), eb('d.lease_expires_at', '<=', now)]))
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .limit(claim.limit);
  if (!isSqlite(db)) {
    candidates = candidates.forUpdate(['d']).skipLocked();
  }
  return db
    .updateTable('webhook_deliveries')
    .set({ lease_owner: claim.owner, lease_expires_at: claim.leaseUntil })
    .where('id', 'in', candidates)
    .returningAll();
}

/**
 * Whether any delivery of an active subscription is pending and due at `now`: a read of the index on
 * (status, next_attempt_at), so that a poll that finds nothing takes no lock and writes nothing, even
 * while the deliveries of a disabled subscription wait.
 */
export async function anyDue(db: Kysely<Database>, now: string): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select('d.id')
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where('w.active', '=', 1)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Claims due deliveries (see claimDeliveriesQuery), oldest due first. */
export async function claimDeliveries(db: Kysely<Database>, claim: Claim): Promise<WebhookDeliveryRow[]> {
  const rows = await claimDeliveriesQuery(db, claim).execute();
  return rows.sort((a, b) => (a.next_attempt_at ?? '').localeCompare(b.next_attempt_at ?? '') || a.id - b.id);
}

export function findWebhooksById(db: Kysely<Database>, ids: readonly number[]): Promise<WebhookRow[]> {
  if (ids.length === 0) {
    return Promise.resolve([]);
  }
  return db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
}

/** A delivery, locked until the transaction ends on PostgreSQL (SQLite's writer holds the database). */
export function lockDelivery(db: Kysely<Database>, id: number): Promise<WebhookDeliveryRow | undefined> {
  const query = db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id);
  return (isSqlite(db) ? query : query.forUpdate()).executeTakeFirst();
}

export function insertAttempt(db: Kysely<Database>, row: Insertable<WebhookAttemptsTable>): Promise<WebhookAttemptRow> {
  return db.insertInto('webhook_attempts').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateDelivery(
  db: Kysely<Database>,
  id: number,
  changes: Updateable<WebhookDeliveriesTable>,
): Promise<void> {
  await db.updateTable('webhook_deliveries').set(changes).where('id', '=', id).execute();
}

/** Gives up leases that `owner` holds, as claimed (`leaseUntil`): the deliveries are claimable again at once. */
export async function releaseLeases(
  db: Kysely<Database>,
  owner: string,
  leases: readonly { id: number; leaseUntil: string }[],
): Promise<void> {
  for (const { id, leaseUntil } of leases) {
    await db
      .updateTable('webhook_deliveries')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('lease_expires_at', '=', leaseUntil)
      .execute();
  }
}

/** One more delivery of the subscription failed: its count of failures in a row, and whether it is active. */
export async function countFailure(
  db: Kysely<Database>,
  webhookId: number,
): Promise<{ consecutive_failures: number; active: number } | undefined> {
  return db
    .updateTable('webhooks')
    .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
    .where('id', '=', webhookId)
    .returning(['consecutive_failures', 'active'])
    .executeTakeFirst();
}

/** A delivery of the subscription succeeded: no failures in a row any more. */
export async function resetFailures(db: Kysely<Database>, webhookId: number): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ consecutive_failures: 0 })
    .where('id', '=', webhookId)
    .where('consecutive_failures', '<>', 0)
    .execute();
}

/** Turns a subscription off, saying why; its pending deliveries wait until it is turned on again. */
export async function disableWebhook(db: Kysely<Database>, webhookId: number, reason: string): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ active: 0, disabled_reason: reason })
    .where('id', '=', webhookId)
    .where('active', '=', 1)
    .execute();
}

/**
 * Deletes up to `limit` deliveries created and done (succeeded or failed) before `before`, with their
 * attempts (on delete cascade): a redelivery of an old one is kept as long as a new one. Pending ones
 * stay, however old. Returns how many went.
 */
export async function purgeDeliveries(db: Kysely<Database>, before: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('created_at', '<', before)
        .where('status', '<>', 'pending')
        .where('completed_at', '<', before)
        .orderBy('created_at')
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * When the oldest pending delivery of an active subscription was queued, or null if there is none: one
 * query, by the index on (status, next_attempt_at) and the subscriptions' primary key. Deliveries that
 * wait for an inactive subscription are left out: they wait on purpose.
 */
export async function oldestPendingCreatedAt(db: Kysely<Database>): Promise<string | null> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select((eb) => eb.fn.min<string | null>('d.created_at').as('oldest'))
    .where('d.status', '=', 'pending')
    .where('w.active', '=', 1)
    .executeTakeFirst();
  return row?.oldest ?? null;
}
