import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ServerColumns } from '../servers/server-fields.js';

/**
 * The `servers` table: a column per field of a server, as src/servers/server-fields.ts declares them
 * (timestamps are RFC 3339 UTC strings of fixed width, so they sort as text; tags a JSON array), and
 * the columns the store keeps for itself.
 */
export interface ServersTable extends Omit<ServerColumns, 'id'> {
  id: Generated<number>;
  /** Starts at 1 and grows by one with every change: the ETag and the compare-and-swap of writes. */
  version: Generated<number>;
  /** The address as bytes that sort like it (see src/servers/ip-key.ts); set on every write. */
  ip_key: Buffer;
}

/** One row per tag of a server, for indexed tag filters. Kept in step with servers.tags. */
export interface ServerTagsTable {
  server_id: number;
  tag: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  scope: 'read' | 'write' | 'admin';
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  /** SHA-256 of the secret before the last rotation, while its grace period lasts (else null). */
  previous_token_hash: string | null;
  /** When the previous secret stops working. */
  previous_expires_at: string | null;
}

/** What happened to the tokens: one row per creation, rotation and revocation, never a secret. */
export interface TokenEventsTable {
  seq: Generated<number>;
  at: string;
  /** The token's name. */
  token: string;
  action: 'create' | 'rotate' | 'revoke';
  /** The name of the token that made the change, or `(cli)` for the command line. */
  actor: string;
  /** JSON: what the action set (scope, expiry, end of the grace period). */
  details: string;
}

export interface ServerChangesTable {
  seq: Generated<number>;
  server_id: number;
  action: 'create' | 'update' | 'delete';
  at: string;
  actor: string;
  /** JSON: `{ field: { from, to } }`. */
  changes: string;
  /**
   * JSON: the server as the API represents it (what GET /api/v1/servers/{id} answers) after the change,
   * or before it for a delete. Every write must give it (a string, never null, on insert); null only in
   * the rows written before the column existed, or by an earlier revision during a rolling update.
   */
  server: ColumnType<string | null, string, never>;
}

/** Facts about the database itself, such as whether it has been initialised. */
export interface InventoryMetaTable {
  key: string;
  value: string;
}

/**
 * Stored counts of servers, kept exact by the writes that add or remove servers (in the same
 * transaction): one row, scope 'all', the whole inventory.
 */
export interface ServerCountsTable {
  scope: string;
  total: number;
}

/**
 * Idempotency keys of creates, per token: claimed (in flight, `completed_at` null) before the create
 * runs, completed with the answer in the create's transaction, ignored and purged after 24 hours.
 */
export interface IdempotencyKeysTable {
  /** The name of the token that sent the key. */
  token: string;
  key: string;
  /** SHA-256 (hex) of the request body in canonical JSON. */
  fingerprint: string;
  /** A random id of the request that holds or held the claim. */
  owner: string;
  created_at: string;
  completed_at: string | null;
  response_status: number | null;
  /** JSON: the stored answer's headers, such as location and etag. */
  response_headers: string | null;
  /** JSON: the stored answer's body. */
  response_body: string | null;
}

/** A custom field's definition (src/custom-fields/): one row each, in the order they were made. */
export interface CustomFieldsTable {
  /** Also the name of the definition's index on the servers' values (`servers_cf_<id>_idx`). */
  id: Generated<number>;
  name: string;
  type: string;
  /** JSON: the rest of the definition (see custom-fields.schemas.ts, CustomFieldSpec). */
  spec: string;
  created_at: string;
  updated_at: string;
}

/** What happened to the definitions: a feed of its own, beside the servers' change feed. */
export interface CustomFieldChangesTable {
  seq: Generated<number>;
  name: string;
  action: 'create' | 'update' | 'delete';
  at: string;
  actor: string;
  /** JSON: `{ property: { from, to } }`, and `values_removed` after a forced delete. */
  changes: string;
}

/** A webhook subscription (src/webhooks/). */
export interface WebhooksTable {
  id: Generated<number>;
  url: string;
  /** JSON: the event types delivered. */
  events: string;
  /** A query string in the servers list's filter syntax; '' for none. */
  filter: string;
  description: string | null;
  /** 1 or 0. */
  active: number;
  /** The signing secret as stored: `whsec_...`, or sealed (see src/webhooks/webhooks.secrets.ts). Never shown. */
  secret: string;
  /** The secret before the last rotation, as stored, while it still signs. */
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  /** Why the subscription was disabled automatically; null otherwise. */
  disabled_reason: string | null;
  consecutive_failures: Generated<number>;
  /** The change feed's seq when the subscription was made: the events after it are delivered. */
  after_seq: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
}

export type WebhookEventType = 'server.created' | 'server.updated' | 'server.deleted' | 'ping';
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One event for one subscription, with its body frozen when it was queued. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  event_type: WebhookEventType;
  /** The Standard Webhooks `webhook-id`, the same on every attempt. */
  message_id: string;
  /** The change delivered; null for a ping. */
  seq: number | null;
  body: string;
  status: WebhookDeliveryStatus;
  /** Attempts in the current run of the retry schedule (a redelivery starts a new run). */
  attempts: Generated<number>;
  next_attempt_at: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  completed_at: string | null;
}

/** One attempt to send a delivery. */
export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  started_at: string;
  duration_ms: number;
  /** null when no response came (then `error` says why). */
  http_status: number | null;
  error: string | null;
  /** The first 1 KB of the response body. */
  response_excerpt: string | null;
  /** The `webhook-timestamp` the attempt was signed with, in Unix seconds. */
  signature_timestamp: number;
}

/** One row (id 1): the last seq of the change feed turned into deliveries. */
export interface WebhookStateTable {
  id: number;
  last_seq: number;
  updated_at: string;
}

export interface Database {
  servers: ServersTable;
  inventory_meta: InventoryMetaTable;
  api_tokens: ApiTokensTable;
  server_changes: ServerChangesTable;
  server_tags: ServerTagsTable;
  server_counts: ServerCountsTable;
  token_events: TokenEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  custom_fields: CustomFieldsTable;
  custom_field_changes: CustomFieldChangesTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_state: WebhookStateTable;
}

/**
 * A server as the app reads it: every column but the address key, which is the address in another
 * form (a cursor derives it from ip: src/servers/query/cursor.ts), and costs a Buffer per row.
 */
export type ServerRow = Omit<Selectable<ServersTable>, 'ip_key'>;
export type NewServerRow = Insertable<ServersTable>;
export type ServerRowUpdate = Updateable<ServersTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type ServerChangeRow = Selectable<ServerChangesTable>;
export type NewServerChangeRow = Insertable<ServerChangesTable>;
export type TokenEventRow = Selectable<TokenEventsTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
export type CustomFieldRow = Selectable<CustomFieldsTable>;
export type CustomFieldChangeRow = Selectable<CustomFieldChangesTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
