// The OpenAPI document as the tools that read it need it: only OpenAPI's keywords, named components
// behind `$ref`s that resolve, examples that the API accepts, and security that tells the truth.
import type { OpenAPIV3_1 } from 'openapi-types';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { injectOperation } from '../helpers/inject.js';
import {
  dereference,
  documentAjv,
  exampleProblems,
  fetchDocument,
  operationsOf,
  refsOf,
  resolvePointer,
} from '../helpers/openapi.js';

type Media = OpenAPIV3_1.MediaTypeObject;

function requestMedia(operation: OpenAPIV3_1.OperationObject): [string, Media][] {
  return Object.entries((operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content ?? {});
}

function responseMedia(operation: OpenAPIV3_1.OperationObject, status: string): Media | undefined {
  return (operation.responses?.[status] as OpenAPIV3_1.ResponseObject | undefined)?.content?.['application/json'];
}

function schemaOf(operation: OpenAPIV3_1.OperationObject, status: string): unknown {
  return responseMedia(operation, status)?.schema;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * Overload protection off: compiling the schemas holds this process's event loop, and the answers
 * would be 503s instead of the statuses asserted here.
 */
const CALM = { MAX_EVENT_LOOP_DELAY_MS: '0' };

let t: TestApp;
let document: OpenAPIV3_1.Document;
beforeAll(async () => {
  t = await buildTestApp({ env: CALM });
  document = await fetchDocument(t.app);
});
afterAll(async () => {
  await t.app.close();
});

function operation(operationId: string): OpenAPIV3_1.OperationObject {
  const found = operationsOf(document).find((o) => o.operation.operationId === operationId);
  if (found === undefined) {
    throw new Error(`no operation ${operationId}`);
  }
  return found.operation;
}

describe('the schemas of the OpenAPI document', () => {
  it('carry no errorMessage anywhere, while the validator still gives its messages', async () => {
    expect(JSON.stringify(document)).not.toContain('errorMessage');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'localhost', ip: '10.0.0.9' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ details: { message: string }[] }>().details[0]?.message).toMatch(/^is reserved by Ansible/);
  });

  it('name the shared shapes as components, each referred to by $ref', () => {
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Server', 'ServerInput', 'ServerPatch', 'ServerList', 'Error', 'Change', 'Summary']),
    );
    expect(schemaOf(operation('getServer'), '200')).toStrictEqual(ref('Server'));
    expect(schemaOf(operation('listServers'), '200')).toStrictEqual(ref('ServerList'));
    expect(schemaOf(operation('getSummary'), '200')).toStrictEqual(ref('Summary'));
    expect(schemaOf(operation('listChanges'), '200')).toStrictEqual(ref('ChangeList'));
    expect(document.components?.schemas?.ChangeList?.properties?.changes).toMatchObject({ items: ref('Change') });
    expect(requestMedia(operation('replaceServer'))[0]?.[1].schema).toStrictEqual(ref('ServerInput'));
    expect(requestMedia(operation('patchServer'))[0]?.[1].schema).toStrictEqual(ref('ServerPatch'));
    for (const { method, path, operation: op } of operationsOf(document)) {
      for (const status of Object.keys(op.responses ?? {}).filter((s) => Number(s) >= 400)) {
        expect(schemaOf(op, status), `${method} ${path} ${status}`).toStrictEqual(ref('Error'));
      }
    }
  });

  it('publish POST /api/v1/servers as one ServerInput or an array of them, not a switch on the type', () => {
    const [[type, media] = ['', {}]] = requestMedia(operation('createServers'));
    expect(type).toBe('application/json');
    expect(media.schema).toMatchObject({
      oneOf: [{ type: 'array', items: ref('ServerInput'), minItems: 1, maxItems: 1000 }, ref('ServerInput')],
    });
    expect(media.schema).not.toHaveProperty('if');
  });

  it('publish POST /api/v1/servers/apply as JSON, or as NDJSON and CSV text', () => {
    const media = Object.fromEntries(requestMedia(operation('applyServers')));
    expect(Object.keys(media)).toStrictEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(media['application/json']?.schema).toStrictEqual(ref('ApplyRequest'));
    for (const type of ['application/x-ndjson', 'text/csv']) {
      expect(media[type]?.schema, type).toMatchObject({ type: 'string' });
    }
  });

  it('refer only to what is there: every $ref resolves', () => {
    const refs = refsOf(document);
    expect(refs.length).toBeGreaterThan(50);
    for (const { at, ref: target } of refs) {
      expect(resolvePointer(document, target), `${at}: ${target}`).toBeDefined();
    }
    expect(() => dereference(document)).not.toThrow();
  });
});

