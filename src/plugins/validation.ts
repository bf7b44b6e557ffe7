import { Ajv, type Options } from 'ajv';
import ajvErrorsModule from 'ajv-errors';
import ajvFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { canonicalIp } from '../servers/ip-address.js';

// Both are CommonJS with their function on `default` for ESM callers.
const ajvErrors = ajvErrorsModule.default;
const ajvFormats = ajvFormatsModule.default;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({
    // Report every bad field at once, and refuse unknown fields instead of dropping them.
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    ...options,
  });
  ajvFormats(ajv);
  ajvErrors(ajv);
  ajv.addFormat('ip-address', { type: 'string', validate: (value: string) => canonicalIp(value) !== null });
  return ajv;
}

/**
 * Request validation with two rule sets. Path and query values are strings on the wire, so they are
 * coerced to the declared types (`?limit=10`); JSON bodies have types of their own and are never
 * coerced: `"hostname": 42` is an error, not "42".
 */
export const validation = fp(
  (app: FastifyInstance) => {
    const coercing = createAjv({ coerceTypes: 'array' });
    const strict = createAjv({ coerceTypes: false });
    app.setValidatorCompiler(({ schema, httpPart }) =>
      httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
    );
  },
  { name: 'validation', fastify: '5.x' },
);
