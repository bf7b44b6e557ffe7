import type { Kysely } from 'kysely';
import { writeTransaction } from '../db/transaction.js';
import type { Database, WebhookAttemptRow, WebhookRow } from '../db/types.js';
import { type ErrorDetail, appError } from '../errors.js';
import type { DefinitionsLoader } from '../servers/query/parsing.js';
import { decodeDeliveriesCursor, encodeDeliveriesCursor } from './webhooks.cursor.js';
import { pingBody, pingMessageId } from './webhooks.events.js';
import { checkFilter } from './webhooks.filter.js';
import { toDelivery, toWebhook } from './webhooks.mapper.js';
import * as repository from './webhooks.repository.js';
import {
  type CreateWebhookBody,
  DEFAULT_DELIVERIES_LIMIT,
  type DeliveriesQuery,
  MAX_URL_LENGTH,
  MAX_WEBHOOKS,
  PREVIOUS_SECRET_HOURS,
  type PatchWebhookBody,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryList,
  type WebhookSecret,
  WEBHOOK_EVENTS,
  type WebhookWithSecret,
} from './webhooks.schemas.js';
import { sealSecret } from './webhooks.secrets.js';
import { generateSecret } from './webhooks.signing.js';
import { lastChangeSeq } from '../changes/changes.repository.js';
import { type GuardOptions, checkUrl } from './webhooks.ssrf.js';

export interface WebhooksService {
  list(): Promise<Webhook[]>;
  get(id: number): Promise<Webhook>;
  create(body: CreateWebhookBody, actor: string): Promise<WebhookWithSecret>;
  update(id: number, patch: PatchWebhookBody, actor: string): Promise<Webhook>;
  remove(id: number): Promise<void>;
  rotateSecret(id: number, actor: string): Promise<WebhookSecret>;
  /** Queues a ping to the subscription, due now. */
  ping(id: number): Promise<WebhookDelivery>;
  deliveries(id: number, query: DeliveriesQuery): Promise<WebhookDeliveryList>;
  /** Queues a delivery again, due now, with the same message id. */
  redeliver(id: number, deliveryId: number): Promise<WebhookDelivery>;
}

export interface WebhooksServiceOptions {
  /** The custom fields' definitions, read when a filter names one. */
  definitions: DefinitionsLoader;
  /** The address guard of URLs (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  guard: GuardOptions;
  /** WEBHOOK_SECRET_KEY: secrets are sealed with it when there is one. */
  secretKey: Buffer | undefined;
  now?: () => Date;
  /** Called once a delivery is queued (a ping, a redelivery), so that the delivery worker looks at once. */
  onQueued?: () => void;
}

const PROTOCOLS = new Set(['http:', 'https:']);

/** A URL's shape: absolute, http or https, no credentials, at most MAX_URL_LENGTH once normalised. */
function parseUrl(input: string, details: ErrorDetail[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    details.push({ field: 'url', message: 'must be an absolute URL such as https://hooks.example.com/inventory' });
    return undefined;
  }
  const before = details.length;
  if (!PROTOCOLS.has(url.protocol)) {
    details.push({ field: 'url', message: `must use http or https (got ${url.protocol.slice(0, -1)})` });
  }
  if (url.username !== '' || url.password !== '') {
    details.push({
      field: 'url',
      message: 'must not hold credentials (user:password@): receivers authenticate deliveries by their signature',
    });
  }
  // A fragment is never sent: the URL is stored as it is requested.
  url.hash = '';
  if (url.href.length > MAX_URL_LENGTH) {
    details.push({ field: 'url', message: `must be at most ${MAX_URL_LENGTH} characters once normalised` });
  }
  return details.length === before ? url : undefined;
}

const HOUR_MS = 3_600_000;

