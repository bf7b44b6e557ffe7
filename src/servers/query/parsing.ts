import { type ErrorDetail, appError } from '../../errors.js';
import type { Definition } from '../../custom-fields/custom-fields.values.js';
import { canonicalIp } from '../ip-address.js';
import { cidrKeyRange } from '../ip-key.js';
import { MAX_LABEL_LENGTH, codePointCount } from '../labels.js';
import { HOSTNAME_PATTERN } from '../hostnames.js';
import type { FilterKind } from '../server-fields.js';
import { LABEL_PATTERN, NO_SOURCE, SERVER_STATUSES, SOURCE_PATTERN, TAG_PATTERN } from '../server-fields.schemas.js';
import { decodeCursor } from './cursor.js';
import { CUSTOM_SORT_PREFIX, customFilters, isCustomParameter } from './custom-parsing.js';
import {
  DEFAULT_LIMIT,
  FIELD_FILTERS,
  type Filters,
  type Listing,
  type RawQuery,
  SORT_FIELDS,
  type SortField,
  type SortKey,
  type filterParameters,
} from './params.js';

// Parsing of the list's query string, once and strictly: a typo is a 400 naming it, never the whole
// inventory.

const HOSTNAME = new RegExp(HOSTNAME_PATTERN, 'u');
const LABEL = new RegExp(LABEL_PATTERN, 'u');

/**
 * A label filter's value in NFC, as labels are stored, so that any form of the same text finds them.
 * Only the shape is checked, not the look-alike rules of writes (./labels.ts): a label stored before
 * those rules must stay findable, to be corrected.
 */
function labelFilter(value: string): string | null {
  const normal = value.normalize('NFC');
  return LABEL.test(normal) && codePointCount(normal) <= MAX_LABEL_LENGTH ? normal : null;
}
const TAG = new RegExp(TAG_PATTERN);
const SOURCE = new RegExp(SOURCE_PATTERN);

/** For each kind of filter, the value to filter by (null if it is not one) and what to say of a bad one. */
const FILTER_VALUES: Record<FilterKind, { check: (value: string) => string | null; message: string }> = {
  status: {
    check: (v) => ((SERVER_STATUSES as readonly string[]).includes(v) ? v : null),
    message: `must be one of ${SERVER_STATUSES.join(', ')}`,
  },
  label: { check: labelFilter, message: 'must be 1 to 64 printable characters, without commas' },
  hostname: { check: (v) => (HOSTNAME.test(v) ? v.toLowerCase() : null), message: 'must be a host name' },
  ip: { check: canonicalIp, message: 'must be an IPv4 or IPv6 address' },
  tag: { check: (v) => (TAG.test(v) ? v : null), message: 'must be a tag ([a-z0-9][a-z0-9._-]{0,62})' },
  source: {
    check: (v) => (v === NO_SOURCE || SOURCE.test(v) ? v : null),
    message: `must be a source's name ([a-z0-9][a-z0-9._-]{0,63}) or ${NO_SOURCE} for none`,
  },
};

/**
 * A time filter's value in the stored form (RFC 3339 UTC, fixed width, which compares as text), or a
 * detail. The schema checked RFC 3339; a leap second (:60) or a time past year 9999 has no stored
 * equivalent, and would compare wrongly as text.
 */
function timeFilter(name: string, value: string, details: ErrorDetail[]): string | undefined {
  const time = new Date(value);
  if (Number.isNaN(time.getTime()) || time.getUTCFullYear() > 9999) {
    details.push({
      field: name,
      message: 'must be an RFC 3339 time between the years 0 and 9999, without a leap second',
    });
    return undefined;
  }
  return time.toISOString();
}

function split(values: string[] | undefined): string[] | undefined {
  if (values === undefined) {
    return undefined;
  }
  return values.flatMap((value) => value.split(',')).map((value) => value.trim());
}

