// The administration page's rules, as the API states them (docs/access.md, docs/webhooks.md). No
// Preact and no browser globals: tests/web/console-admin.test.ts runs these in Node.
import type { components, operations } from './openapi.js';

type Token = components['schemas']['Token'];
type Webhook = components['schemas']['Webhook'];
type Delivery = components['schemas']['WebhookDelivery'];
export type TokenInput = operations['createToken']['requestBody']['content']['application/json'];
export type WebhookInput = components['schemas']['WebhookInput'];
export type WebhookEvent = Webhook['events'][number];

export const SCOPES = ['read', 'write', 'admin'] as const satisfies readonly Token['scope'][];
export const WEBHOOK_EVENTS = [
  'server.created',
  'server.updated',
  'server.deleted',
] as const satisfies readonly WebhookEvent[];
/** The grace periods the console offers on a rotation, in seconds (the API takes 0 to 604800). */
export const GRACE_CHOICES = [0, 3_600, 86_400] as const;

/** Whether a token may use the administration page: only admin tokens manage tokens and webhooks. */
export function isAdmin(self: Token | null): boolean {
  return self?.scope === 'admin';
}

/**
 * The body of POST /api/v1/tokens from the form, or the form field at fault: a name is required, and the
 * expiry, when given, is a whole number of days from 1 to 9999 (the API checks the rest).
 */
export function tokenInput(
  name: string,
  scope: Token['scope'],
  days: string,
): { ok: true; body: TokenInput } | { ok: false; field: 'name' | 'days' } {
  const trimmed = name.trim();
  if (trimmed === '') {
    return { ok: false, field: 'name' };
  }
  const text = days.trim();
  if (text === '') {
    return { ok: true, body: { name: trimmed, scope } };
  }
  if (!/^[1-9][0-9]{0,3}$/.test(text)) {
    return { ok: false, field: 'days' };
  }
  return { ok: true, body: { name: trimmed, scope, expires_in_days: Number(text) } };
}

/** Whether the API lets this token be revoked: not the bootstrap token (fixed), not one already revoked. */
export function canRevoke(token: Token): boolean {
  return token.source === 'database' && token.status !== 'revoked';
}

/** Whether the API lets this token be rotated: an active token of the database. */
export function canRotate(token: Token): boolean {
  return token.source === 'database' && token.status === 'active';
}

/** The body of POST /api/v1/webhooks from the form (the filter without a leading `?`, as the API drops it). */
export function webhookInput(
  url: string,
  events: readonly WebhookEvent[],
  filter: string,
  description: string,
): WebhookInput {
  const text = description.trim();
  return {
    url: url.trim(),
    events: WEBHOOK_EVENTS.filter((event) => events.includes(event)),
    filter: filter.trim().replace(/^\?/, ''),
    description: text === '' ? null : text,
    active: true,
  };
}

/**
 * What went wrong at a delivery's last attempt: its error (the receiver's or the network's own words), or
 * the status that was not a 2xx (the page words it); null if nothing did.
 */
export function lastProblem(delivery: Pick<Delivery, 'attempts'>): { error: string } | { status: number } | null {
  const last = delivery.attempts.at(-1);
  if (last === undefined) {
    return null;
  }
  if (last.error !== null) {
    return { error: last.error };
  }
  return last.http_status !== null && (last.http_status < 200 || last.http_status > 299)
    ? { status: last.http_status }
    : null;
}

/** The first wait before the delivery log is read again while a delivery is pending, and the longest. */
export const POLL_FIRST_MS = 2_000;
export const POLL_MAX_MS = 60_000;

/** The wait after `previous` (null: the first): doubled each time, up to POLL_MAX_MS. */
export function nextPollDelay(previous: number | null): number {
  return previous === null ? POLL_FIRST_MS : Math.min(previous * 2, POLL_MAX_MS);
}

/** Whether the log is read again: a delivery of an active subscription is still pending. */
export function shouldPoll(deliveries: readonly Pick<Delivery, 'status'>[], webhook: Pick<Webhook, 'active'>): boolean {
  return webhook.active && deliveries.some((d) => d.status === 'pending');
}

/** Whether the console offers to send a delivery again: a failed one (the API takes a succeeded one too). */
export function canRedeliver(delivery: Pick<Delivery, 'status'>, webhook: Pick<Webhook, 'active'>): boolean {
  return delivery.status === 'failed' && webhook.active;
}