export function createWebhooksService(db: Kysely<Database>, options: WebhooksServiceOptions): WebhooksService {
  const now = options.now ?? (() => new Date());

  async function find(trx: Kysely<Database>, id: number): Promise<WebhookRow> {
    const row = await repository.findWebhook(trx, id);
    if (row === undefined) {
      throw appError('WEBHOOK_NOT_FOUND', [{ field: 'id', message: `no webhook has the id ${id}` }]);
    }
    return row;
  }

  /** A webhook is sent nothing while it is inactive: a ping or a redelivery would wait for nothing. */
  function assertActive(row: WebhookRow): void {
    if (row.active !== 1) {
      throw appError('WEBHOOK_INACTIVE', [
        {
          field: 'id',
          message:
            row.disabled_reason === null
              ? `webhook ${row.id} is inactive`
              : `webhook ${row.id} was disabled: ${row.disabled_reason}`,
        },
      ]);
    }
  }

  /**
   * The URL and filter given, checked: their shape (400 naming each problem), then the addresses the
   * URL reaches (400 WEBHOOK_URL_FORBIDDEN). Returns the URL and the filter as they are stored.
   */
  async function checkTarget(input: {
    url?: string | undefined;
    filter?: string | undefined;
  }): Promise<{ url?: string; filter?: string }> {
    const details: ErrorDetail[] = [];
    const url = input.url === undefined ? undefined : parseUrl(input.url, details);
    const filter = input.filter === undefined ? undefined : await checkFilter(input.filter, options.definitions);
    details.push(...(filter?.details ?? []));
    if (details.length > 0) {
      throw appError('VALIDATION_FAILED', details);
    }
    if (url !== undefined) {
      const verdict = await checkUrl(url, options.guard);
      if (!verdict.ok) {
        const detail = [{ field: 'url', message: verdict.message }];
        throw verdict.problem === 'forbidden'
          ? appError('WEBHOOK_URL_FORBIDDEN', detail)
          : appError('VALIDATION_FAILED', detail);
      }
    }
    return {
      ...(url === undefined ? {} : { url: url.href }),
      ...(filter === undefined ? {} : { filter: filter.filter }),
    };
  }

  async function withAttempts(row: Parameters<typeof toDelivery>[0]): Promise<WebhookDelivery> {
    return toDelivery(row, await repository.listAttempts(db, [row.id]));
  }

  return {
    async list() {
      const at = now();
      return (await repository.listWebhooks(db)).map((row) => toWebhook(row, at));
    },

    async get(id) {
      return toWebhook(await find(db, id), now());
    },

    async create(body, actor) {
      const target = await checkTarget({ url: body.url, filter: body.filter ?? '' });
      const secret = generateSecret();
      const row = await writeTransaction(db, async (trx) => {
        if ((await repository.countWebhooks(trx)) >= MAX_WEBHOOKS) {
          throw appError('WEBHOOK_LIMIT');
        }
        const at = now().toISOString();
        return repository.insertWebhook(trx, {
          url: target.url ?? body.url,
          events: JSON.stringify(body.events ?? WEBHOOK_EVENTS),
          filter: target.filter ?? '',
          description: body.description ?? null,
          active: body.active === false ? 0 : 1,
          secret: sealSecret(secret, options.secretKey),
          previous_secret: null,
          previous_secret_expires_at: null,
          disabled_reason: null,
          // Read under the write lock: no change can commit between it and this subscription.
          after_seq: await lastChangeSeq(trx),
          created_at: at,
          updated_at: at,
          created_by: actor,
          updated_by: actor,
        });
      });
      return { ...toWebhook(row, now()), secret };
    },

    async update(id, patch, actor) {
      await find(db, id);
      const target = await checkTarget({ url: patch.url, filter: patch.filter });
      const row = await writeTransaction(db, async (trx) => {
        await find(trx, id);
        return repository.updateWebhook(trx, id, {
          ...target,
          ...(patch.events === undefined ? {} : { events: JSON.stringify(patch.events) }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.active === undefined ? {} : { active: patch.active ? 1 : 0 }),
          // Turned on again, by hand: whatever disabled it is taken as dealt with.
          ...(patch.active === true ? { disabled_reason: null, consecutive_failures: 0 } : {}),
          updated_at: now().toISOString(),
          updated_by: actor,
        });
      });
      return toWebhook(row, now());
    },

    async remove(id) {
      await writeTransaction(db, async (trx) => {
        await find(trx, id);
        await repository.deleteWebhook(trx, id);
      });
    },

    async rotateSecret(id, actor) {
      const secret = generateSecret();
      const at = now();
      const expiresAt = new Date(at.getTime() + PREVIOUS_SECRET_HOURS * HOUR_MS).toISOString();
      await writeTransaction(db, async (trx) => {
        const row = await find(trx, id);
        await repository.updateWebhook(trx, id, {
          secret: sealSecret(secret, options.secretKey),
          // Copied as stored: sealed or not, it opens as it did.
          previous_secret: row.secret,
          previous_secret_expires_at: expiresAt,
          updated_at: at.toISOString(),
          updated_by: actor,
        });
      });
      return { secret, previous_secret_expires_at: expiresAt };
    },

    async ping(id) {
      const at = now();
      const row = await writeTransaction(db, async (trx) => {
        assertActive(await find(trx, id));
        return repository.insertDelivery(trx, {
          webhook_id: id,
          event_type: 'ping',
          message_id: pingMessageId(),
          seq: null,
          body: pingBody(id, at),
          status: 'pending',
          next_attempt_at: at.toISOString(),
          lease_owner: null,
          lease_expires_at: null,
          created_at: at.toISOString(),
          completed_at: null,
        });
      });
      options.onQueued?.();
      return toDelivery(row, []);
    },

    async deliveries(id, query) {
      await find(db, id);
      const { status, limit = DEFAULT_DELIVERIES_LIMIT, cursor } = query;
      const beforeId = cursor === undefined ? undefined : decodeDeliveriesCursor(cursor, status);
      if (beforeId === null) {
        throw appError('VALIDATION_FAILED', [
          { field: 'cursor', message: 'is not a cursor of this listing (the same webhook and status)' },
        ]);
      }
      // One more than the page: whether there is a next page, without a count.
      const rows = await repository.listDeliveries(db, id, { status, beforeId, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const attempts = new Map<number, WebhookAttemptRow[]>();
      for (const attempt of await repository.listAttempts(
        db,
        page.map((row) => row.id),
      )) {
        const list = attempts.get(attempt.delivery_id);
        if (list === undefined) {
          attempts.set(attempt.delivery_id, [attempt]);
        } else {
          list.push(attempt);
        }
      }
      const last = page.at(-1);
      return {
        deliveries: page.map((row) => toDelivery(row, attempts.get(row.id) ?? [])),
        next: rows.length > limit && last !== undefined ? encodeDeliveriesCursor(status, last.id) : null,
      };
    },

    async redeliver(id, deliveryId) {
      const row = await writeTransaction(db, async (trx) => {
        const webhook = await find(trx, id);
        const delivery = await repository.findDelivery(trx, id, deliveryId);
        if (delivery === undefined) {
          throw appError('WEBHOOK_DELIVERY_NOT_FOUND', [
            { field: 'delivery_id', message: `webhook ${id} has no delivery with the id ${deliveryId}` },
          ]);
        }
        assertActive(webhook);
        return repository.requeueDelivery(trx, deliveryId, now().toISOString());
      });
      options.onQueued?.();
      return withAttempts(row);
    },
  };
}
