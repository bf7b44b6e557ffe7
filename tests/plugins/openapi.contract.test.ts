// The contract: requests built from the OpenAPI document, valid and invalid, never get a 5xx, and
// every answer has a documented status and matches the documented schema for it.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { injectOperation } from '../helpers/inject.js';
import { dereference, fetchDocument } from '../helpers/openapi.js';
import { type JsonSchema, arbitraryFromSchema } from '../helpers/schema-arbitrary.js';

// ajv-formats is CommonJS with its function on `default` for ESM callers.
const addFormats = addFormatsModule.default;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

interface Operation {
  method: Method;
  path: string;
  spec: OpenAPIV3_1.OperationObject;
}

interface GeneratedRequest {
  url: string;
  body: unknown;
  /** Whether every part was built to follow the document (the answer must then not be a 400). */
  valid: boolean;
}

/** Characters that a URL would normalise away (`.`, `..`) or that would end the path, escaped. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/\./g, '%2E');
}

function parametersOf(operation: Operation, where: 'path' | 'query'): OpenAPIV3_1.ParameterObject[] {
  return ((operation.spec.parameters ?? []) as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === where);
}

function bodySchemaOf(operation: Operation): JsonSchema | undefined {
  const body = operation.spec.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
  return body?.content['application/json']?.schema as JsonSchema | undefined;
}

/**
 * Query parameters whose values have rules beyond their schema (a filter's value must name a
 * status, a cursor must come from the same listing, the change feed's `before` must leave a seq after
 * its `after` ...): a request with one is not promised a 2xx.
 */
const RULES_BEYOND_SCHEMA = new Set([
  'cursor',
  'before',
  'sort',
  'status',
  'environment',
  'role',
  'location',
  'os',
  'hostname',
  'ip',
  'tag',
  'cidr',
  'q',
  'updated_since',
  'by',
]);

/** Checks arbitrary path values against their parameter's schema (its own keywords only). */
const PATH_VALIDATOR = new Ajv2020({ strict: false });

/** Requests for one operation: each part either follows its schema or breaks it. */
function requestsFor(operation: Operation): fc.Arbitrary<GeneratedRequest> {
  const pathParams = parametersOf(operation, 'path').map((param) =>
    fc.oneof(
      arbitraryFromSchema(param.schema as JsonSchema).map((value) => ({
        name: param.name,
        value: String(value),
        valid: true,
      })),
      fc
        .string({ minLength: 1, maxLength: 30 })
        // Dot segments are removed from a path (RFC 3986 5.2.4): they name another route, not this one.
        // A string that happens to follow the schema ("1") is not an invalid value.
        .filter((value) => value !== '.' && value !== '..' && !PATH_VALIDATOR.validate(param.schema as object, value))
        .map((value) => ({ name: param.name, value, valid: false })),
    ),
  );
  const documentedQuery = parametersOf(operation, 'query').map((param) =>
    fc.option(
      arbitraryFromSchema(param.schema as JsonSchema).map((value): (readonly [string, string])[] =>
        // An object in style form, exploded, is its properties, each a parameter of its own.
        param.style === 'form' && param.explode === true && typeof value === 'object' && value !== null
          ? Object.entries(value).map(([name, property]) => [name, String(property)] as const)
          : [[param.name, String(value)] as const],
      ),
    ),
  );
  const unknownQuery = fc.option(fc.tuple(fc.stringMatching(/^[a-z_]{1,10}$/), fc.string({ maxLength: 10 })));
  const bodySchema = bodySchemaOf(operation);
  const body =
    bodySchema === undefined
      ? fc.constant({ value: undefined, valid: true })
      : fc.oneof(
          arbitraryFromSchema(bodySchema).map((value) => ({ value, valid: true })),
          fc.jsonValue().map((value) => ({ value, valid: false })),
        );

  return fc
    .record({ path: fc.tuple(...pathParams), query: fc.tuple(...documentedQuery), unknownQuery, body })
    .map(({ path, query, unknownQuery: extra, body: generatedBody }) => {
      let url = operation.path;
      for (const { name, value } of path) {
        url = url.replace(`{${name}}`, encodeSegment(value));
      }
      const search = new URLSearchParams();
      const pairs = query.flatMap((parameter) => parameter ?? []);
      for (const [name, value] of pairs) {
        search.append(name, value);
      }
      if (extra !== null) {
        search.append(extra[0], extra[1]);
      }
      const queryString = search.toString();
      return {
        url: queryString === '' ? url : `${url}?${queryString}`,
        body: generatedBody.value,
        valid:
          path.every((p) => p.valid) &&
          generatedBody.valid &&
          extra === null &&
          pairs.every(([name]) => !RULES_BEYOND_SCHEMA.has(name) && !name.startsWith('cf_')),
      };
    });
}

