import type { CustomValue } from '../../custom-fields/custom-fields.schemas.js';
import { sqlKind, sqlValue } from '../../custom-fields/custom-fields.sql.js';
import { ipKey } from '../ip-key.js';
import { NO_SOURCE } from '../server-fields.schemas.js';
import type { ListedServer, Server } from '../servers.schemas.js';
import type { DatabaseLower } from './lower-case.js';
import { type CustomFilter, FIELD_FILTERS, type Filters } from './params.js';
import { containsPattern } from './sql.js';

// Parsed filters (./params.ts) as conditions on one server in memory, each the twin of its SQL in
// ./sql.ts: the same values compared the same way, nulls and stand-ins included.

/** A server as a condition reads it: as the API gives it, with or without its observation. */
export type MatchedServer = Server & { last_seen_at?: ListedServer['last_seen_at'] };

export type Condition = (server: MatchedServer) => boolean;

/** A field's value as the API gives it, for the fields the filters name. */
function reader(field: string): (server: MatchedServer) => unknown {
  return (server) => (server as unknown as Record<string, unknown>)[field];
}

/**
 * What a condition derives from a server, remembered with the server object (and the value it was
 * derived from, should the object change): a change is matched against every filter, each reading
 * the same object, and an address key took some microseconds, as did lowering long notes.
 */
const addressKeys = new WeakMap<object, { ip: string; key: Buffer }>();
const foldedTexts = new WeakMap<DatabaseLower, WeakMap<object, { hostname: string; notes: string; folded: string }>>();

/** The address's ip_key, as the repository stores it beside the address (../ip-key.ts). */
function keyOf(server: MatchedServer): Buffer {
  const known = addressKeys.get(server);
  if (known?.ip === server.ip) {
    return known.key;
  }
  const key = ipKey(server.ip);
  addressKeys.set(server, { ip: server.ip, key });
  return key;
}

/** lower() of the host name and of the notes, as the database lowers their columns, with a newline between. */
function foldedText(server: MatchedServer, lower: DatabaseLower): string {
  let memo = foldedTexts.get(lower);
  if (memo === undefined) {
    memo = new WeakMap();
    foldedTexts.set(lower, memo);
  }
  const notes = server.notes ?? '';
  const known = memo.get(server);
  if (known?.hostname === server.hostname && known.notes === notes) {
    return known.folded;
  }
  const folded = `${lower.binary(server.hostname)}\n${lower.text(notes)}`;
  memo.set(server, { hostname: server.hostname, notes, folded });
  return folded;
}

/**
 * Text in binary order, as both databases compare these columns (SQLite's BINARY, PostgreSQL's "C"):
 * by code point, where JavaScript's < compares UTF-16 code units (which puts U+E000 to U+FFFF after
 * the astral characters).
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
    }
  }
  return a.length - b.length;
}

function fieldConditions(filters: Filters): Condition[] {
  const conditions: Condition[] = [];
  for (const { field, parameter, kind } of FIELD_FILTERS) {
    const values = filters[parameter];
    if (values === undefined) {
      continue;
    }
    const read = reader(field);
    switch (kind) {
      case 'status':
      case 'label':
      case 'hostname':
      case 'ip': {
        // `in (...)`: null is in no list; labels compare as stored (in NFC since the rules of
        // ../labels.ts, the filter's value always), host names in lowercase, addresses canonical.
        const wanted = new Set<unknown>(values);
        conditions.push((server) => wanted.has(read(server)));
        break;
      }
      case 'source': {
        const names = new Set<unknown>(values.filter((value) => value !== NO_SOURCE));
        const none = values.includes(NO_SOURCE);
        conditions.push((server) => {
          const value = read(server);
          return value === null || value === undefined ? none : names.has(value);
        });
        break;
      }
      case 'tag':
        // Every tag given (the server's tag rows are its tags, distinct).
        conditions.push((server) => {
          const tags = read(server) as readonly string[];
          return values.every((tag) => tags.includes(tag));
        });
        break;
    }
  }
  return conditions;
}

/** `q`: lower() of the host name, or of the notes, contains lower() of the text (as LIKE '%text%'). */
function textCondition(q: string, lower: DatabaseLower): Condition {
  // The pattern is lowered whole, as the database lowers it (a final Σ before the closing % is final),
  // then read back: lower() leaves %, _ and \ alone, so it holds one literal between two %. That
  // literal has no line break (q has no control character), so it is found in the host name or the
  // notes when it is found in the two joined by one.
  const pattern = lower.text(containsPattern(q));
  const needle = pattern.slice(1, -1).replace(/\\(.)/gsu, '$1');
  return (server) => foldedText(server, lower).includes(needle);
}

