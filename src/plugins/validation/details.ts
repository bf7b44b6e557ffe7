import type { AnySchemaObject, ErrorObject } from 'ajv';
import { type ErrorDetail, MAX_DETAILS } from '../../errors.js';

// Ajv's errors as the API's details: where, and what to do, in one message each.

/** Where a value sits in a request, as a person writes it: `[0].tags[2]`; a very long key is cut. */
export function fieldPath(segments: readonly string[]): string {
  let path = '';
  for (const raw of segments) {
    const segment = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

function pointerSegments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export type Part = 'body' | 'querystring' | 'params' | 'headers';

const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  'date-time': 'must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z',
};

/**
 * A schema's own message for a keyword: `errorMessage` as a string covers every keyword; as an
 * object it has messages by keyword, and `_` for every other keyword (as ajv-errors read it).
 * Returns the message and the group of errors it stands for, one detail each.
 */
export function schemaMessage(
  schema: AnySchemaObject | undefined,
  keyword: string,
): { message: string; group: string } | undefined {
  const custom: unknown = schema?.errorMessage;
  if (typeof custom === 'string') {
    return { message: custom, group: '' };
  }
  if (typeof custom !== 'object' || custom === null) {
    return undefined;
  }
  const messages = custom as Record<string, unknown>;
  const own = messages[keyword];
  if (typeof own === 'string') {
    return { message: own, group: keyword };
  }
  return typeof messages._ === 'string' ? { message: messages._, group: '_' } : undefined;
}

function customMessage(error: ErrorObject): { message: string; group: string } | undefined {
  return schemaMessage(error.parentSchema, error.keyword);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

/** `["array", "null"]` -> "an array or null". */
function typeNames(type: unknown): string {
  const names = String(type)
    .split(',')
    .map((name) => TYPE_NAMES[name] ?? name);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}` : (names[0] ?? '');
}

/** The most names a message lists; a longer list is left to the API description. */
const MAX_NAMES_LISTED = 30;

/**
 * "is not a known query parameter; this route takes status, role, ...": the names the object accepts,
 * read-only ones (a schema that refuses every value) left out, so that a typo shows its fix.
 */
export function unknownPropertyMessage(schema: AnySchemaObject | undefined, part: Part): string {
  const what = part === 'querystring' ? 'is not a known query parameter' : 'is not a known field';
  const properties = (schema?.properties ?? {}) as Record<string, AnySchemaObject | boolean>;
  const names = Object.entries(properties)
    .filter(([, property]) => !(typeof property === 'object' && isEmptyObject(property.not)))
    .map(([name]) => name);
  if (names.length === 0) {
    return part === 'querystring' ? `${what}: this route takes none` : `${what}: this object takes none`;
  }
  if (names.length > MAX_NAMES_LISTED) {
    return what;
  }
  return `${what}; ${part === 'querystring' ? 'this route takes' : 'known fields are'} ${names.join(', ')}`;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

const plural = (count: unknown, noun: string) => `${String(count)} ${noun}${count === 1 ? '' : 's'}`;

/**
 * A message that says what is expected, from the schema's errorMessage or from the keyword; never
 * Ajv's own wording ("must be equal to one of the allowed values", "must match pattern ...").
 */
function messageOf(error: ErrorObject, part: Part, custom = customMessage(error)): string {
  if (custom !== undefined) {
    return custom.message;
  }
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return unknownPropertyMessage(error.parentSchema, part);
    case 'type':
      return `must be ${typeNames(params.type)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'maxItems':
      return `must have at most ${plural(params.limit, 'item')}`;
    case 'minItems':
      return `must have at least ${plural(params.limit, 'item')}`;
    case 'uniqueItems':
      return `must not repeat a value (items ${String(params.j)} and ${String(params.i)} are the same)`;
    case 'maxLength':
      return `must be at most ${plural(params.limit, 'character')} long`;
    case 'minLength':
      return `must be at least ${plural(params.limit, 'character')} long`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'pattern':
      // Every pattern of the API's schemas has an errorMessage; this is the fallback of a new one.
      return 'is not in the expected form; see the API description for this field';
    case 'format':
      return FORMAT_MESSAGES[String(params.format)] ?? `must be ${String(params.format)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** Whether a schema takes an array (a repeatable parameter), alone or among its types. */
function takesArray(schema: AnySchemaObject | undefined): boolean {
  const type: unknown = schema?.type;
  return type === 'array' || (Array.isArray(type) && type.includes('array'));
}

/**
 * A query parameter sent several times (`order=desc&order=asc`) where it takes one value: the query
 * string gives it as an array, which each keyword would refuse in words that hide the cause.
 */
function repeatedParameter(error: ErrorObject, part: Part): number | null {
  const data: unknown = error.data;
  return part === 'querystring' &&
    Array.isArray(data) &&
    pointerSegments(error.instancePath).length === 1 &&
    !takesArray(error.parentSchema)
    ? data.length
    : null;
}

/**
 * Ajv's errors as details: one per value and schema where the schema gives one message for all its
 * keywords, one per keyword otherwise. Linear in the number of errors; only the first MAX_DETAILS are
 * written out, the others counted.
 */
export function detailsOf(errors: readonly ErrorObject[], part: Part): { details: ErrorDetail[]; total: number } {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'if') {
      // Only says which branch of an if/then/else failed; that branch's own errors follow.
      continue;
    }
    const params = error.params as Record<string, unknown>;
    const property =
      error.keyword === 'required' && typeof params.missingProperty === 'string'
        ? params.missingProperty
        : error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string'
          ? params.additionalProperty
          : undefined;
    const custom = customMessage(error);
    const repeated = property === undefined ? repeatedParameter(error, part) : null;
    const group = repeated !== null ? 'repeated' : (custom?.group ?? error.keyword);
    const schemaNode = repeated !== null ? '' : error.schemaPath.slice(0, error.schemaPath.lastIndexOf('/'));
    const key = `${error.instancePath}\u0001${property ?? ''}\u0001${schemaNode}\u0001${group}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    if (details.length < MAX_DETAILS) {
      const segments = pointerSegments(error.instancePath);
      if (property !== undefined) {
        segments.push(property);
      }
      const message =
        repeated !== null ? `was given ${String(repeated)} times: give it once` : messageOf(error, part, custom);
      details.push({ field: fieldPath(segments) || part, message });
    }
  }
  return { details, total: seen.size };
}
