import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { appError } from '../errors.js';
import { errorResponses } from '../shared/schemas.js';
import { RECONNECT_MS } from './changes.events.js';
import { changeListExamples } from './changes.examples.js';
import {
  ChangeList,
  ChangesQuery,
  LAST_EVENT_ID_MESSAGE,
  MAX_SEQ,
  StreamHeaders,
  StreamQuery,
} from './changes.schemas.js';
import type { ChangesService } from './changes.service.js';
import { hashToken } from '../tokens/tokens.service.js';
import type { ChangeStreams } from './changes.streams.js';

export interface ChangesRoutesOptions {
  service: ChangesService;
  streams: ChangeStreams;
}

/** The media type of Server-Sent Events. */
export const EVENT_STREAM_TYPE = 'text/event-stream';

/** The seq a stream starts after: Last-Event-ID's, else `after`'s (the schema checked both's form); undefined: from now. */
function streamStart(lastEventId: string | undefined, after: number | undefined): number | undefined {
  if (lastEventId === undefined) {
    return after;
  }
  const seq = Number(lastEventId);
  // The pattern admits up to ten digits: the range is checked here.
  if (seq > MAX_SEQ) {
    throw appError('VALIDATION_FAILED', [{ field: 'last-event-id', message: LAST_EVENT_ID_MESSAGE }]);
  }
  return seq;
}

/**
 * `before` where the request bounds the page on both sides: at or below `after + 1`, no seq lies
 * between the two, which is a mistake in the request rather than an empty page. (`after` is 0 when
 * not given, and `before=1` then stays an empty page: the one before the first change, which a reader
 * paging back reaches.)
 */
function checkBounds(after: number, before: number | undefined): void {
  if (after > 0 && before !== undefined && before <= after + 1) {
    throw appError('VALIDATION_FAILED', [
      {
        field: 'before',
        message: `must be greater than after + 1 (at least ${String(after + 2)} with after=${String(after)}): no seq lies between them`,
      },
    ]);
  }
}

/** The change feed: every create, update and delete of the inventory, in order; and as it happens. */
export const changesRoutes: FastifyPluginAsyncTypebox<ChangesRoutesOptions> = async (app, { service, streams }) => {
  app.get(
    '/changes',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'listChanges',
        tags: ['changes'],
        summary: "The inventory's change feed, in seq order",
        description:
          'To sync, remember the last seq you processed and ask for `after=<that seq>` until the list is ' +
          'empty. To show the latest changes, ask `order=desc` (newest first), then `before=<the oldest seq ' +
          'shown>` for the ones before. Deletes are included. Each change carries the server as it was after it (before it, for ' +
          'a delete), so that a client can apply it without reading the server again. To be told of changes ' +
          'as they happen, see `GET /api/v1/changes/stream`.',
        querystring: ChangesQuery,
        response: { 200: ChangeList, ...errorResponses(400, 401, 403, 429) },
        responseExamples: { 200: changeListExamples },
      },
    },
    (request) => {
      const { after = 0, before, order = 'asc', limit = 100 } = request.query;
      checkBounds(after, before);
      return service.list({ after, before, order, limit });
    },
  );

  app.get(
    '/changes/stream',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'streamChanges',
        tags: ['changes'],
        summary: 'The change feed as it happens, as Server-Sent Events',
        description:
          'Each change as an event: `id` its seq, `event` server.created, server.updated or server.deleted, ' +
          '`data` the change as GET /api/v1/changes gives it, on one line. Starts after Last-Event-ID (what an ' +
          'EventSource sends when it reconnects), else after `after`, else at the end of the feed (only new ' +
          'changes); a backlog is sent first, at the pace the client reads it. A comment (`: heartbeat`) comes ' +
          'every 15 seconds. A change written through this server arrives at once, one written through another ' +
          'replica within STREAM_POLL_MS. A client that falls far behind is disconnected: it reconnects with ' +
          'Last-Event-ID and misses nothing. 503 TOO_MANY_STREAMS, with Retry-After, past STREAM_MAX_CLIENTS.',
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: {
            description: `The events, until the client leaves or the server shuts down (reconnect after ${RECONNECT_MS} ms)`,
            content: {
              [EVENT_STREAM_TYPE]: {
                schema: Type.String({
                  examples: [
                    `retry: ${RECONNECT_MS}\n\nid: 42\nevent: server.updated\ndata: {"seq":42,"server_id":3,` +
                      '"action":"update","at":"2026-03-02T14:05:00.000Z","actor":"ops-alice","changes":{"status":' +
                      '{"from":"up","to":"maintenance"}},"server":{"id":3,"hostname":"web-prod-02","...":"..."}}\n\n' +
                      ': heartbeat\n\n',
                  ],
                }),
              },
            },
          },
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const after = streamStart(request.headers['last-event-id'], request.query.after);
      // A HEAD asks for the headers only: no stream is opened. A refusal (503) answers JSON, before this.
      // A token is asked about again at each heartbeat: a revoked one ends its streams.
      const { stillAuthorized } = request;
      const access =
        stillAuthorized === null
          ? undefined
          : { key: hashToken(request.headers.authorization ?? ''), check: stillAuthorized };
      const stream = request.method === 'HEAD' ? Readable.from([]) : await streams.open(after, reply.raw, access);
      void reply
        .type(EVENT_STREAM_TYPE)
        // Neither a cache nor a proxy may keep it (nginx buffers answers unless told not to).
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no');
      // A stream bypasses the serialiser; the route's types only describe its JSON answers.
      return reply.send(stream as unknown as string);
    },
  );
};
