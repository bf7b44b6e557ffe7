import { CUSTOM_FIELD_PREFIX } from '../../custom-fields/custom-fields.schemas.js';
import type { ErrorDetail } from '../../errors.js';
import { type CustomValue, MAX_STRING_LENGTH, MAX_URL_LENGTH } from '../../custom-fields/custom-fields.schemas.js';
import {
  type Definition,
  canonicalDatetime,
  checkValue,
  expectedValue,
} from '../../custom-fields/custom-fields.values.js';
import { CUSTOM_OPERATORS, type CustomFilter, type CustomOperator } from './params.js';

// The custom fields' filters in a query string (cf_<name>, cf_<name>__gte, __lte, __empty), parsed
// with the definitions: an unknown field is a 400 like an unknown parameter, and every value is
// checked by the field's type, so that a typo is never an empty answer.

/** "a" or "an", before a type's name. */
function article(type: Definition['type']): string {
  return type === 'integer' || type === 'enum' ? 'an' : 'a';
}

/** What the parameters and sort keys of custom fields start with. */
export const CUSTOM_SORT_PREFIX = CUSTOM_FIELD_PREFIX;

/**
 * A custom field's parameter: the field's name, then an operator or none. The name is matched lazily,
 * so that a suffix that is an operator is read as one (names ending in one are reserved).
 */
const CUSTOM_PARAMETER = new RegExp(`^cf_([a-z][a-z0-9_]{0,62}?)(?:__(${CUSTOM_OPERATORS.join('|')}))?$`);

