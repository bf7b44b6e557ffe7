import { Ajv, type AnySchemaObject, type Options } from 'ajv';
import ajvFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { type AppError, type ErrorDetail, appError } from '../errors.js';
import { canonicalIp } from '../servers/ip-address.js';
import { isEntityTagList } from '../shared/etag.js';
import { type Part, detailsOf, fieldPath } from './validation/details.js';
import { findIllFormed, findOversized } from './validation/limits.js';
import { DECIMAL_INTEGER, integerProperties, malformedQueryParameter } from './validation/query.js';

// CommonJS with its function on `default` for ESM callers.
const ajvFormats = ajvFormatsModule.default;

/**
 * Schemas may carry `errorMessage`: a string that replaces every message of that schema, or an object
 * of messages by keyword (`{ maxItems: '...' }`). It is an annotation that `detailsOf` (validation/details.ts) reads. It
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
    // A custom field's value is a string, a number or a boolean: `type: [...]` says it plainly.
    allowUnionTypes: true,
    ...options,
  });
  ajvFormats(ajv);
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: ['string', 'object'] });
  ajv.addFormat('ip-address', { type: 'string', validate: (value: string) => canonicalIp(value) !== null });
  return ajv;
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
      const oversized = findOversized(ajv, schema, data);
      if (oversized !== null) {
        const details = oversized.details.map((d) => ({ ...d, field: d.field || part }));
        return failed(details, oversized.total);
      }
      const illFormed = findIllFormed(data);
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
 * A validator of query parameters that arrive elsewhere than in a query string (a webhook's stored
 * filter), with a route's rules and messages: the details name each parameter at fault.
 */
export function compileQueryValidator(schema: AnySchemaObject): (query: unknown) => ErrorDetail[] {
  const validate = compileValidator(createAjv({ coerceTypes: 'array' }), schema, 'querystring');
  return (query) => {
    const result = validate(query);
    return result === true ? [] : (result.error.details ?? []);
  };
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
    // Before the schemas, after every onRequest hook (request id, protections, authentication).
    app.addHook('preValidation', (request, _reply, done) => {
      const name = malformedQueryParameter(request.url);
      if (name !== null) {
        done(
          appError('VALIDATION_FAILED', [
            { field: name, message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' },
          ]),
        );
        return;
      }
      const malformed = (['if-match', 'if-none-match'] as const).filter((header) => {
        const value = request.headers[header];
        return value !== undefined && !isEntityTagList(value);
      });
      if (malformed.length > 0) {
        done(
          appError(
            'INVALID_PRECONDITION',
            malformed.map((field) => ({ field, message: 'must be * or entity tags in double quotes, such as "3-2"' })),
          ),
        );
        return;
      }
      done();
    });
    app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => {
      const part: Part =
        httpPart === 'body' || httpPart === 'params' || httpPart === 'headers' ? httpPart : 'querystring';
      return compileValidator(part === 'body' ? strict : coercing, schema, part);
    });
  },
  { name: 'validation', fastify: '5.x' },
);
