import Type, { type Static } from 'typebox';
import { MAX_SERVER_ID } from '../servers/server-fields.schemas.js';
import { SERVER_ID_PATTERN } from '../servers/servers.schemas.js';
import { Nullable, Timestamp } from '../shared/schemas.js';
import { SECRET_PATTERN } from './webhooks.signing.js';

/** The events a subscription can ask for. */
export const WEBHOOK_EVENTS = ['server.created', 'server.updated', 'server.deleted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What a delivery carries: an event, or a ping. */
export const DELIVERY_EVENTS = [...WEBHOOK_EVENTS, 'ping'] as const;
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The most subscriptions an inventory holds: each event is queued once for each of them. */
export const MAX_WEBHOOKS = 100;
export const MAX_URL_LENGTH = 2048;
export const MAX_FILTER_LENGTH = 4096;
/** How long the secret before a rotation keeps signing beside the new one. */
export const PREVIOUS_SECRET_HOURS = 24;
export const DEFAULT_DELIVERIES_LIMIT = 20;
export const MAX_DELIVERIES_LIMIT = 100;

const WebhookUrl = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  description:
    'Where events are POSTed: an absolute http or https URL without credentials, at most 2048 characters. ' +
    'Its host must be, or resolve only to, public addresses unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. ' +
    'Stored normalised (as WHATWG URL parsing writes it), without a fragment.',
  examples: ['https://hooks.example.com/inventory'],
  errorMessage: 'must be an absolute http or https URL of 1 to 2048 characters',
});

const Events = Type.Array(Type.Enum(WEBHOOK_EVENTS), {
  minItems: 1,
  maxItems: WEBHOOK_EVENTS.length,
  uniqueItems: true,
  description: 'The events to deliver: any of server.created, server.updated and server.deleted, each once',
  errorMessage: {
    minItems: 'must name at least one event',
    uniqueItems: 'must not name an event twice',
    _: 'must be a list of events among server.created, server.updated and server.deleted',
  },
});

const Filter = Type.String({
  maxLength: MAX_FILTER_LENGTH,
  description:
    "Only servers this filter matches, in the servers list's filter syntax (a query string such as " +
    '`environment=production&role=web`, checked like the list checks its parameters); empty for all',
  examples: ['environment=production&role=web'],
  errorMessage: 'must be a query string of at most 4096 characters',
});

const Description = Nullable(
  Type.String({
    maxLength: 1000,
    pattern: '^[\\t\\n\\r\\P{Cc}]*$',
    description: 'What the subscription is for, for people',
    errorMessage: 'must be at most 1000 characters, with no control character but tab and line breaks, or null',
  }),
);

const Active = Type.Boolean({
  description: 'Whether events are delivered; making it true again clears `disabled_reason`',
});

const Secret = Type.String({
  pattern: SECRET_PATTERN,
  description:
    'The signing secret: `whsec_` and the base64 of 32 random bytes. Shown this once: store it now. ' +
    'Receivers verify `webhook-signature` with it (see docs/webhooks.md)',
});

/** A subscription as the API shows it: never its secret. */
export const Webhook = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    url: Type.String(),
    events: Type.Array(Type.Enum(WEBHOOK_EVENTS)),
    filter: Type.String({ description: "The servers list's filter; empty: every server" }),
    description: Nullable(Type.String()),
    active: Type.Boolean(),
    disabled_reason: Nullable(
      Type.String({ description: 'Why the subscription was disabled automatically; null if it was not' }),
    ),
    consecutive_failures: Type.Integer({
      minimum: 0,
      description: 'Deliveries that failed in a row, the last ones; a success sets it back to 0',
    }),
    previous_secret_expires_at: Nullable({
      ...Timestamp,
      description: 'The secret before the last rotation signs too until then; null: only the current one signs',
    }),
    after_seq: Type.Integer({
      minimum: 0,
      description: 'The change feed seq when the subscription was made: the changes after it are delivered',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
    created_by: Type.String({ description: 'The token that created it' }),
    updated_by: Type.String({ description: 'The token that changed it last' }),
  },
  { additionalProperties: false, title: 'Webhook' },
);
export type Webhook = Static<typeof Webhook>;