const WEBHOOK_OPERATIONS = [
  'createWebhook',
  'deleteWebhook',
  'getWebhook',
  'listWebhookDeliveries',
  'listWebhooks',
  'pingWebhook',
  'redeliverWebhookDelivery',
  'rotateWebhookSecret',
  'updateWebhook',
];

describe('the API against its OpenAPI document', () => {
  let t: TestApp;
  let operations: Operation[];
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();

  beforeAll(async () => {
    // Requests are built in this process, valid bodies included (POST's one server or array of them):
    // overload protection would answer some of them 503 for the event loop that building holds.
    t = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
    // Requests are built from, and answers checked against, the schemas with their `$ref`s resolved.
    const document = dereference(await fetchDocument(t.app));
    operations = [];
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of METHODS) {
        const spec = item?.[method];
        if (spec !== undefined) {
          operations.push({ method, path, spec });
        }
      }
    }
  });
  afterAll(async () => {
    await t.app.close();
  });

  function validatorFor(operation: Operation, status: string, schema: object): ValidateFunction {
    const key = `${operation.spec.operationId ?? ''} ${status}`;
    let validate = validators.get(key);
    if (validate === undefined) {
      validate = ajv.compile(schema);
      validators.set(key, validate);
    }
    return validate;
  }

  it('covers every operation of the document', () => {
    expect(operations.map((o) => o.spec.operationId).sort()).toStrictEqual(
      [
        'applyServers',
        'createCustomField',
        'createServers',
        'createToken',
        'deleteCustomField',
        'deleteServer',
        'getAnsibleInventory',
        'getCustomField',
        'getHealth',
        'getMetrics',
        'getOpenApiDocument',
        'getOwnToken',
        'getPrometheusTargets',
        'getReadiness',
        'getServer',
        'getServerHistory',
        'getSummary',
        'listChanges',
        'streamChanges',
        'listCustomFieldChanges',
        'listCustomFields',
        'listServers',
        'listTokenEvents',
        'listTokens',
        'patchServer',
        'replaceServer',
        'revokeToken',
        'rotateOwnToken',
        'rotateToken',
        'updateCustomField',
        ...WEBHOOK_OPERATIONS,
      ].sort(),
    );
  });

  it('never answers a 5xx, and answers only documented statuses and bodies', async () => {
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(requestsFor(operation), async (request) => {
          const res = await injectOperation(t.app, {
            method: operation.method.toUpperCase(),
            url: request.url,
            ...(request.body === undefined
              ? {}
              : { payload: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } }),
          });
          const where = `${operation.method.toUpperCase()} ${request.url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, where).toBeLessThan(500);
          const documented = operation.spec.responses?.[String(res.statusCode)] as
            OpenAPIV3_1.ResponseObject | undefined;
          expect(documented, where).toBeDefined();
          if (request.valid) {
            expect(res.statusCode, `a valid request was refused: ${where}`).not.toBe(400);
          }
          const [mediaType, media] = Object.entries(documented?.content ?? {})[0] ?? [];
          expect(res.headers['content-type'], where).toContain(mediaType);
          if (mediaType === 'application/json' && media?.schema !== undefined) {
            const validate = validatorFor(operation, String(res.statusCode), media.schema);
            expect(validate(res.json()), `${where}\n${ajv.errorsText(validate.errors)}`).toBe(true);
          }
        }),
        { numRuns: 60 },
      );
    }
    // 60 requests for each of some 30 operations.
  }, 120_000);

  it('answers valid requests for a server with the server or a documented 404, and invalid ids with 400', async () => {
    const getServer = operations.find((o) => o.spec.operationId === 'getServer');
    if (getServer === undefined) {
      throw new Error('getServer is not documented');
    }
    await fc.assert(
      fc.asyncProperty(requestsFor(getServer), async (request) => {
        const res = await t.app.inject({ method: 'GET', url: request.url });
        if (request.valid) {
          expect([200, 404], request.url).toContain(res.statusCode);
        } else {
          expect([400, 404], request.url).toContain(res.statusCode);
        }
      }),
      { numRuns: 200 },
    );
  });
});
