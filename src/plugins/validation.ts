import { Ajv, type AnySchemaObject, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import ajvFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { type AppError, type ErrorDetail, MAX_DETAILS, appError } from '../errors.js';
import { canonicalIp } from '../servers/ip-address.js';

// CommonJS with its function on `default` for ESM callers.
const ajvFormats = ajvFormatsModule.default;

/**
 * Schemas may carry `errorMessage`: a string that replaces every message of that schema, or an object
 * of messages by keyword (`{ maxItems: '...' }`). It is an annotation read by `detailsOf` below. It
 * replaced ajv-errors, which rewrote Ajv's error list in time quadratic in its length: one body of
 * 20,000 invalid tags took 3 s of CPU, 200,000 took minutes, with the event loop blocked all along.
 */
function createAjv(options: Options): Ajv {
  const ajv = new Ajv({
    // Report every bad field at once, and refuse unknown fields instead of dropping them.
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    // Each error carries the schema it comes from, where detailsOf finds its errorMessage.
    verbose: true,
    ...options,
  });
  ajvFormats(ajv);
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: ['string', 'object'] });
  ajv.addFormat('ip-address', { type: 'string', validate: (value: string) => canonicalIp(value) !== null });
  return ajv;
}

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

type Part = 'body' | 'querystring' | 'params' | 'headers';

const FORMAT_MESSAGES: Readonly<Record<string, string>> = {
  'date-time': 'must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z',
};