/** The answer of a creation: the subscription and its secret, the only time the API shows it. */
export const WebhookWithSecret = Type.Object(
  { ...Webhook.properties, secret: Secret },
  { additionalProperties: false, title: 'WebhookWithSecret' },
);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const WebhookList = Type.Object(
  { webhooks: Type.Array(Webhook, { description: 'Every subscription, by id' }) },
  { additionalProperties: false, title: 'WebhookList' },
);
export type WebhookList = Static<typeof WebhookList>;

export const CreateWebhookBody = Type.Object(
  {
    url: WebhookUrl,
    events: Type.Optional({ ...Events, default: [...WEBHOOK_EVENTS] }),
    filter: Type.Optional({ ...Filter, default: '' }),
    description: Type.Optional({ ...Description, default: null }),
    active: Type.Optional({ ...Active, default: true }),
  },
  { additionalProperties: false, title: 'WebhookInput' },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const PatchWebhookBody = Type.Object(
  {
    url: Type.Optional(WebhookUrl),
    events: Type.Optional(Events),
    filter: Type.Optional(Filter),
    description: Type.Optional(Description),
    active: Type.Optional(Active),
  },
  {
    additionalProperties: false,
    title: 'WebhookPatch',
    description:
      'A JSON Merge Patch of a subscription (RFC 7396): the fields given change, null clears the description. ' +
      'The secret changes only by rotate-secret',
  },
);
export type PatchWebhookBody = Static<typeof PatchWebhookBody>;

/** The answer of a rotation: the new secret, shown this once. */
export const WebhookSecret = Type.Object(
  {
    secret: Secret,
    previous_secret_expires_at: {
      ...Timestamp,
      description: 'The secret before this rotation signs beside the new one until then (24 hours)',
    },
  },
  { additionalProperties: false, title: 'WebhookSecret' },
);
export type WebhookSecret = Static<typeof WebhookSecret>;

const Id = (description: string) =>
  Type.String({
    pattern: SERVER_ID_PATTERN,
    description,
    examples: ['1'],
    errorMessage: `must be a positive integer no larger than ${MAX_SERVER_ID}`,
  });

export const WebhookParams = Type.Object({ id: Id('The webhook id') }, { additionalProperties: false });
export const DeliveryParams = Type.Object(
  { id: Id('The webhook id'), delivery_id: Id('The delivery id') },
  { additionalProperties: false },
);

export const WebhookAttempt = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    started_at: Timestamp,
    duration_ms: Type.Integer({ minimum: 0 }),
    http_status: Nullable(
      Type.Integer({ description: "The receiver's HTTP status; null when no answer came (see error)" }),
    ),
    error: Nullable(Type.String({ description: 'What went wrong: a network error, a timeout, a refused address' })),
    response_excerpt: Nullable(Type.String({ description: 'The first 1 KB of the response body, as text' })),
    signature_timestamp: Type.Integer({ description: 'The webhook-timestamp the attempt was signed with' }),
  },
  { additionalProperties: false, title: 'WebhookAttempt' },
);
export type WebhookAttempt = Static<typeof WebhookAttempt>;

export const WebhookDelivery = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    webhook_id: Type.Integer({ minimum: 1 }),
    event_type: Type.Enum(DELIVERY_EVENTS),
    message_id: Type.String({
      description: 'The webhook-id header: the same on every attempt; receivers deduplicate on it',
    }),
    seq: Nullable(Type.Integer({ description: 'The change delivered; null for a ping' })),
    status: Type.Enum(DELIVERY_STATUSES),
    next_attempt_at: Nullable({ ...Timestamp, description: 'When a pending delivery is due; null once it is done' }),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
    attempts: Type.Array(WebhookAttempt, { description: 'Every attempt, oldest first' }),
  },
  { additionalProperties: false, title: 'WebhookDelivery' },
);
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveryList = Type.Object(
  {
    deliveries: Type.Array(WebhookDelivery, { description: 'Newest first' }),
    next: Nullable(Type.String({ description: 'Cursor of the next page, for `cursor=`; null on the last page' })),
  },
  { additionalProperties: false, title: 'WebhookDeliveryList' },
);
export type WebhookDeliveryList = Static<typeof WebhookDeliveryList>;

export const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(DELIVERY_STATUSES, { description: 'Only the deliveries in this state' })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_DELIVERIES_LIMIT,
        description: `Page size, ${DEFAULT_DELIVERIES_LIMIT} by default`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'The `next` of the previous page, with the same status' }),
    ),
  },
  { additionalProperties: false },
);
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;
