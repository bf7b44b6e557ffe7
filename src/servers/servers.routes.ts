import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ifNoneMatchHits } from '../shared/etag.js';
import { errorResponses } from '../shared/schemas.js';
import { historyExamples } from '../changes/changes.examples.js';
import { ChangeList } from '../changes/changes.schemas.js';
import {
  CreateServersBody,
  NoQuery,
  Server,
  ServerIdParams,
  ServerInput,
  ServerList,
  ServerPatch,
} from './servers.schemas.js';
import { appError } from '../errors.js';
import { MERGE_PATCH } from '../plugins/body-parsers.js';
import {
  createExamples,
  createdExamples,
  patchExamples,
  patchedExamples,
  replaceExamples,
  replacedExamples,
} from './servers.examples.js';
import { CSV_TYPE, EXPORT_FORMATS, NDJSON_TYPE, exportStream, requestedFormat } from './servers.export.js';
import {
  customFilterDocumentation,
  customFilterParameters,
  filterParameters,
  pagingParameters,
} from './query/params.js';
import { type DefinitionsLoader, definitionsFor, parseListing } from './query/parsing.js';
import type { ServersService } from './servers.service.js';
import {
  ETAG_HEADER,
  LOCATION_HEADER,
  WRITE_ERRORS,
  createdAnswer,
  sendVersioned,
  versionHeaders,
  writeContext,
} from './servers.replies.js';
import {
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKeyHeaders,
  REPLAYED_HEADER,
  ReplayedHeader,
  parseIdempotencyKey,
} from '../idempotency/idempotency.header.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { nextPageLink } from '../shared/cursor.js';
import Type from 'typebox';

export interface ServersRoutesOptions {
  service: ServersService;
  /** The Idempotency-Key store of creates. */
  idempotency: IdempotencyService;
  /** The custom fields' definitions, read when a listing filters or sorts by one. */
  definitions: DefinitionsLoader;
}

const ListQuery = Type.Object(
  {
    ...filterParameters,
    ...pagingParameters,
    format: Type.Optional(Type.Enum(EXPORT_FORMATS, { description: 'json (the default), csv or ndjson' })),
  },
  { additionalProperties: false, patternProperties: customFilterParameters },
);

