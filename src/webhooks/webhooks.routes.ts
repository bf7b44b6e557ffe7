import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { MERGE_PATCH } from '../plugins/body-parsers.js';
import { errorResponses } from '../shared/schemas.js';
import {
  createWebhookExamples,
  createdWebhookExamples,
  patchWebhookExamples,
  patchedWebhookExamples,
  queuedDeliveryExamples,
  rotatedSecretExamples,
} from './webhooks.examples.js';
import {
  CreateWebhookBody,
  DeliveriesQuery,
  DeliveryParams,
  PatchWebhookBody,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookList,
  WebhookParams,
  WebhookSecret,
  WebhookWithSecret,
} from './webhooks.schemas.js';
import { nextPageLink } from '../shared/cursor.js';
import type { WebhooksService } from './webhooks.service.js';

export interface WebhooksRoutesOptions {
  service: WebhooksService;
}

const NoQuery = Type.Object({}, { additionalProperties: false });

type WebhookAction = 'create' | 'update' | 'delete' | 'rotate-secret' | 'ping' | 'redeliver';

/** The token's name, recorded as the actor; these routes need an admin token. */
function actorOf(request: FastifyRequest): string {
  if (request.principal === null) {
    throw new Error('a webhook route ran without an authenticated principal');
  }
  return request.principal.name;
}

/** One log line per change of a subscription: which, what, who. Never its URL or a secret. */
function logChange(request: FastifyRequest, id: number, action: WebhookAction, extra: Record<string, number> = {}) {
  request.log.info({ webhookChange: { id, action, actor: actorOf(request), ...extra } }, 'webhook changed');
}

const SECRET_NOTE =
  'The answer holds the signing secret: the only time the API shows it. It is never logged and cannot be shown again.';
const ADMIN = 'Needs an admin token.';

