import { createHash } from 'node:crypto';
import { MAX_STRING_LENGTH } from '../../custom-fields/custom-fields.schemas.js';
import { sqlKind, sqlValue } from '../../custom-fields/custom-fields.sql.js';
import { canonicalDatetime } from '../../custom-fields/custom-fields.values.js';
import { codePointCount } from '../labels.js';
import { ipKey } from '../ip-key.js';
import { MAX_SERVER_ID } from '../server-fields.schemas.js';
import { decodeCursorObject, encodeCursorObject } from '../../shared/cursor.js';
import { type CustomFieldRef, type Filters, type Listing, SORT_KINDS, type SortField, type SortKey } from './params.js';

// The list's cursors: opaque to clients, bound to one listing (its filters and sort), carrying the
// sort values of the last row served.

function fingerprint(filters: Filters, sort: SortKey[]): string {
  const normal = JSON.stringify({ filters, sort }, (_key, value: unknown) =>
    Buffer.isBuffer(value) ? value.toString('hex') : value,
  );
  return createHash('sha256').update(normal).digest('base64url').slice(0, 16);
}

/** An opaque cursor: the listing it belongs to and the sort values of the last row served. */
export function encodeCursor(listing: Listing, values: unknown[]): string {
  const k = values.map((v) => (Buffer.isBuffer(v) ? { b: v.toString('hex') } : v));
  return encodeCursorObject({ f: fingerprint(listing.filters, listing.sort), k });
}

/** A stored string value's text: no control character but tab and line breaks (no NUL, which PostgreSQL refuses). */
const TEXT = /^[\t\n\r\P{Cc}]*$/u;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A custom field's cursor value back, or undefined if it is not one: `[missing, value]` as the field's
 * index holds them (custom-fields.sql.ts), 1 and the stand-in ('' or 0) where the server has no value.
 */
function customCursorValue(field: CustomFieldRef, value: unknown): unknown {
  if (!Array.isArray(value) || value.length !== 2) {
    return undefined;
  }
  const [missing, stored] = value as unknown[];
  const kind = sqlKind(field.type);
  if (missing === 1) {
    return stored === (kind === 'text' ? '' : 0) ? value : undefined;
  }
  if (missing !== 0) {
    return undefined;
  }
  switch (kind) {
    case 'boolean':
      return stored === 0 || stored === 1 ? value : undefined;
    case 'numeric':
      return (field.type === 'integer' ? Number.isSafeInteger(stored) : Number.isFinite(stored)) ? value : undefined;
    case 'text': {
      if (typeof stored !== 'string' || codePointCount(stored) > MAX_STRING_LENGTH || !stored.isWellFormed()) {
        return undefined;
      }
      const fits =
        field.type === 'date'
          ? DATE.test(stored)
          : field.type === 'datetime'
            ? canonicalDatetime(stored) === stored
            : stored !== '' && TEXT.test(stored);
      return fits ? value : undefined;
    }
  }
}

/** A cursor value back as its sort key's type, or undefined if it is not one (a tampered cursor). */
function cursorValue(key: SortKey, value: unknown): unknown {
  if ('custom' in key) {
    return customCursorValue(key.custom, value);
  }
  return fieldCursorValue(key.field, value);
}

function fieldCursorValue(field: SortField, value: unknown): unknown {
  switch (SORT_KINDS[field]) {
    case 'id':
      // Within the column's range: PostgreSQL's integer refuses a larger value in a comparison.
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_SERVER_ID
        ? value
        : undefined;
    case 'address': {
      const hex = (value as { b?: unknown } | null)?.b;
      return typeof hex === 'string' && /^(04[0-9a-f]{8}|06[0-9a-f]{32})$/.test(hex)
        ? Buffer.from(hex, 'hex')
        : undefined;
    }
    case 'text':
    case 'label':
      // No stored value holds a control character; PostgreSQL refuses a NUL in text outright.
      return typeof value === 'string' && value.length <= 253 && value.isWellFormed() && !/\p{Cc}/u.test(value)
        ? value
        : undefined;
  }
}

/** The sort values a cursor carries, or null if it is not a cursor of this listing. */
export function decodeCursor(cursor: string, filters: Filters, sort: SortKey[]): unknown[] | null {
  const decoded = decodeCursorObject(cursor);
  if (decoded === null) {
    return null;
  }
  const { f, k } = decoded;
  if (f !== fingerprint(filters, sort) || !Array.isArray(k) || k.length !== sort.length) {
    return null;
  }
  const keys: unknown[] = k;
  const values = sort.map((key, i) => cursorValue(key, keys[i]));
  return values.includes(undefined) ? null : values;
}

/**
 * A custom field's sort value of a row, as its index holds it: `[missing, value]`, the value as SQL
 * compares it (booleans as 1 and 0) and the stand-in ('' or 0) where the server has none.
 */
function customSortValue(field: CustomFieldRef, customFields: unknown): [number, string | number] {
  const values = (typeof customFields === 'string' ? JSON.parse(customFields) : customFields) as Record<
    string,
    string | number | boolean | undefined
  >;
  const value = values[field.name];
  if (value === undefined) {
    return [1, sqlKind(field.type) === 'text' ? '' : 0];
  }
  return [0, sqlValue(value)];
}

/** The values of the sort keys of a row, as the cursor stores them. */
export function sortValues(row: Record<string, unknown>, sort: SortKey[]): unknown[] {
  return sort.map((key) => {
    if ('custom' in key) {
      return customSortValue(key.custom, row.custom_fields);
    }
    const { field } = key;
    switch (SORT_KINDS[field]) {
      case 'address':
        // The key the repository stores beside the address (ip_key), derived from it as the write did.
        return ipKey(row.ip as string);
      case 'label':
        return row[field] ?? '';
      case 'id':
      case 'text':
        return row[field];
    }
  });
}
