import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { type AppError, type ErrorDetail, MAX_DETAILS, appError } from '../../errors.js';
import { bodyText } from '../../plugins/body-parsers.js';
import { errorResponses } from '../../shared/schemas.js';
import { turnEvery } from '../../db/chunks.js';
import { CSV_EXAMPLE, NDJSON_EXAMPLE, appliedExamples, applyExamples } from './apply.examples.js';
import { type ParsedItems, parseCsv, parseNdjson } from './apply.parsers.js';
import {
  APPLY_BODY_LIMIT_BYTES,
  ApplyBody,
  ApplyBodyEnvelope,
  ApplyItem,
  ApplyItems,
  ApplyItemsEnvelope,
  ApplyQuery,
  ApplyResult,
  CSV_MEDIA_TYPE,
  MAX_APPLY_ITEMS,
  NDJSON_MEDIA_TYPE,
} from './apply.schemas.js';
import type { ApplyService } from './apply.service.js';
import { writeContext } from '../servers.replies.js';

export interface ApplyRoutesOptions {
  service: ApplyService;
}

/** What the parser saw of an NDJSON or CSV body besides its servers (lines, cf_ columns), by the body's array. */
const PARSED = new WeakMap<object, Omit<ParsedItems, 'items'>>();

/** A validator as the validation plugin compiles them: true, or the error naming every problem. */
type ItemValidator = (data: unknown) => true | { error: AppError };

/** How many servers are checked between two turns of the event loop. */
const CHECK_SLICE = 500;

/**
 * The servers of a body, each checked against ApplyItem a slice at a time (a turn of the event loop
 * between slices), with every problem named after its server: `servers[3].ip` or `line 7.ip`.
 */
async function checkedItems(
  items: unknown[],
  labels: readonly string[],
  validate: ItemValidator,
): Promise<ApplyItem[]> {
  const details: ErrorDetail[] = [];
  let total = 0;
  for (const [i, item] of items.entries()) {
    await turnEvery(i, CHECK_SLICE);
    const checked = validate(item);
    if (checked !== true) {
      const label = labels[i] ?? `servers[${i}]`;
      for (const { field, message } of checked.error.details ?? []) {
        if (details.length < MAX_DETAILS) {
          details.push({ field: field === 'body' ? label : `${label}.${field}`, message });
        }
      }
      total += (checked.error.details?.length ?? 0) + checked.error.truncated;
    }
  }
  if (total > 0) {
    throw appError('VALIDATION_FAILED', { details, truncated: total - details.length });
  }
  return items as ApplyItem[];
}

/**
 * How many applies one process runs at once. Each may hold a 16 MiB body and its parsed form (some
 * 30 MiB at most) while it runs, and on SQLite they run one after the other anyway: a third is told to
 * come back (503 OVERLOADED), before its body is read, instead of growing the heap toward the limit.
 */
export const MAX_APPLIES_IN_FLIGHT = 2;

/** The query parameters that only an NDJSON or CSV body takes; a JSON body has them in itself. */
const QUERY_ONLY_FOR_TEXT = ['source', 'prune', 'dry_run'] as const;

