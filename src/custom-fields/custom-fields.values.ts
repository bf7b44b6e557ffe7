import type { ErrorDetail } from '../errors.js';
import { codePointCount } from '../servers/labels.js';
import {
  type CustomFieldSpec,
  type CustomFieldType,
  type CustomValue,
  MAX_STRING_LENGTH,
  MAX_URL_LENGTH,
} from './custom-fields.schemas.js';
import { compileStoredPattern } from './custom-fields.patterns.js';

// What a custom field's value must be, by its definition: each definition compiles once to a check
// that says what is wrong in words, and gives the value in the form it is stored in.

/** A definition as the store holds it. */
export interface Definition {
  /** Also names its index (custom-fields.sql.ts). */
  id: number;
  name: string;
  type: CustomFieldType;
  spec: CustomFieldSpec;
  created_at: string;
  updated_at: string;
}

export type Checked = { ok: true; value: CustomValue } | { ok: false; problem: string };

/** A definition's check of a value, and what it expects in words. */
interface Check {
  check: (value: unknown) => Checked;
  expected: string;
}

const CONTROL = /^[\t\n\r\P{Cc}]*$/u;
const NO_SPACE = /^[^\s\p{C}]+$/u;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** A value as a message quotes it: JSON, cut at 60 characters. */
function quoted(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function range(spec: CustomFieldSpec): string {
  const { minimum, maximum } = spec;
  if (minimum !== null && maximum !== null) {
    return ` between ${minimum} and ${maximum}`;
  }
  if (minimum !== null) {
    return ` of at least ${minimum}`;
  }
  return maximum === null ? '' : ` of at most ${maximum}`;
}

function inRange(value: number, spec: CustomFieldSpec): boolean {
  return (spec.minimum === null || value >= spec.minimum) && (spec.maximum === null || value <= spec.maximum);
}

/** Whether a YYYY-MM-DD date exists (no 30 February). */
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An RFC 3339 date and time in UTC, fixed width (as it is stored: it compares as text), or null. */
export function canonicalDatetime(value: string): string | null {
  const match = DATETIME.exec(value);
  if (match === null) {
    return null;
  }
  const [, year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match.map(Number);
  if (
    !isCalendarDate(year ?? 0, month ?? 0, day ?? 0) ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 59 ||
    (offsetHours ?? 0) > 23 ||
    (offsetMinutes ?? 0) > 59
  ) {
    return null;
  }
  const time = new Date(value);
  const utcYear = time.getUTCFullYear();
  return Number.isNaN(time.getTime()) || utcYear < 0 || utcYear > 9999 ? null : time.toISOString();
}

function compile(type: CustomFieldType, spec: CustomFieldSpec): Check {
  const refuse = (expected: string) => (value: unknown) =>
    ({ ok: false, problem: `${expected} (got ${quoted(value)})` }) as const;
  switch (type) {
    case 'string': {
      const maxLength = spec.max_length ?? MAX_STRING_LENGTH;
      const regex = spec.pattern === null ? null : compileStoredPattern(spec.pattern);
      const expected =
        `must be a string of 1 to ${maxLength} characters, with no control character but tab and line breaks` +
        (spec.pattern === null ? '' : `, matching the pattern ${quoted(spec.pattern)}`);
      const no = refuse(expected);
      return {
        expected,
        check: (value) => {
          if (typeof value !== 'string' || value.length === 0 || !value.isWellFormed() || !CONTROL.test(value)) {
            return no(value);
          }
          // Counted in code points, as people count characters (an emoji is one).
          if (codePointCount(value) > maxLength || (regex !== null && !regex.matcher(value).find())) {
            return no(value);
          }
          return { ok: true, value };
        },
      };
    }
    case 'integer':
    case 'number': {
      const expected = `must be ${type === 'integer' ? 'an integer' : 'a number'}${range(spec)}`;
      const no = refuse(expected);
      return {
        expected,
        check: (value) =>
          typeof value === 'number' &&
          (type === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value)) &&
          inRange(value, spec)
            ? { ok: true, value }
            : no(value),
      };
    }
    case 'boolean': {
      const no = refuse('must be true or false');
      return {
        expected: 'must be true or false',
        check: (value) => (typeof value === 'boolean' ? { ok: true, value } : no(value)),
      };
    }
    case 'date': {
      const expected = 'must be a date as YYYY-MM-DD';
      const no = refuse(expected);
      return {
        expected,
        check: (value) => {
          const match = typeof value === 'string' ? DATE.exec(value) : null;
          return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))
            ? { ok: true, value: value as string }
            : no(value);
        },
      };
    }
    case 'datetime': {
      const expected =
        'must be an RFC 3339 date and time with a time zone (Z or +hh:mm), between the years 0 and 9999, ' +
        'without a leap second';
      const no = refuse(expected);
      return {
        expected,
        check: (value) => {
          const canonical = typeof value === 'string' ? canonicalDatetime(value) : null;
          return canonical === null ? no(value) : { ok: true, value: canonical };
        },
      };
    }
    case 'url': {
      const expected = `must be an absolute http or https URL of at most ${MAX_URL_LENGTH} characters, without spaces`;
      const no = refuse(expected);
      return {
        expected,
        check: (value) => {
          if (typeof value !== 'string' || value.length > MAX_URL_LENGTH || !NO_SPACE.test(value)) {
            return no(value);
          }
          const url = URL.parse(value);
          return url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
            ? { ok: true, value }
            : no(value);
        },
      };
    }
    case 'enum': {
      const choices = new Set(spec.choices ?? []);
      const listed = [...choices].slice(0, 20).join(', ') + (choices.size > 20 ? ', ...' : '');
      const expected = `must be one of ${listed}`;
      const no = refuse(expected);
      return {
        expected,
        check: (value) => (typeof value === 'string' && choices.has(value) ? { ok: true, value } : no(value)),
      };
    }
  }
}