/** Parses and checks the filters, adding a detail for every bad value. */
function collectFilters(query: RawQuery, definitions: readonly Definition[], details: ErrorDetail[]): Filters {
  const filters: Filters = {};
  const each = (
    name: keyof typeof filterParameters,
    // The value to filter by, or null if it is not one.
    check: (value: string) => string | null,
    message: string,
  ): string[] | undefined => {
    const raw = query[name];
    const values = split(typeof raw === 'string' ? [raw] : raw);
    if (values === undefined) {
      return undefined;
    }
    const out: string[] = [];
    for (const value of values) {
      const checked = value === '' ? null : check(value);
      if (checked === null) {
        details.push({ field: name, message: `${message} (got ${JSON.stringify(value)})` });
      } else {
        out.push(checked);
      }
    }
    return [...new Set(out)];
  };

  for (const { parameter, kind } of FIELD_FILTERS) {
    const values = each(parameter, FILTER_VALUES[kind].check, FILTER_VALUES[kind].message);
    if (values !== undefined) {
      filters[parameter] = values;
    }
  }
  const cidr = each('cidr', (v) => (cidrKeyRange(v) === null ? null : v), 'must be a prefix such as 10.0.0.0/8');
  if (cidr !== undefined) {
    filters.cidr = cidr.map((v) => cidrKeyRange(v)).filter((range) => range !== null);
  }
  if (typeof query.q === 'string') {
    filters.q = query.q;
  }
  const times = [
    ['updated_since', 'updatedSince'],
    ['last_seen_before', 'lastSeenBefore'],
    ['last_seen_after', 'lastSeenAfter'],
  ] as const;
  for (const [name, key] of times) {
    const value = query[name];
    if (typeof value === 'string') {
      const time = timeFilter(name, value, details);
      if (time !== undefined) {
        filters[key] = time;
      }
    }
  }
  const custom = customFilters(query, definitions, details);
  if (custom.length > 0) {
    filters.custom = custom;
  }
  return filters;
}

/** Reads the definitions of the custom fields (listDefinitions, CustomFieldsService.definitions). */
export type DefinitionsLoader = () => Promise<readonly Definition[]>;

/**
 * The definitions a query needs to be parsed: read (one query) only when it names a custom field, in
 * a filter or in the sort; none otherwise.
 */
export async function definitionsFor(
  query: RawQuery & { by?: string | string[] },
  load: DefinitionsLoader,
): Promise<readonly Definition[]> {
  const named =
    Object.keys(query).some(isCustomParameter) ||
    [query.sort ?? [], query.by ?? []].flat().some((value) => value.includes(CUSTOM_SORT_PREFIX));
  return named ? load() : [];
}

/**
 * Parses the filters alone (reports and feeds take no sort or paging), with the definitions of the
 * custom fields (see definitionsFor). Throws one 400 naming every problem.
 */
export function parseFilters(query: RawQuery, definitions: readonly Definition[]): Filters {
  const { filters, details } = collectedFilters(query, definitions);
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return filters;
}

/** The filters, and a detail for every bad value: for a route that checks more before it answers 400. */
export function collectedFilters(
  query: RawQuery,
  definitions: readonly Definition[],
): { filters: Filters; details: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  return { filters: collectFilters(query, definitions, details), details };
}

/** The name of a sort key as the sort parameter spells it (without its -). */
export function sortKeyName(key: SortKey): string {
  return 'custom' in key ? `${CUSTOM_SORT_PREFIX}${key.custom.name}` : key.field;
}

function parseSort(value: string | undefined, definitions: readonly Definition[], details: ErrorDetail[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of (value ?? 'id').split(',').map((p) => p.trim())) {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    const custom = field.startsWith(CUSTOM_SORT_PREFIX)
      ? definitions.find((definition) => `${CUSTOM_SORT_PREFIX}${definition.name}` === field)
      : undefined;
    if (keys.some((key) => sortKeyName(key) === field)) {
      details.push({ field: 'sort', message: `names ${field} twice: name each key once` });
    } else if (custom !== undefined) {
      keys.push({ custom: { name: custom.name, type: custom.type }, descending });
    } else if (field.startsWith(CUSTOM_SORT_PREFIX)) {
      details.push({
        field: 'sort',
        message: `names ${JSON.stringify(field)}, which is not a defined custom field: GET /api/v1/custom-fields lists them`,
      });
    } else if ((SORT_FIELDS as readonly string[]).includes(field)) {
      keys.push({ field: field as SortField, descending });
    } else {
      details.push({
        field: 'sort',
        message: `must name keys among ${SORT_FIELDS.join(', ')} or cf_<name> of a custom field (got ${JSON.stringify(part)})`,
      });
    }
  }
  if (!keys.some((key) => sortKeyName(key) === 'id')) {
    keys.push({ field: 'id', descending: false });
  }
  return keys;
}

/**
 * Parses the whole list query: filters, sort and paging, with the definitions of the custom fields
 * (see definitionsFor). Throws one 400 naming every problem.
 */
export function parseListing(query: RawQuery, definitions: readonly Definition[]): Listing {
  const details: ErrorDetail[] = [];
  const filters = collectFilters(query, definitions, details);
  const sort = parseSort(query.sort, definitions, details);
  const listing: Listing = { filters, sort, limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 };
  if (query.cursor !== undefined) {
    if (query.offset !== undefined) {
      details.push({ field: 'cursor', message: 'cannot be combined with offset' });
    }
    const after = decodeCursor(query.cursor, filters, sort);
    if (after === null) {
      details.push({ field: 'cursor', message: 'is not a cursor of this listing (same filters and sort)' });
    } else {
      listing.after = after;
    }
  }
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return listing;
}
