/**
 * A filter of the list's (`GET /api/v1/servers`), matched against one server in memory: for what must
 * decide, server by server and change by change, whether a server is one a filter selects (a webhook
 * subscription's filter, for one), without asking the database.
 *
 * Use:
 *   const lower = await databaseLower(db); // once, at start (./lower-case.ts)
 *   const filter = compileServerFilter(text, definitions, { lower, prefix: 'filter.' }); // or a 400
 *   if (matches(filter, server)) { ... }
 *
 * Contract:
 * - The filter is the text of a query string in the list's syntax, with or without its leading `?`,
 *   percent-encoded as in a URL (`status=up,down&tag=pci&cf_rack=R12&q=db`). It is parsed by the
 *   parser Fastify parses the list's query with, and checked by the list's own schema and parsing:
 *   a bad value gets the detail the list would give. Only filters are allowed: `sort`, `limit`,
 *   `offset`, `cursor` and `format` are refused (the detail names them), as is any unknown parameter.
 *   An empty filter selects every server.
 * - Custom fields' filters (`cf_<name>`) are checked against the definitions given, as the list checks
 *   them against the current ones: compile the filter again when the definitions change. A filter
 *   naming a field that no longer exists then fails as the list's query would (400, "is not a defined
 *   custom field").
 * - `matches(filter, server)` answers what the list answers: true if and only if the list, run with
 *   the same filter on a database holding this server, would return it. The server is the API's
 *   object (servers.mapper.ts toServer or toListedServer). `last_seen_at` is an observation served
 *   beside the server: where it is absent (a server given as toServer gives it, such as the state
 *   before a delete), the server counts as never seen, as a server whose last_seen_at is null: it
 *   meets `last_seen_before` and fails `last_seen_after`. `observes` says whether a filter reads it.
 * - The match is exact on both databases, as query/sql.ts compares: statuses, labels (NFC, as stored),
 *   host names, addresses, sources (`(none)` for no owner) and tags exactly, case included; several
 *   values of one filter match any of them, but tags, all of which the server must have; `cidr`
 *   compares the address key (IPv4 and IPv6); `q` is a substring of the host name or the notes after
 *   the database's lower() (`lower`: see ./lower-case.ts, which asks PostgreSQL how it folds);
 *   times compare as text in their stored form; a custom field's values compare as its index does
 *   (text in binary order, numbers as numbers, booleans as 1 and 0), a server without a value through
 *   the stand-in ('' or 0) where `__empty=true` is combined with a value or a bound.
 * - Cost: compiling parses and validates once (tens of microseconds). Matching runs one closure per
 *   condition over the server's fields, with no database: some hundreds of nanoseconds. What costs
 *   more, the address key of `cidr` and the lowered host name and notes of `q` (microseconds, more
 *   for long notes outside ASCII on PostgreSQL), is derived once per server object and remembered
 *   with it, for every filter it is matched against: match the same object against every filter.
 * - Pure: no I/O, no clock; the one state is that memory, held weakly by the server objects.
 */
import { parse } from 'fast-querystring';
import Type from 'typebox';
import type { Definition } from '../../custom-fields/custom-fields.values.js';
import { type AppError, type ErrorDetail, MAX_DETAILS, appError } from '../../errors.js';
import { MALFORMED_QUERY_MESSAGE, malformedQueryParameter } from '../../plugins/validation/query.js';
import {
  type FastifyValidator,
  QUERY_OPTIONS,
  compileValidator,
  createAjv,
} from '../../plugins/validation/validator.js';
import type { DatabaseLower } from './lower-case.js';
import { type Condition, type MatchedServer, conditionsOf } from './match-conditions.js';
import { type Filters, customFilterParameters, filterParameters, pagingParameters } from './params.js';
import { collectedFilters } from './parsing.js';

export type { MatchedServer } from './match-conditions.js';

/** A compiled filter: what `matches` takes. */
export interface ServerFilter {
  /** The filters, as the list parses them (./params.ts). */
  readonly filters: Readonly<Filters>;
  /** Whether it reads `last_seen_at` (last_seen_before, last_seen_after). */
  readonly observes: boolean;
  /** The names of the custom fields it filters by. */
  readonly customFields: readonly string[];
  /** Whether a server meets every condition (see matches). */
  readonly test: (server: MatchedServer) => boolean;
}

export interface FilterOptions {
  /** The database's lower(), which `q` folds case with: SQLITE_LOWER, or databaseLower(db) once. */
  lower: DatabaseLower;
  /** Put before each detail's field, such as `filter.` where the filter is a field of a body. */
  prefix?: string;
}

