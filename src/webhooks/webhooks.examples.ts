import type { BodyExamples } from '../plugins/openapi/operations.js';
import type {
  CreateWebhookBody,
  PatchWebhookBody,
  Webhook,
  WebhookDelivery,
  WebhookSecret,
  WebhookWithSecret,
} from './webhooks.schemas.js';

// Examples of the bodies of the webhook routes, published in the OpenAPI document; "Try it out" in /docs
// pre-fills the first of each. The secrets are made up: real ones are random and shown once.

const CREATED_AT = '2026-03-02T09:30:00.000Z';

const PRODUCTION_WEB: Webhook = {
  id: 1,
  url: 'https://hooks.example.com/inventory',
  events: ['server.created', 'server.updated', 'server.deleted'],
  filter: 'environment=production&role=web',
  description: 'Monitoring: add and remove production web servers',
  active: true,
  disabled_reason: null,
  consecutive_failures: 0,
  previous_secret_expires_at: null,
  after_seq: 42,
  created_at: CREATED_AT,
  updated_at: CREATED_AT,
  created_by: 'ops-admin',
  updated_by: 'ops-admin',
};

export const createWebhookExamples: BodyExamples = {
  filtered: {
    summary: 'Every event about production web servers',
    value: {
      url: 'https://hooks.example.com/inventory',
      filter: 'environment=production&role=web',
      description: 'Monitoring: add and remove production web servers',
    } satisfies CreateWebhookBody,
  },
  deletions: {
    summary: 'Deletions only, of any server',
    value: {
      url: 'https://tickets.example.com/hooks/inventory',
      events: ['server.deleted'],
    } satisfies CreateWebhookBody,
  },
};

export const createdWebhookExamples: BodyExamples = {
  created: {
    summary: 'The new subscription and its signing secret, shown this once',
    value: {
      ...PRODUCTION_WEB,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5o+HF1uSjRA=',
    } satisfies WebhookWithSecret,
  },
};

export const patchWebhookExamples: BodyExamples = {
  pause: {
    summary: 'Stop deliveries for now',
    value: { active: false } satisfies PatchWebhookBody,
  },
  resume: {
    summary: 'Deliver again (also after it was disabled automatically), for production only',
    value: { active: true, filter: 'environment=production' } satisfies PatchWebhookBody,
  },
};

export const patchedWebhookExamples: BodyExamples = {
  paused: {
    summary: 'The subscription, inactive',
    value: { ...PRODUCTION_WEB, active: false, updated_at: '2026-03-02T10:00:00.000Z' } satisfies Webhook,
  },
};

export const rotatedSecretExamples: BodyExamples = {
  rotated: {
    summary: 'The new secret, shown this once; the old one signs too for 24 hours',
    value: {
      secret: 'whsec_c2VjcmV0LWV4YW1wbGUtb25seS1ub3QtcmVhbC0wMTI=',
      previous_secret_expires_at: '2026-03-03T10:00:00.000Z',
    } satisfies WebhookSecret,
  },
};

export const queuedDeliveryExamples: BodyExamples = {
  queued: {
    summary: 'The delivery, queued and due now',
    value: {
      id: 7,
      webhook_id: 1,
      event_type: 'ping',
      message_id: 'msg_ping_4bZk2v0Qh1yX9mWcPq3s7A',
      seq: null,
      status: 'pending',
      next_attempt_at: '2026-03-02T10:00:00.000Z',
      created_at: '2026-03-02T10:00:00.000Z',
      completed_at: null,
      attempts: [],
    } satisfies WebhookDelivery,
  },
};
