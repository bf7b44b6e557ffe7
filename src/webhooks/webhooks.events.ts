import { randomBytes } from 'node:crypto';

// What a delivery carries besides its body: the Standard Webhooks `webhook-id` (message id), one per
// event and subscription and the same on every attempt, so that a receiver deduplicates on it.

/**
 * The message id of a change's delivery to a subscription: made of the two, so that queueing the same
 * event for the same subscription twice collides on the column's unique index instead of sending it
 * twice. Opaque to receivers.
 */
export function eventMessageId(seq: number, webhookId: number): string {
  return `msg_${seq}_${webhookId}`;
}

/** The message id of a ping: random, each ping is an event of its own. */
export function pingMessageId(): string {
  return `msg_ping_${randomBytes(16).toString('base64url')}`;
}

/** A ping's body: `{"type": "ping", "timestamp", "data": {"webhook_id"}}`. */
export function pingBody(webhookId: number, at: Date): string {
  return JSON.stringify({ type: 'ping', timestamp: at.toISOString(), data: { webhook_id: webhookId } });
}