/** Webhook subscriptions and their delivery logs: admins only, reads included (they show targets). */
export const webhooksRoutes: FastifyPluginAsyncTypebox<WebhooksRoutesOptions> = async (app, { service }) => {
  app.get(
    '/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        summary: 'List the webhooks (admin)',
        description: `Every subscription, by id; never a secret. At most 100 exist. ${ADMIN}`,
        querystring: NoQuery,
        response: { 200: WebhookList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async () => ({ webhooks: await service.list() }),
  );

  app.post(
    '/webhooks',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createWebhook',
        tags: ['webhooks'],
        summary: 'Subscribe a URL to server events (admin)',
        description:
          'The changes after this moment that match `events` and `filter` are delivered to `url`, signed ' +
          'as Standard Webhooks specifies. The URL must reach public addresses only (400 ' +
          'WEBHOOK_URL_FORBIDDEN), unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true; at most 100 subscriptions ' +
          `(409). ${SECRET_NOTE}`,
        querystring: NoQuery,
        body: CreateWebhookBody,
        bodyExamples: createWebhookExamples,
        responseExamples: { 201: createdWebhookExamples },
        response: { 201: WebhookWithSecret, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const created = await service.create(request.body, actorOf(request));
      logChange(request, created.id, 'create');
      return reply
        .code(201)
        .header('location', `${app.prefix}/webhooks/${created.id}`)
        .header('cache-control', 'no-store')
        .send(created);
    },
  );

  app.get(
    '/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'getWebhook',
        tags: ['webhooks'],
        summary: 'Get a webhook (admin)',
        description: `Never its secret. ${ADMIN}`,
        params: WebhookParams,
        querystring: NoQuery,
        response: { 200: Webhook, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request) => service.get(Number(request.params.id)),
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'updateWebhook',
        tags: ['webhooks'],
        summary: 'Change a webhook (admin)',
        description:
          'A JSON Merge Patch of url, events, filter, description and active, checked as on creation. ' +
          '`"active": true` also clears `disabled_reason`. Deliveries already queued keep their body. ' +
          ADMIN,
        consumes: [MERGE_PATCH, 'application/json'],
        params: WebhookParams,
        querystring: NoQuery,
        body: PatchWebhookBody,
        bodyExamples: patchWebhookExamples,
        responseExamples: { 200: patchedWebhookExamples },
        response: { 200: Webhook, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
      },
    },
    async (request) => {
      const id = Number(request.params.id);
      const updated = await service.update(id, request.body, actorOf(request));
      logChange(request, id, 'update');
      return updated;
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        summary: 'Delete a webhook (admin)',
        description: `At once, with its delivery log; nothing more is sent to it. ${ADMIN}`,
        params: WebhookParams,
        querystring: NoQuery,
        response: {
          204: Type.Unsafe<undefined>({ description: 'Deleted' }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.id);
      await service.remove(id);
      logChange(request, id, 'delete');
      return reply.code(204).send();
    },
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'rotateWebhookSecret',
        tags: ['webhooks'],
        summary: 'Rotate the signing secret of a webhook (admin)',
        description:
          'A new secret; deliveries are signed with both the new one and the one before for 24 hours, so ' +
          'that the receiver can switch without missing one. A secret before that stops signing at once. ' +
          `${SECRET_NOTE} ${ADMIN}`,
        params: WebhookParams,
        querystring: NoQuery,
        responseExamples: { 200: rotatedSecretExamples },
        response: { 200: WebhookSecret, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.id);
      const rotated = await service.rotateSecret(id, actorOf(request));
      logChange(request, id, 'rotate-secret');
      return reply.header('cache-control', 'no-store').send(rotated);
    },
  );

  app.post(
    '/webhooks/:id/ping',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'pingWebhook',
        tags: ['webhooks'],
        summary: 'Send a ping event to a webhook (admin)',
        description:
          'Queues a `ping` delivery, due now: `{"type": "ping", "timestamp", "data": {"webhook_id"}}`, signed ' +
          'like every delivery. The answer is the queued delivery; its log entry shows how the attempt went. ' +
          `An inactive webhook is sent nothing (409). ${ADMIN}`,
        params: WebhookParams,
        querystring: NoQuery,
        responseExamples: { 202: queuedDeliveryExamples },
        response: { 202: WebhookDelivery, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.id);
      const delivery = await service.ping(id);
      logChange(request, id, 'ping', { delivery: delivery.id });
      return reply.code(202).send(delivery);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['webhooks'],
        summary: "A webhook's delivery log (admin)",
        description:
          'Its deliveries, newest first, each with every attempt: when, the HTTP status or the error, how ' +
          'long it took and the first 1 KB of the answer. Pages with the opaque `cursor` from `next` (also ' +
          `in the Link header). ${ADMIN}`,
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: {
          200: {
            ...WebhookDeliveryList,
            headers: { link: Type.Optional(Type.String({ description: 'rel="next"' })) },
          },
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const page = await service.deliveries(Number(request.params.id), request.query);
      if (page.next !== null) {
        const path = `${app.prefix}/webhooks/${request.params.id}/deliveries`;
        void reply.header('link', nextPageLink(path, request.url, page.next));
      }
      return page;
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/redeliver',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'redeliverWebhookDelivery',
        tags: ['webhooks'],
        summary: 'Send a delivery again (admin)',
        description:
          'Queues the delivery again, due now, with the same body and the same webhook-id (so that a ' +
          'receiver that has it already can tell), whatever its state: a failed one, or a succeeded one ' +
          `asked for again. An inactive webhook is sent nothing (409). ${ADMIN}`,
        params: DeliveryParams,
        querystring: NoQuery,
        responseExamples: { 202: queuedDeliveryExamples },
        response: { 202: WebhookDelivery, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.id);
      const delivery = await service.redeliver(id, Number(request.params.delivery_id));
      logChange(request, id, 'redeliver', { delivery: delivery.id });
      return reply.code(202).send(delivery);
    },
  );
};
