import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookRow } from '../db/types.js';
import type { Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent } from './webhooks.schemas.js';

// Rows as the API shows them. A subscription's secrets are not among the fields: they never leave
// the database through the API but in the answers of a creation and a rotation.

/** A subscription as the API shows it at `now`: the previous secret's expiry only while it still signs. */
export function toWebhook(row: WebhookRow, now: Date): Webhook {
  const previousSigns =
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    row.previous_secret_expires_at > now.toISOString();
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEvent[],
    filter: row.filter,
    description: row.description,
    active: row.active === 1,
    disabled_reason: row.disabled_reason,
    consecutive_failures: row.consecutive_failures,
    previous_secret_expires_at: previousSigns ? row.previous_secret_expires_at : null,
    after_seq: row.after_seq,
    created_at: row.created_at,
    updated_at: row.updated_at,
    created_by: row.created_by,
    updated_by: row.updated_by,
  };
}

export function toAttempt(row: WebhookAttemptRow): WebhookAttempt {
  return {
    id: row.id,
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    http_status: row.http_status,
    error: row.error,
    response_excerpt: row.response_excerpt,
    signature_timestamp: row.signature_timestamp,
  };
}

/** A delivery with its attempts (those of its row, in the order they were made). */
export function toDelivery(row: WebhookDeliveryRow, attempts: readonly WebhookAttemptRow[]): WebhookDelivery {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_type: row.event_type,
    message_id: row.message_id,
    seq: row.seq,
    status: row.status,
    next_attempt_at: row.next_attempt_at,
    created_at: row.created_at,
    completed_at: row.completed_at,
    attempts: attempts.map(toAttempt),
  };
}