export const serversRoutes: FastifyPluginAsyncTypebox<ServersRoutesOptions> = async (
  app,
  { service, idempotency, definitions },
) => {
  app.get(
    '/servers',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listServers',
        tags: ['servers'],
        summary: 'List, filter, sort and page the servers; export them as CSV or NDJSON',
        description:
          'Filters combine with AND; several values of one filter (repeated, or comma-separated) match any ' +
          'of them, except `tag`, where the server must have every tag; custom fields filter as `cf_<name>` ' +
          '(see custom_field_filters) and sort as `sort=cf_<name>`. Pages with `limit` and `offset`, or ' +
          'with the opaque `cursor` from `next` (also in the Link header), which neither skips nor repeats a ' +
          'row while servers come and go. With `format=csv` or `Accept: text/csv` (RFC 4180) and ' +
          '`format=ndjson` or `Accept: application/x-ndjson`, every matching server is streamed, unpaged; the ' +
          'CSV has a column `cf_<name>` per custom field after the fixed ones.',
        querystring: ListQuery,
        queryPatterns: customFilterDocumentation,
        response: {
          200: { ...ServerList, headers: { link: Type.Optional(Type.String({ description: 'rel="next"' })) } },
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const wanted = requestedFormat(format, request.headers.accept);
      void reply.header('vary', 'Accept');
      if (wanted !== 'json') {
        if (query.limit !== undefined || query.offset !== undefined || query.cursor !== undefined) {
          throw appError('VALIDATION_FAILED', [
            { field: 'format', message: 'exports are not paged: drop limit, offset and cursor' },
          ]);
        }
        // The export has a column per defined field: it reads the definitions whatever the filters,
        // before any header of a successful answer is set.
        const defined = await definitions();
        const { filters, sort } = parseListing(query, defined);
        void reply.type(wanted === 'csv' ? CSV_TYPE : NDJSON_TYPE);
        if (wanted === 'csv') {
          void reply.header('content-disposition', 'attachment; filename="servers.csv"');
        }
        // A HEAD asks for the headers only: no export is read.
        const stream =
          request.method === 'HEAD'
            ? Readable.from([])
            : exportStream(wanted, defined, service.exportServers({ filters, sort }));
        // A stream bypasses the JSON serialiser; the route's types only describe the JSON answer.
        return reply.send(stream as unknown as ServerList);
      }
      const page = await service.listServers(parseListing(query, await definitionsFor(query, definitions)));
      if (page.next !== null) {
        void reply.header('link', nextPageLink(`${app.prefix}/servers`, request.url, page.next));
      }
      return page;
    },
  );

  app.get(
    '/servers/:id',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getServer',
        tags: ['servers'],
        summary: 'Get one server',
        description: 'Carries an ETag; If-None-Match with it answers 304 while the server is unchanged.',
        params: ServerIdParams,
        querystring: NoQuery,
        response: {
          200: { ...Server, headers: ETAG_HEADER },
          304: Type.Unsafe<undefined>({ description: 'Not modified: the ETag in If-None-Match is current' }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const found = await service.getServer(Number(request.params.id));
      if (ifNoneMatchHits(request.headers['if-none-match'], found.etag)) {
        // A 304 carries the observation too: caches update the headers they stored (RFC 9111 4.3.4).
        return versionHeaders(reply, found).code(304).send(undefined);
      }
      return sendVersioned(reply, found);
    },
  );

  app.post(
    '/servers',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'createServers',
        tags: ['servers'],
        summary: 'Create a server, or up to 1000 at once',
        description:
          'A single server answers 201 with the server, its Location and its ETag. An array answers 201 ' +
          'with the array; it is created in one transaction, all or nothing, and errors name the index ' +
          'of each bad item (`[3].hostname`). With an `Idempotency-Key`, a retry of the same body gets the ' +
          'first answer again (marked `Idempotent-Replayed: true`) instead of creating twice: 409 while the ' +
          'first request runs, 422 for the same key with another body.',
        querystring: NoQuery,
        headers: Type.Object(IdempotencyKeyHeaders),
        body: CreateServersBody,
        bodyExamples: createExamples,
        responseExamples: { 201: createdExamples },
        response: {
          201: {
            ...Type.Union([Server, Type.Array(Server)]),
            headers: { ...ETAG_HEADER, ...LOCATION_HEADER, ...ReplayedHeader },
          },
          ...errorResponses(...WRITE_ERRORS, 422),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const batch = Array.isArray(body);
      const context = writeContext(request);
      const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
      const answer = await idempotency.once<Server | Server[]>({ token: context.actor, key, body }, async (record) => {
        const created = await service.createServers(batch ? body : [body], {
          ...context,
          batch,
          onCreated: (trx, servers) => record(trx, createdAnswer(app.prefix, servers, batch)),
        });
        return createdAnswer(app.prefix, created, batch);
      });
      if (answer.replayed) {
        void reply.header(REPLAYED_HEADER, 'true');
      }
      // Only creates' answers are stored, so the status is the route's 201.
      return reply
        .code(answer.status as 201)
        .headers(answer.headers)
        .send(answer.body);
    },
  );

  app.put(
    '/servers/:id',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'replaceServer',
        tags: ['servers'],
        summary: 'Replace a server',
        description: 'Omitted fields go back to their defaults. Honours If-Match (412 on a mismatch).',
        params: ServerIdParams,
        querystring: NoQuery,
        body: ServerInput,
        bodyExamples: replaceExamples,
        responseExamples: { 200: replacedExamples },
        response: { 200: { ...Server, headers: ETAG_HEADER }, ...errorResponses(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      sendVersioned(reply, await service.replaceServer(Number(request.params.id), request.body, writeContext(request))),
  );

  app.patch(
    '/servers/:id',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'patchServer',
        tags: ['servers'],
        summary: 'Change some fields of a server (JSON Merge Patch)',
        description:
          'RFC 7396, as application/merge-patch+json or application/json: absent fields stay as they are, ' +
          'null clears an optional field. Honours If-Match (412 on a mismatch).',
        params: ServerIdParams,
        querystring: NoQuery,
        // The body parser takes both; the first is what /docs sends.
        consumes: [MERGE_PATCH, 'application/json'],
        body: ServerPatch,
        bodyExamples: patchExamples,
        responseExamples: { 200: patchedExamples },
        response: { 200: { ...Server, headers: ETAG_HEADER }, ...errorResponses(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      sendVersioned(reply, await service.patchServer(Number(request.params.id), request.body, writeContext(request))),
  );

  app.delete(
    '/servers/:id',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'deleteServer',
        tags: ['servers'],
        summary: 'Delete a server',
        description: 'Its history stays. Honours If-Match (412 on a mismatch).',
        params: ServerIdParams,
        querystring: NoQuery,
        response: {
          204: Type.Unsafe<undefined>({ description: 'Deleted' }),
          ...errorResponses(400, 401, 403, 404, 412, 429),
        },
      },
    },
    async (request, reply) => {
      await service.deleteServer(Number(request.params.id), writeContext(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/servers/:id/history',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'getServerHistory',
        tags: ['servers'],
        summary: "A server's changes, oldest first",
        description:
          'Still answers after the server was deleted. Each change carries the server as it was after it ' +
          '(before it, for the delete).',
        params: ServerIdParams,
        querystring: NoQuery,
        response: { 200: ChangeList, ...errorResponses(400, 401, 403, 404, 429) },
        responseExamples: { 200: historyExamples },
      },
    },
    (request) => service.serverHistory(Number(request.params.id)),
  );
};