export type FilterCheck =
  | { ok: true; filter: ServerFilter }
  | { ok: false; details: ErrorDetail[]; /** How many more problems there were. */ truncated: number };

/** The list's parameters that are not filters: a filter selects servers, it neither sorts, pages nor formats them. */
const NOT_FILTERS: ReadonlySet<string> = new Set([...Object.keys(pagingParameters), 'format']);

const FILTER_NAMES: ReadonlySet<string> = new Set(Object.keys(filterParameters));
const CUSTOM_PATTERNS = Object.keys(customFilterParameters).map((pattern) => new RegExp(pattern, 'u'));

const NOT_A_FILTER_MESSAGE = 'is not a filter: a filter selects servers, and takes no sort, paging or format';
const UNKNOWN_MESSAGE =
  `is not a known query parameter; a filter takes ${[...FILTER_NAMES].join(', ')} ` +
  'and cf_<name> for a custom field';

/** The list's filters' schema, with nothing else: the list's checks of their values, by the same code. */
const FilterQuery = Type.Object(filterParameters, {
  additionalProperties: false,
  patternProperties: customFilterParameters,
});

let validator: FastifyValidator | undefined;

function validate(query: Record<string, unknown>): true | { error: AppError } {
  validator ??= compileValidator(createAjv(QUERY_OPTIONS), FilterQuery, 'querystring');
  return validator(query);
}

/**
 * Parses and checks a filter (see the module's contract), without throwing: the compiled filter, or
 * the details of a 400 as the list would answer, each naming its parameter.
 */
export function checkServerFilter(
  text: string,
  definitions: readonly Definition[],
  options: FilterOptions,
): FilterCheck {
  const prefix = options.prefix ?? '';
  const refused = (details: readonly ErrorDetail[], total = details.length): FilterCheck => {
    const shown = details.slice(0, MAX_DETAILS).map(({ field, message }) => ({ field: `${prefix}${field}`, message }));
    return { ok: false, details: shown, truncated: total - shown.length };
  };
  const query = text.startsWith('?') ? text.slice(1) : text;
  const malformed = malformedQueryParameter(`?${query}`);
  if (malformed !== null) {
    return refused([{ field: malformed, message: MALFORMED_QUERY_MESSAGE }]);
  }
  const details: ErrorDetail[] = [];
  // The filters' parameters, for the schema to check: the others are refused here.
  const raw: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(parse(query) as Record<string, string | string[]>)) {
    if (NOT_FILTERS.has(name)) {
      details.push({ field: name, message: NOT_A_FILTER_MESSAGE });
    } else if (!FILTER_NAMES.has(name) && !CUSTOM_PATTERNS.some((pattern) => pattern.test(name))) {
      details.push({ field: name, message: UNKNOWN_MESSAGE });
    } else {
      raw[name] = value;
    }
  }
  let total = details.length;
  const checked = validate(raw);
  if (checked !== true) {
    const found = checked.error.details ?? [];
    details.push(...found);
    total += found.length + checked.error.truncated;
  }
  if (details.length > 0) {
    return refused(details, total);
  }
  const parsed = collectedFilters(raw, definitions);
  if (parsed.details.length > 0) {
    return refused(parsed.details);
  }
  return { ok: true, filter: compiled(parsed.filters, options.lower) };
}

/**
 * Parses, checks and compiles a filter (see the module's contract). Throws VALIDATION_FAILED (400)
 * with a detail for every problem, as the list does.
 */
export function compileServerFilter(
  text: string,
  definitions: readonly Definition[],
  options: FilterOptions,
): ServerFilter {
  const checked = checkServerFilter(text, definitions, options);
  if (!checked.ok) {
    throw appError('VALIDATION_FAILED', { details: checked.details, truncated: checked.truncated });
  }
  return checked.filter;
}

function compiled(filters: Filters, lower: DatabaseLower): ServerFilter {
  const conditions: readonly Condition[] = conditionsOf(filters, lower);
  return {
    filters,
    observes: filters.lastSeenBefore !== undefined || filters.lastSeenAfter !== undefined,
    customFields: (filters.custom ?? []).map((filter) => filter.field.name),
    test: (server) => {
      for (const condition of conditions) {
        if (!condition(server)) {
          return false;
        }
      }
      return true;
    },
  };
}

/** Whether the server is one the filter selects: one the list would return with the same filter. */
export function matches(filter: ServerFilter, server: MatchedServer): boolean {
  return filter.test(server);
}