/**
 * A custom field's conditions, as custom-fields.sql.ts and sql.ts compare them: the missing flag
 * first, then the value, or its stand-in where there is none ('' for text, 0 for numbers and
 * booleans). So `__empty=true` with a value or a bound compares the stand-in: `cf_u=0&cf_u__empty=true`
 * finds the servers without a value.
 */
function customCondition(filter: CustomFilter): Condition | undefined {
  const { field, values, gte, lte, empty } = filter;
  if (empty === undefined && values === undefined && gte === undefined && lte === undefined) {
    return undefined;
  }
  const { name } = field;
  const kind = sqlKind(field.type);
  const comparable = (value: CustomValue | undefined): string | number => {
    if (value === undefined) {
      return kind === 'text' ? '' : 0;
    }
    return sqlValue(value);
  };
  const compare = (a: string | number, b: string | number) =>
    typeof a === 'string' && typeof b === 'string' ? compareText(a, b) : (a as number) - (b as number);
  const wanted = values === undefined ? undefined : new Set<string | number>(values.map(sqlValue));
  const missing = empty === true;
  return (server) => {
    // A JSON null would be no value, as json_extract and ->> read it (values are stored without).
    const own = (Object.hasOwn(server.custom_fields, name) ? server.custom_fields[name] : undefined) as
      CustomValue | null | undefined;
    const value = own ?? undefined;
    if ((value === undefined) !== missing) {
      return false;
    }
    const compared = comparable(value);
    return (
      (wanted === undefined || wanted.has(compared)) &&
      (gte === undefined || compare(compared, gte) >= 0) &&
      (lte === undefined || compare(compared, lte) <= 0)
    );
  };
}

/** The conditions of parsed filters, all of which a server must meet. */
export function conditionsOf(filters: Filters, lower: DatabaseLower): Condition[] {
  const conditions = fieldConditions(filters);
  const { cidr, q, updatedSince, lastSeenBefore, lastSeenAfter } = filters;
  if (cidr !== undefined) {
    conditions.push((server) => {
      const key = keyOf(server);
      return cidr.some(({ from, to }) => Buffer.compare(key, from) >= 0 && Buffer.compare(key, to) <= 0);
    });
  }
  if (q !== undefined) {
    conditions.push(textCondition(q, lower));
  }
  // Times in the stored form (RFC 3339 UTC, fixed width, ASCII): text order is time order.
  if (updatedSince !== undefined) {
    conditions.push((server) => server.updated_at >= updatedSince);
  }
  // A server without last_seen_at (one that was never seen, or a server given without its
  // observation) is one that was never seen.
  if (lastSeenBefore !== undefined) {
    conditions.push((server) => {
      const seen = server.last_seen_at ?? null;
      return seen === null || seen < lastSeenBefore;
    });
  }
  if (lastSeenAfter !== undefined) {
    conditions.push((server) => {
      const seen = server.last_seen_at ?? null;
      return seen !== null && seen >= lastSeenAfter;
    });
  }
  for (const filter of filters.custom ?? []) {
    const condition = customCondition(filter);
    if (condition !== undefined) {
      conditions.push(condition);
    }
  }
  return conditions;
}
