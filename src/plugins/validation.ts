import type { AnySchemaObject } from 'ajv';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { type ErrorDetail, appError } from '../errors.js';
import { isEntityTagList } from '../shared/etag.js';
import type { Part } from './validation/details.js';
import { MALFORMED_QUERY_MESSAGE, malformedQueryParameter } from './validation/query.js';
import { QUERY_OPTIONS, compileValidator, createAjv } from './validation/validator.js';

/**
 * A validator of query parameters that arrive elsewhere than in a query string (a webhook's stored
 * filter), with a route's rules and messages: the details name each parameter at fault.
 */
export function compileQueryValidator(schema: AnySchemaObject): (query: unknown) => ErrorDetail[] {
  const validate = compileValidator(createAjv(QUERY_OPTIONS), schema, 'querystring');
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
    const coercing = createAjv(QUERY_OPTIONS);
    const strict = createAjv({ coerceTypes: false });
    // Before the schemas, after every onRequest hook (request id, protections, authentication).
    app.addHook('preValidation', (request, _reply, done) => {
      const name = malformedQueryParameter(request.url);
      if (name !== null) {
        done(appError('VALIDATION_FAILED', [{ field: name, message: MALFORMED_QUERY_MESSAGE }]));
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
