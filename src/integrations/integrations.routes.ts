import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { ServersService } from '../servers/servers.service.js';
import { customFilterDocumentation, customFilterParameters, filterParameters } from '../servers/query/params.js';
import { type DefinitionsLoader, parseFilters } from '../servers/query/parsing.js';
import { ifNoneMatchHits } from '../shared/etag.js';
import { errorResponses } from '../shared/schemas.js';
import type { Filters } from '../servers/query/params.js';
import type { FeedServer } from '../servers/servers.mapper.js';
import { ansibleWriter } from './ansible.js';
import { AnsibleInventory } from './ansible.schemas.js';
import { type FinishedBody, feedBody } from './feed-body.js';
import { prometheusWriter } from './prometheus.js';

export interface IntegrationsRoutesOptions {
  service: ServersService;
  /** The custom fields' definitions, read when a feed filters by one. */
  definitions: DefinitionsLoader;
}

const FeedQuery = Type.Object(filterParameters, {
  additionalProperties: false,
  patternProperties: customFilterParameters,
});
const PrometheusQuery = Type.Object(
  {
    ...filterParameters,
    port: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'The port of every target, 9100 by default' }),
    ),
  },
  { additionalProperties: false, patternProperties: customFilterParameters },
);

const FEED_HEADERS = { etag: Type.String({ description: 'Strong ETag of the body; send it in If-None-Match' }) };
const NOT_MODIFIED = Type.Unsafe<undefined>({ description: 'Not modified since the ETag in If-None-Match' });

/** A feed's text, written as the servers come (ansibleWriter, prometheusWriter). */
interface FeedWriter {
  start(): string;
  add(servers: readonly FeedServer[]): string;
  end(): Iterable<string>;
}

/** The whole feed of the servers matching the filters, read a chunk at a time (ServersService.feedServers). */
async function writeFeed(service: ServersService, filters: Filters, writer: FeedWriter): Promise<FinishedBody> {
  const body = feedBody();
  body.add(writer.start());
  await service.feedServers(filters, (servers) => {
    body.add(writer.add(servers));
  });
  for (const text of writer.end()) {
    body.add(text);
  }
  return body.finish();
}

/**
 * Sends a feed with a strong ETag made from its bytes, or 304 when the poller has it already:
 * Ansible and Prometheus ask again and again, and most answers are the same.
 */
function sendFeed(request: FastifyRequest, reply: FastifyReply, body: FinishedBody) {
  void reply.header('etag', body.etag).header('cache-control', 'no-cache');
  if (ifNoneMatchHits(request.headers['if-none-match'], body.etag)) {
    return reply.code(304).send();
  }
  return reply.type('application/json; charset=utf-8').header('content-length', body.length).send(body.stream());
}

export const integrationsRoutes: FastifyPluginAsyncTypebox<IntegrationsRoutesOptions> = async (
  app,
  { service, definitions },
) => {
  app.get(
    '/integrations/ansible',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getAnsibleInventory',
        tags: ['integrations'],
        summary: 'Ansible dynamic inventory (the --list format)',
        description:
          'Hosts by host name with ansible_host and server_* variables in _meta.hostvars (server_cf_<name> for ' +
          'each custom field the server has a value for); groups env_*, ' +
          'role_*, location_*, status_* and tag_*. Every string variable is `{"__ansible_unsafe": "..."}`, ' +
          'which Ansible loads as an unsafe string: never rendered as a template. Servers with a host name ' +
          'reserved by Ansible (localhost, all ...) are left out. Takes the list filters. ' +
          'contrib/ansible/inventory.sh wraps it for `ansible-inventory -i`.',
        querystring: FeedQuery,
        queryPatterns: customFilterDocumentation,
        response: {
          200: Type.Unsafe<AnsibleInventory>({ ...AnsibleInventory, headers: FEED_HEADERS }),
          304: NOT_MODIFIED,
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      // The feed gives every defined field's variable, so it reads the definitions whatever the filters.
      const defined = await definitions();
      const filters = parseFilters(request.query, defined);
      const writer = ansibleWriter(defined);
      const body = await writeFeed(service, filters, writer);
      const { leftOut } = writer;
      if (leftOut.length > 0) {
        // Stored before host names were checked against the reserved ones: rename them to bring them back.
        request.log.warn(
          { hostnames: leftOut },
          'servers with a reserved host name are left out of the Ansible inventory',
        );
      }
      return sendFeed(request, reply, body);
    },
  );

  app.get(
    '/integrations/prometheus',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getPrometheusTargets',
        tags: ['integrations'],
        summary: 'Prometheus HTTP service discovery (http_sd_configs)',
        description:
          'One target group per server, `<ip>:<port>`, with __meta_inventory_* labels (__meta_inventory_cf_<name> ' +
          'for each custom field the server has a value for, as text). Decommissioned ' +
          'servers are left out unless the status filter asks for them. Takes the list filters.',
        querystring: PrometheusQuery,
        queryPatterns: customFilterDocumentation,
        response: {
          200: Type.Array(
            Type.Object({
              targets: Type.Array(Type.String()),
              labels: Type.Record(Type.String(), Type.String()),
            }),
            { headers: FEED_HEADERS },
          ),
          304: NOT_MODIFIED,
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const { port = 9100, ...query } = request.query;
      const defined = await definitions();
      const filters = parseFilters(query, defined);
      filters.status ??= ['up', 'down', 'maintenance'];
      return sendFeed(request, reply, await writeFeed(service, filters, prometheusWriter(port, defined)));
    },
  );
};