describe('the examples of the OpenAPI document', () => {
  const bodyOperations = [
    'createServers',
    'applyServers',
    'replaceServer',
    'patchServer',
    'createToken',
    'rotateToken',
    'rotateOwnToken',
    'createCustomField',
    'updateCustomField',
    'createWebhook',
    'updateWebhook',
  ];

  it('are on every operation that takes a body, for its request and its success response', () => {
    const taking = operationsOf(document).filter(({ operation: op }) => op.requestBody !== undefined);
    expect(taking.map(({ operation: op }) => op.operationId).sort()).toStrictEqual([...bodyOperations].sort());
    for (const { operation: op } of taking) {
      for (const [type, media] of requestMedia(op)) {
        expect(Object.keys(media.examples ?? {}).length, `${op.operationId} ${type}`).toBeGreaterThan(0);
      }
      const success = Object.keys(op.responses ?? {}).find((status) => status.startsWith('2')) ?? '';
      expect(Object.keys(responseMedia(op, success)?.examples ?? {}).length, op.operationId).toBeGreaterThan(0);
    }
    // One server and several, for the POST that takes either.
    const [[, create] = ['', {}]] = requestMedia(operation('createServers'));
    expect(Object.values(create.examples ?? {}).map((e) => Array.isArray((e as { value: unknown }).value))).toEqual([
      false,
      true,
    ]);
  });

  it('are each valid against the schema beside them, wherever they are', () => {
    const { checked, problems } = exampleProblems(document, documentAjv());
    expect(problems).toStrictEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('are refused by that check when they break the schema', () => {
    const ajv = documentAjv();
    const input = dereference(document).components?.schemas?.ServerInput;
    const validate = ajv.compile(input as object);
    expect(validate({ hostname: 'web-1', ip: '10.0.0.01' })).toBe(false);
    expect(validate({ hostname: 'web-1', ip: '10.0.0.1', id: 7 })).toBe(false);
    expect(validate({ hostname: 'web-1', ip: '10.0.0.1' })).toBe(true);
  });

  it('each succeed when sent as they are, on a fresh inventory, and answer like their response examples', async () => {
    const fresh = await buildTestApp({ env: CALM });
    try {
      const examples = (op: string) =>
        Object.values(requestMedia(operation(op))[0]?.[1].examples ?? {}) as OpenAPIV3_1.ExampleObject[];
      const responseExamples = (op: string, status: string) =>
        Object.values(responseMedia(operation(op), status)?.examples ?? {}).map(
          (e) => (e as OpenAPIV3_1.ExampleObject).value as unknown,
        );
      const withoutTimes = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(withoutTimes)
          : {
              ...(value as object),
              id: expect.any(Number) as unknown,
              created_at: expect.any(String) as unknown,
              updated_at: expect.any(String) as unknown,
            };
      const send = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown, contentType: string) => {
        const res = await fresh.app.inject({
          method,
          url,
          headers: { ...AS_BOOTSTRAP, 'content-type': contentType },
          payload: JSON.stringify(payload),
        });
        expect(res.statusCode, `${method} ${url} ${res.body}`).toBeLessThan(300);
        return res.json<unknown>();
      };

      const created = responseExamples('createServers', '201');
      for (const [i, example] of examples('createServers').entries()) {
        const body = await send('POST', '/api/v1/servers', example.value, 'application/json');
        expect(body).toStrictEqual(withoutTimes(created[i]));
      }
      // The path's example id, as /docs pre-fills it.
      const id = (operation('patchServer').parameters?.[0] as OpenAPIV3_1.ParameterObject).example as string;
      expect(id).toBe('1');
      const [patch, ...otherPatches] = examples('patchServer');
      expect(await send('PATCH', `/api/v1/servers/${id}`, patch?.value, 'application/merge-patch+json')).toStrictEqual(
        withoutTimes(responseExamples('patchServer', '200')[0]),
      );
      for (const example of otherPatches) {
        await send('PATCH', `/api/v1/servers/${id}`, example.value, 'application/json');
      }
      const [replacement] = examples('replaceServer');
      expect(await send('PUT', `/api/v1/servers/${id}`, replacement?.value, 'application/json')).toStrictEqual(
        withoutTimes(responseExamples('replaceServer', '200')[0]),
      );
    } finally {
      await fresh.app.close();
    }
  });
});

describe('the operations of the OpenAPI document', () => {
  it('declare the security the auth plugin enforces: optional on reads, a token on writes, none on the probes', () => {
    const bearer = { bearerAuth: [] };
    expect(operation('listServers').security).toStrictEqual([{}, bearer]);
    expect(operation('getMetrics').security).toStrictEqual([{}, bearer]);
    expect(operation('createServers').security).toStrictEqual([bearer]);
    expect(operation('deleteServer').security).toStrictEqual([bearer]);
    expect(operation('getHealth').security).toStrictEqual([]);
    expect(operation('getReadiness').security).toStrictEqual([]);
    expect(operation('getOpenApiDocument').security).toStrictEqual([]);
  });

  it('tell the truth about tokens: 401 without one exactly where the security says one may be needed', async () => {
    const open = t;
    const closed = await buildTestApp({ env: { ...CALM, INVENTORY_AUTH_READS: 'true' } });
    try {
      for (const { method, path, operation: op } of operationsOf(document)) {
        const security = op.security ?? [];
        const url = path.replace('{id}', '1');
        const where = `${method.toUpperCase()} ${path}`;
        const statusOn = async (app: TestApp) =>
          (await injectOperation(app.app, { method: method.toUpperCase(), url })).statusCode;
        // A token may be needed (under some configuration) if and only if the bearer scheme is listed.
        expect((await statusOn(closed)) === 401, where).toBe(security.some((s) => 'bearerAuth' in s));
        // No token is needed by default if and only if the empty requirement is listed, or none is.
        expect((await statusOn(open)) !== 401, where).toBe(
          security.length === 0 || security.some((s) => Object.keys(s).length === 0),
        );
      }
    } finally {
      await closed.app.close();
    }
  });

  it('declare both media types PATCH takes, and PATCH takes both', async () => {
    const patch = operation('patchServer');
    expect(requestMedia(patch).map(([type]) => type)).toStrictEqual([
      'application/merge-patch+json',
      'application/json',
    ]);
    for (const [type] of requestMedia(patch)) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/2',
        headers: { ...AS_BOOTSTRAP, 'content-type': type },
        payload: JSON.stringify({ notes: type }),
      });
      expect(res.statusCode, type).toBe(200);
      expect(res.json<{ notes: string }>().notes).toBe(type);
    }
  });

  it('say that several tags match servers with all of them, and several values of another filter any of them', () => {
    const parameter = (name: string) =>
      (operation('listServers').parameters as OpenAPIV3_1.ParameterObject[]).find((p) => p.name === name);
    expect(parameter('tag')?.description).toMatch(/all of them/);
    expect(parameter('tag')?.description).not.toMatch(/any/);
    expect(parameter('status')?.description).toMatch(/match any of them/);
  });

  it('show the custom fields filters as one object of parameters, on every listing-like operation', async () => {
    for (const id of ['listServers', 'getSummary', 'getAnsibleInventory', 'getPrometheusTargets']) {
      const parameter = (operation(id).parameters as OpenAPIV3_1.ParameterObject[]).find(
        (p) => p.name === 'custom_field_filters',
      );
      expect(parameter, id).toMatchObject({ in: 'query', style: 'form', explode: true });
      const schema = parameter?.schema as OpenAPIV3_1.SchemaObject & { patternProperties: Record<string, unknown> };
      expect(schema.additionalProperties, id).toBe(false);
      const patterns = Object.keys(schema.patternProperties).map((pattern) => new RegExp(pattern, 'u'));
      // Each parameter matches one pattern, and names that are not a custom field's match none.
      for (const name of ['cf_rack', 'cf_u__gte', 'cf_u__lte', 'cf_u__empty', 'cf_a__b']) {
        expect(
          patterns.filter((p) => p.test(name)),
          name,
        ).toHaveLength(1);
      }
      for (const name of ['cf_', 'cf_Rack', 'rack', 'custom_field_filters']) {
        expect(
          patterns.filter((p) => p.test(name)),
          name,
        ).toHaveLength(0);
      }
      // The example in its description is a valid object of the schema.
      const example = /`(\{.*\})`/.exec(parameter?.description ?? '')?.[1] ?? 'null';
      expect(documentAjv().validate(schema, JSON.parse(example)), id).toBe(true);
      // No example of its own: /docs would send it with every "Try it out".
      expect(parameter?.example, id).toBeUndefined();
    }
    // The document's copy lost the validator's keywords; the route's own schemas kept their messages.
    const res = await t.app.inject({ url: `/api/v1/servers?cf_u__gte=${'1'.repeat(65)}` });
    expect(res.json<{ details: { message: string }[] }>().details[0]?.message).toMatch(/^must be one bound: /);
  });

  it('name the server and the license', () => {
    expect(document.servers).toStrictEqual([{ url: '/', description: expect.any(String) as unknown }]);
    expect(document.info.license).toStrictEqual({ name: 'MIT', identifier: 'MIT' });
  });
});

describe('an app whose route schemas give two different schemas one title', () => {
  it('refuses to publish a document, and says which title', async () => {
    const clash = await buildTestApp({
      env: CALM,
      extend: (app) => {
        app.get(
          '/api/v1/clash',
          {
            schema: {
              operationId: 'clash',
              tags: ['operations'],
              response: { 200: Type.Object({ other: Type.String() }, { title: 'Server' }) },
            },
          },
          () => ({ other: 'x' }),
        );
      },
    });
    try {
      const res = await clash.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      expect(res.statusCode).toBe(500);
      expect(clash.logs.text()).toContain('two different schemas are titled \\"Server\\"');
    } finally {
      await clash.app.close();
    }
  });
});