/** A message that says what is expected, from the schema's errorMessage or from the keyword. */
function messageOf(error: ErrorObject, part: Part): string {
  const custom: unknown = error.parentSchema?.errorMessage;
  if (typeof custom === 'string') {
    return custom;
  }
  if (typeof custom === 'object' && custom !== null) {
    const byKeyword = (custom as Record<string, unknown>)[error.keyword];
    if (typeof byKeyword === 'string') {
      return byKeyword;
    }
  }
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return part === 'querystring' ? 'is not a known query parameter' : 'is not a known field';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'maxItems':
      return `must have at most ${String(params.limit)} items`;
    case 'minItems':
      return `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    case 'format':
      return FORMAT_MESSAGES[String(params.format)] ?? error.message ?? 'is invalid';
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * Ajv's errors as details: one per value and schema where the schema gives one message for all its
 * keywords, one per keyword otherwise. Linear in the number of errors; only the first MAX_DETAILS are
 * written out, the others counted.
 */
function detailsOf(errors: readonly ErrorObject[], part: Part): { details: ErrorDetail[]; total: number } {
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
    const oneMessage = typeof error.parentSchema?.errorMessage === 'string';
    const schemaNode = error.schemaPath.slice(0, error.schemaPath.lastIndexOf('/'));
    const key = `${error.instancePath}\u0001${property ?? ''}\u0001${schemaNode}\u0001${oneMessage ? '' : error.keyword}`;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    if (details.length < MAX_DETAILS) {
      const segments = pointerSegments(error.instancePath);
      if (property !== undefined) {
        segments.push(property);
      }
      details.push({ field: fieldPath(segments) || part, message: messageOf(error, part) });
    }
  }
  return { details, total: seen.size };
}

type Json = unknown;

interface Found {
  details: ErrorDetail[];
  total: number;
}

/**
 * Unknown fields of an object that allows none, when there are more than MAX_DETAILS of them: one
 * error each from Ajv, and 70,000 of them took 380 ms to list. The first MAX_DETAILS are named.
 */
function tooManyUnknown(schema: AnySchemaObject, value: object, segments: string[]): Found | null {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (schema.additionalProperties !== false || properties === undefined) {
    return null;
  }
  const keys = Object.keys(value);
  if (keys.length <= MAX_DETAILS) {
    return null;
  }
  const unknown = keys.filter((key) => !Object.hasOwn(properties, key));
  if (unknown.length <= MAX_DETAILS) {
    return null;
  }
  return {
    details: unknown
      .slice(0, MAX_DETAILS)
      .map((key) => ({ field: fieldPath([...segments, key]), message: 'is not a known field' })),
    total: unknown.length,
  };
}

/**
 * Arrays longer than their schema's maxItems, and objects with masses of unknown fields, found before
 * Ajv runs: with allErrors, Ajv validates every item of an array that is already too long, so a 1 MiB
 * body of 350,000 `{}` gave 700,000 errors (160 MB). This walks the value along the schema
 * (properties, items, if/then/else, allOf) and stops at the first such value, without looking inside
 * it. Linear in the input.
 */
function findOversized(ajv: Ajv, schema: AnySchemaObject, value: Json, segments: string[]): Found | null {
  if (Array.isArray(value)) {
    const max: unknown = schema.maxItems;
    if (typeof max === 'number' && value.length > max) {
      const custom: unknown = schema.errorMessage;
      const message =
        typeof custom === 'object' && custom !== null && typeof (custom as { maxItems?: unknown }).maxItems === 'string'
          ? (custom as { maxItems: string }).maxItems
          : `must have at most ${max} items`;
      return { details: [{ field: fieldPath(segments), message: `${message} (got ${value.length})` }], total: 1 };
    }
    const items: unknown = schema.items;
    if (typeof items === 'object' && items !== null && !Array.isArray(items)) {
      for (let i = 0; i < value.length; i++) {
        const found = findOversized(ajv, items, value[i], [...segments, String(i)]);
        if (found !== null) {
          return found;
        }
      }
    }
  } else if (typeof value === 'object' && value !== null) {
    const unknown = tooManyUnknown(schema, value, segments);
    if (unknown !== null) {
      return unknown;
    }
    const properties: unknown = schema.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [name, sub] of Object.entries(properties as Record<string, AnySchemaObject>)) {
        if (Object.hasOwn(value, name)) {
          const found = findOversized(ajv, sub, (value as Record<string, Json>)[name], [...segments, name]);
          if (found !== null) {
            return found;
          }
        }
      }
    }
  }
  const branches: AnySchemaObject[] = [];
  if (Array.isArray(schema.allOf)) {
    branches.push(...(schema.allOf as AnySchemaObject[]));
  }
  if (typeof schema.if === 'object' && schema.if !== null) {
    const branch: unknown = compiledIf(ajv, schema.if as AnySchemaObject)(value) ? schema.then : schema.else;
    if (typeof branch === 'object' && branch !== null) {
      branches.push(branch);
    }
  }
  for (const branch of branches) {
    const found = findOversized(ajv, branch, value, segments);
    if (found !== null) {
      return found;
    }
  }
  return null;
}

const ifValidators = new WeakMap<AnySchemaObject, ValidateFunction>();
function compiledIf(ajv: Ajv, schema: AnySchemaObject): ValidateFunction {
  let validate = ifValidators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    ifValidators.set(schema, validate);
  }
  return validate;
}

/** A plain decimal integer: no sign but minus, no leading zero, exponent, hex prefix or space. */
const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Names of the properties a path or query schema declares as integers. Ajv coerces any string that
 * `Number()` reads (`0x10`, `1e2`, ` 5`), so those are checked against DECIMAL_INTEGER first.
 */
function integerProperties(schema: AnySchemaObject): string[] {
  const properties = (schema.properties ?? {}) as Record<string, AnySchemaObject>;
  return Object.entries(properties)
    .filter(([, sub]) => sub.type === 'integer')
    .map(([name]) => name);
}

/**
 * The first string in a body that is not well-formed Unicode (an unpaired surrogate such as
 * `"\ud800"`, which JSON's grammar lets through): SQLite would store its UTF-8 encoding as invalid
 * bytes, and PostgreSQL's driver would replace it. Keys are checked too.
 */
function findIllFormed(value: Json, segments: string[]): string[] | null {
  if (typeof value === 'string') {
    return value.isWellFormed() ? null : segments;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormed(value[i], [...segments, String(i)]);
      if (found !== null) {
        return found;
      }
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) {
        return [...segments, key.toWellFormed()];
      }
      const found = findIllFormed(item, [...segments, key]);
      if (found !== null) {
        return found;
      }
    }
  }
  return null;
}

type FastifyValidator = ((data: unknown, context?: unknown) => true | { error: AppError }) & { schemaEnv?: unknown };

function failed(details: ErrorDetail[], total = details.length): { error: AppError } {
  return { error: appError('VALIDATION_FAILED', { details, truncated: total - details.length }) };
}

/**
 * A validator for one part of a request, in the shape Fastify calls: true, or `{ error }` with the
 * domain error whose details name every problem (errorBody caps how many are sent).
 */
function compileValidator(ajv: Ajv, schema: AnySchemaObject, part: Part): FastifyValidator {
  const validate = ajv.compile(schema);
  const integers = part === 'body' ? [] : integerProperties(schema);
  const validator: FastifyValidator = (data, context) => {
    if (part === 'body') {
      const oversized = findOversized(ajv, schema, data, []);
      if (oversized !== null) {
        const details = oversized.details.map((d) => ({ ...d, field: d.field || part }));
        return failed(details, oversized.total);
      }
      const illFormed = findIllFormed(data, []);
      if (illFormed !== null) {
        return failed([
          { field: fieldPath(illFormed) || part, message: 'must be well-formed Unicode (holds an unpaired surrogate)' },
        ]);
      }
    }
    const details: ErrorDetail[] = [];
    for (const name of integers) {
      const raw = (data as Record<string, unknown> | null)?.[name];
      if (typeof raw === 'string' && !DECIMAL_INTEGER.test(raw)) {
        details.push({ field: name, message: `must be a decimal integer such as 10 (got ${JSON.stringify(raw)})` });
      }
    }
    if (details.length > 0) {
      return failed(details);
    }
    // Ajv needs the parent to coerce or default a root value; Fastify passes it to functions that
    // have a schemaEnv, as Ajv's own do.
    if ((validate as (d: unknown, c?: unknown) => boolean)(data, context)) {
      return true;
    }
    const { details: found, total } = detailsOf(validate.errors ?? [], part);
    return failed(found, total);
  };
  validator.schemaEnv = validate.schemaEnv;
  return validator;
}

/**
 * The first parameter of a query string whose percent-encoding is malformed or is not UTF-8 (`%FF`,
 * `%ED%A0%80`, a lone `%`). The query parser keeps such text as it is, so `q=%FF` would search for
 * the three characters `%FF`.
 */
function malformedQueryParameter(url: string): string | null {
  const start = url.indexOf('?');
  if (start === -1 || !url.includes('%', start)) {
    return null;
  }
  for (const pair of url.slice(start + 1).split('&')) {
    try {
      decodeURIComponent(pair);
    } catch {
      const name = pair.split('=', 1)[0] ?? '';
      try {
        return decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return 'querystring';
      }
    }
  }
  return null;
}

/**
 * Request validation with two rule sets. Path and query values are strings on the wire, so they are
 * coerced to the declared types (`?limit=10`), strictly; JSON bodies have types of their own and are
 * never coerced: `"hostname": 42` is an error, not "42". Every failure is a VALIDATION_FAILED error
 * with a detail per problem.
 */
export const validation = fp(
  (app: FastifyInstance) => {
    const coercing = createAjv({ coerceTypes: 'array' });
    const strict = createAjv({ coerceTypes: false });
    app.addHook('onRequest', (request, _reply, done) => {
      const name = malformedQueryParameter(request.url);
      if (name === null) {
        done();
        return;
      }
      done(
        appError('VALIDATION_FAILED', [
          { field: name, message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' },
        ]),
      );
    });
    app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => {
      const part: Part =
        httpPart === 'body' || httpPart === 'params' || httpPart === 'headers' ? httpPart : 'querystring';
      return compileValidator(part === 'body' ? strict : coercing, schema, part);
    });
  },
  { name: 'validation', fastify: '5.x' },
);