/** Compiled checks, by type and spec: a definition compiles once, not on every write. */
const compiled = new Map<string, Check>();
const MAX_COMPILED = 1024;

/**
 * The checks of the specs already seen, by the spec object itself: a write of many servers (an apply
 * of 10,000) checks each value against the same few definitions, and the key below, a JSON text of
 * the spec, cost as much again as the check (some 7 µs a server of five values). Specs are never
 * changed in place (a change of a definition makes a new one), so the object stands for its content.
 */
const bySpec = new WeakMap<object, { type: CustomFieldType; check: Check }>();

function checkOf(definition: Pick<Definition, 'type' | 'spec'>): Check {
  const known = bySpec.get(definition.spec);
  if (known?.type === definition.type) {
    return known.check;
  }
  const check = checkByKey(definition);
  bySpec.set(definition.spec, { type: definition.type, check });
  return check;
}

function checkByKey(definition: Pick<Definition, 'type' | 'spec'>): Check {
  const key = `${definition.type}:${JSON.stringify(definition.spec)}`;
  let check = compiled.get(key);
  if (check === undefined) {
    if (compiled.size >= MAX_COMPILED) {
      compiled.clear();
    }
    check = compile(definition.type, definition.spec);
    compiled.set(key, check);
  }
  return check;
}

/** A value checked against its definition: the value to store, or what is wrong with it. */
export function checkValue(definition: Pick<Definition, 'type' | 'spec'>, value: unknown): Checked {
  return checkOf(definition).check(value);
}

/** What a definition's values must be, in words. */
export function expectedValue(definition: Pick<Definition, 'type' | 'spec'>): string {
  return checkOf(definition).expected;
}

/**
 * A value read from text (a CSV cell) as the JSON value it stands for, by the field's type: an
 * integer or a number from its decimal form, a boolean from true or false; what does not read as
 * one is left as text, for the check to refuse with its own message. An empty cell is no value.
 */
export function valueFromText(type: CustomFieldType, text: string): unknown {
  if (text === '') {
    return null;
  }
  switch (type) {
    case 'integer':
    case 'number':
      return /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'string':
    case 'date':
    case 'datetime':
    case 'url':
    case 'enum':
      return text;
  }
}

/** A value as text: a CSV cell, a Prometheus label, a query's value. */
export function valueAsText(value: CustomValue): string {
  return typeof value === 'string' ? value : String(value);
}

/** How a write gives a server's values. */
export type ValuesMode =
  /** A whole server (POST, PUT, apply): fields left out take their defaults. */
  | 'whole'
  /** A PATCH: the values after the merge; defaults do not apply. */
  | 'merged';

/**
 * A server's values in the form they are stored in (keys in name order, no nulls), checked against
 * the definitions: every problem is added to `details`, named `${prefix}custom_fields.<name>`.
 * Unknown fields are refused. null is no value, as leaving the field out is: a whole server takes the
 * default there; a required field that ends without a value is refused.
 */
export function resolveValues(
  definitions: readonly Definition[],
  given: Readonly<Record<string, unknown>> | null | undefined,
  mode: ValuesMode,
  prefix: string,
  details: ErrorDetail[],
): Record<string, CustomValue> {
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const values: Record<string, CustomValue> = {};
  const path = `${prefix}custom_fields`;
  for (const [name, value] of Object.entries(given ?? {})) {
    const definition = byName.get(name);
    if (definition === undefined) {
      details.push({
        field: `${path}.${name}`,
        message: 'is not a defined custom field: GET /api/v1/custom-fields lists them',
      });
    } else if (value !== null && value !== undefined) {
      const checked = checkValue(definition, value);
      if (checked.ok) {
        values[name] = checked.value;
      } else {
        details.push({ field: `${path}.${name}`, message: checked.problem });
      }
    }
  }
  for (const definition of definitions) {
    const { name, spec } = definition;
    // Own properties only: an object's prototype answers for names no client gave.
    const value = given !== null && given !== undefined && Object.hasOwn(given, name) ? given[name] : undefined;
    // Given and refused: its detail is written already.
    if (Object.hasOwn(values, name) || (value !== undefined && value !== null)) {
      continue;
    }
    if (mode === 'whole' && spec.default !== null) {
      values[name] = spec.default;
    } else if (spec.required) {
      details.push({ field: `${path}.${name}`, message: `is required: ${expectedValue(definition)}` });
    }
  }
  return sortedValues(values);
}

/**
 * A server's values as its column holds them: JSON text (SQLite's text, PostgreSQL's jsonb read as
 * text), in name order. PostgreSQL's jsonb keeps its keys shortest first, so they are put back in
 * name order where they are not (a row with fewer than two values never needs it).
 */
export function parseValues(column: string): Record<string, CustomValue> {
  const values = JSON.parse(column) as Record<string, CustomValue>;
  let previous = '';
  for (const name in values) {
    if (name < previous) {
      return sortedValues(values);
    }
    previous = name;
  }
  return values;
}

/** Values with their keys in name order: the stored form, whatever the order they were given in. */
export function sortedValues(values: Readonly<Record<string, CustomValue>>): Record<string, CustomValue> {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A server's values with a merge patch's over them (RFC 7396: null removes a value). */
export function mergeValues(
  current: Readonly<Record<string, CustomValue>>,
  patch: Readonly<Record<string, unknown>> | null,
): Record<string, unknown> {
  if (patch === null) {
    return {};
  }
  const removed = new Set(Object.keys(patch).filter((name) => patch[name] === null));
  const merged = Object.entries({ ...current, ...patch }).filter(([name]) => !removed.has(name));
  return Object.fromEntries(merged);
}