/** Whether a query parameter is a custom field's filter (well-formed or not). */
export function isCustomParameter(name: string): boolean {
  return name.startsWith(CUSTOM_SORT_PREFIX);
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** A string value's text: no control character but tab and line breaks (as values are stored). */
const TEXT = /^[\t\n\r\P{Cc}]+$/u;

type Parsed = { ok: true; value: CustomValue } | { ok: false; expected: string };

/**
 * A query's text as a value of the field's type, or what it must be. Only the type is checked (and an
 * enum's choices), not the field's other rules (pattern, minimum ...): a range may start anywhere.
 */
function parseValue(definition: Definition, text: string): Parsed {
  const no = (expected: string): Parsed => ({ ok: false, expected });
  switch (definition.type) {
    case 'integer': {
      const value = Number(text);
      return INTEGER.test(text) && Number.isSafeInteger(value)
        ? { ok: true, value }
        : no('must be an integer in plain decimal, such as 42');
    }
    case 'number': {
      const value = Number(text);
      return NUMBER.test(text) && Number.isFinite(value)
        ? { ok: true, value }
        : no('must be a number in plain decimal, such as 1.5 or -2e3');
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? { ok: true, value: text === 'true' } : no('must be true or false');
    case 'date':
      return checkValue(definition, text).ok ? { ok: true, value: text } : no('must be a date as YYYY-MM-DD');
    case 'datetime': {
      const value = canonicalDatetime(text);
      return value === null
        ? no('must be an RFC 3339 date and time with a time zone (Z or +hh:mm), such as 2026-01-31T12:00:00Z')
        : { ok: true, value };
    }
    case 'enum':
      return checkValue(definition, text).ok ? { ok: true, value: text } : no(expectedValue(definition));
    case 'string':
    case 'url': {
      const max = definition.type === 'string' ? MAX_STRING_LENGTH : MAX_URL_LENGTH;
      return text.length <= max && text.isWellFormed() && TEXT.test(text)
        ? { ok: true, value: text }
        : no(`must be 1 to ${max} characters without control characters (but tab and line breaks)`);
    }
  }
}

/** The types whose values have an order a range means something in. */
const RANGED: ReadonlySet<Definition['type']> = new Set(['integer', 'number', 'date', 'datetime']);

/** A parameter's values as the query string gives them: one, or several when repeated. */
function listOf(raw: string | string[] | undefined): string[] {
  return raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
}

/**
 * The custom fields' filters of a query, one per field named, in the order of the fields' names,
 * adding a detail for every unknown field and every bad value (the parameter named).
 */
export function customFilters(
  query: Readonly<Record<string, unknown>>,
  definitions: readonly Definition[],
  details: ErrorDetail[],
): CustomFilter[] {
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const filters = new Map<string, CustomFilter>();
  for (const [parameter, raw] of Object.entries(query)) {
    if (!isCustomParameter(parameter)) {
      continue;
    }
    const match = CUSTOM_PARAMETER.exec(parameter);
    const definition = match === null ? undefined : byName.get(match[1] ?? '');
    if (match === null || definition === undefined) {
      details.push({
        field: parameter,
        message: 'is not a defined custom field: GET /api/v1/custom-fields lists them',
      });
      continue;
    }
    const operator = match[2] as CustomOperator | undefined;
    const filter = filters.get(definition.name) ?? { field: { name: definition.name, type: definition.type } };
    filters.set(definition.name, filter);
    const texts = listOf(raw as string | string[] | undefined);
    const refuse = (message: string) => {
      details.push({ field: parameter, message });
    };
    switch (operator) {
      case undefined: {
        // Strings and URLs may hold commas: only repeating the parameter gives several of them.
        const whole = definition.type === 'string' || definition.type === 'url';
        const values = whole ? texts : texts.flatMap((text) => text.split(',')).map((text) => text.trim());
        const parsed: CustomValue[] = [];
        for (const text of values) {
          if (text === '') {
            refuse(`must not be empty: ${parameter}__empty=true finds the servers without a value`);
            continue;
          }
          const value = parseValue(definition, text);
          if (value.ok) {
            parsed.push(value.value);
          } else {
            refuse(`${value.expected} (got ${JSON.stringify(text)})`);
          }
        }
        filter.values = [...new Set(parsed)];
        break;
      }
      case 'gte':
      case 'lte': {
        if (!RANGED.has(definition.type)) {
          refuse(
            `is for integer, number, date and datetime fields, and ${definition.name} is ` +
              `${article(definition.type)} ${definition.type} field: filter it with cf_${definition.name}=`,
          );
          break;
        }
        const [text = ''] = texts;
        const value = parseValue(definition, text);
        if (value.ok) {
          filter[operator] = value.value as string | number;
        } else {
          refuse(`${value.expected} (got ${JSON.stringify(text)})`);
        }
        break;
      }
      case 'empty':
        // The schema admits true and false only.
        filter.empty = texts[0] === 'true';
        break;
    }
  }
  return [...filters.values()].sort((a, b) => (a.field.name < b.field.name ? -1 : 1));
}

/** The fields the summary counts by: enums and booleans, whose values are few. */
const COUNTED: ReadonlySet<Definition['type']> = new Set(['enum', 'boolean']);

/**
 * The custom fields a summary counts by (`by=cf_<name>`, repeated or comma-separated), in the order
 * given, once each; a detail for each unknown field or one that is neither an enum nor a boolean.
 */
export function summaryFields(
  raw: string | string[] | undefined,
  definitions: readonly Definition[],
  details: ErrorDetail[],
): Definition[] {
  const names = listOf(raw)
    .flatMap((text) => text.split(','))
    .map((text) => text.trim());
  const fields: Definition[] = [];
  for (const name of new Set(names)) {
    const definition = definitions.find((d) => `${CUSTOM_SORT_PREFIX}${d.name}` === name);
    if (!name.startsWith(CUSTOM_SORT_PREFIX)) {
      details.push({ field: 'by', message: `must name custom fields as cf_<name> (got ${JSON.stringify(name)})` });
    } else if (definition === undefined) {
      details.push({
        field: 'by',
        message: `names ${JSON.stringify(name)}, which is not a defined custom field: GET /api/v1/custom-fields lists them`,
      });
    } else if (!COUNTED.has(definition.type)) {
      details.push({
        field: 'by',
        message:
          `names ${name}, ${article(definition.type)} ${definition.type} field: ` +
          'the summary counts by enum and boolean fields only, whose values are few',
      });
    } else {
      fields.push(definition);
    }
  }
  return fields;
}