export const applyRoutes: FastifyPluginAsyncTypebox<ApplyRoutesOptions> = async (app, { service }) => {
  // In this plugin's scope only: every other route answers 415 to NDJSON and CSV.
  const textParser =
    (parse: (text: string) => Promise<ParsedItems>) => async (request: FastifyRequest, body: Buffer) => {
      const { items, ...parsed } = await parse(bodyText(request, body));
      PARSED.set(items, parsed);
      return items;
    };
  for (const [type, parse] of [
    [NDJSON_MEDIA_TYPE, parseNdjson],
    [CSV_MEDIA_TYPE, parseCsv],
  ] as const) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: APPLY_BODY_LIMIT_BYTES }, textParser(parse));
  }

  // Compiled on first use, by the validation plugin's compiler: the messages of every other body.
  let validateItem: ItemValidator | undefined;
  const itemValidator = (): ItemValidator => {
    const compile = app.validatorCompiler;
    if (compile === undefined) {
      throw new Error('no validator compiler');
    }
    validateItem ??= compile({
      schema: ApplyItem,
      method: 'POST',
      url: '/servers/apply',
      httpPart: 'body',
    }) as ItemValidator;
    return validateItem;
  };

  // The applies running now: a request leaves on its response or when its client goes away.
  const running = new Set<FastifyRequest>();

  app.post(
    '/servers/apply',
    {
      config: { scope: 'write' },
      // After authentication (the app's hooks run first), before the body is read.
      onRequest: (request, _reply, done) => {
        if (running.size >= MAX_APPLIES_IN_FLIGHT) {
          done(appError('OVERLOADED', { headers: { 'retry-after': '1' } }));
          return;
        }
        running.add(request);
        done();
      },
      onResponse: (request, _reply, done) => {
        running.delete(request);
        done();
      },
      onRequestAbort: (request, done) => {
        running.delete(request);
        done();
      },
      bodyLimit: APPLY_BODY_LIMIT_BYTES,
      schema: {
        operationId: 'applyServers',
        tags: ['servers'],
        summary: 'Make the inventory match what a source sees: create, update, adopt and prune, all or nothing',
        description:
          'Each server of the input is matched by host name (any case). Missing ones are created, owned by ' +
          '`source`; those owned by `source` or by no one are updated where they differ (one owned by no one ' +
          'is adopted); one owned by another source refuses the whole apply (409, naming each). Fields an ' +
          'item gives are set, fields it leaves out kept; null clears. Custom fields alike, one by one: a field ' +
          '`custom_fields` does not name keeps its value (a new server takes its default), null removes it; ' +
          'values are checked against the definitions, required fields included. Every server of the input gets ' +
          '`last_seen_at`, an observation that changes neither its version nor its history. With `prune`, ' +
          "the source's servers that the input leaves out are deleted. With `dry_run`, nothing is written " +
          'and the answer is what the apply would do. One transaction; unchanged servers are not written. ' +
          `At most ${MAX_APPLY_ITEMS} servers and ${APPLY_BODY_LIMIT_BYTES / 1024 / 1024} MiB. The body is ` +
          `JSON, or ${NDJSON_MEDIA_TYPE} (one server per line) or ${CSV_MEDIA_TYPE} (the export's columns) ` +
          'with source, prune and dry_run in the query; errors name `servers[3].ip`, or `line 7.ip`.',
        querystring: ApplyQuery,
        body: {
          content: {
            'application/json': { schema: ApplyBodyEnvelope },
            [NDJSON_MEDIA_TYPE]: { schema: ApplyItemsEnvelope },
            [CSV_MEDIA_TYPE]: { schema: ApplyItemsEnvelope },
          },
        },
        documentedBody: {
          content: {
            'application/json': { schema: ApplyBody },
            [NDJSON_MEDIA_TYPE]: { schema: ApplyItems },
            [CSV_MEDIA_TYPE]: { schema: ApplyItems },
          },
        },
        bodyExamples: applyExamples,
        textBodies: {
          [NDJSON_MEDIA_TYPE]: {
            description: 'One server per line, each as an item of the JSON body’s `servers`',
            example: NDJSON_EXAMPLE,
          },
          [CSV_MEDIA_TYPE]: {
            description:
              'RFC 4180 with a header row of the export’s columns (any of them, in any order, hostname ' +
              'among them); id, timestamps, managed_by and last_seen_at are skipped. `cf_<name>` columns ' +
              'give custom fields, each cell read by the field’s type (a column naming no field is a 400). An ' +
              'empty cell clears its field; tags are separated by spaces.',
            example: CSV_EXAMPLE,
          },
        },
        responseExamples: { 200: appliedExamples },
        response: { 200: ApplyResult, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
      },
    },
    async (request) => {
      const body = request.body as (Omit<ApplyBody, 'servers'> & { servers: unknown[] }) | unknown[] | undefined;
      if (body === undefined) {
        throw appError('VALIDATION_FAILED', [
          { field: 'body', message: `is required: send JSON, ${NDJSON_MEDIA_TYPE} or ${CSV_MEDIA_TYPE}` },
        ]);
      }
      const { query } = request;
      if (!Array.isArray(body)) {
        const inQuery = QUERY_ONLY_FOR_TEXT.filter((name) => query[name] !== undefined);
        if (inQuery.length > 0) {
          throw appError(
            'VALIDATION_FAILED',
            inQuery.map((field) => ({
              field,
              message: 'goes in the JSON body: the query carries it for NDJSON and CSV',
            })),
          );
        }
        const labels = body.servers.map((_item, i) => `servers[${i}]`);
        return service.apply({
          source: body.source,
          items: await checkedItems(body.servers, labels, itemValidator()),
          labels,
          prune: body.prune ?? false,
          dryRun: body.dry_run ?? false,
          actor: writeContext(request).actor,
        });
      }
      if (query.source === undefined) {
        throw appError('VALIDATION_FAILED', [
          { field: 'source', message: 'is required: add ?source=NAME (an NDJSON or CSV body holds servers only)' },
        ]);
      }
      const { lines = [], customColumns } = PARSED.get(body) ?? {};
      const labels = body.map((_item, i) => `line ${lines[i] ?? '?'}`);
      return service.apply({
        source: query.source,
        items: await checkedItems(body, labels, itemValidator()),
        labels,
        ...(customColumns === undefined ? {} : { customColumns }),
        prune: query.prune ?? false,
        dryRun: query.dry_run ?? false,
        actor: writeContext(request).actor,
      });
    },
  );
};
