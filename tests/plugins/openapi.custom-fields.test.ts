// The custom fields in the OpenAPI document: the servers' `custom_fields` described field by field as
// they are defined, the document rendered again when (and only when) the definitions change.
import { Validator } from '@seriousme/openapi-schema-validator';
import { type Kysely, type KyselyPlugin, SelectQueryNode, TableNode } from 'kysely';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterEach, describe, expect, it } from 'vitest';
import { CUSTOM_FIELDS_SCHEMAS } from '../../src/custom-fields/custom-fields.openapi.js';
import type { Database } from '../../src/db/types.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { EVERY_TYPE, defineFields } from '../helpers/custom-fields.js';
import { documentAjv, exampleProblems, fetchDocument } from '../helpers/openapi.js';

type Schema = Record<string, unknown>;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

async function app(options: Parameters<typeof buildTestApp>[0] = {}): Promise<TestApp> {
  // Overload protection off: compiling schemas holds this process's event loop.
  t = await buildTestApp({ ...options, env: { MAX_EVENT_LOOP_DELAY_MS: '0', ...options.env } });
  return t;
}

function customFieldsOf(document: OpenAPIV3_1.Document, component: string): Schema {
  const schema = document.components?.schemas?.[component] as { properties?: Record<string, Schema> } | undefined;
  const found = schema?.properties?.custom_fields;
  if (found === undefined) {
    throw new Error(`${component} has no custom_fields`);
  }
  return found;
}

const DESCRIPTION = expect.any(String) as unknown;

/** A Kysely plugin that tells `seen` the table each select reads from (the first of its FROM). */
function onQuery(seen: (table: string) => void): KyselyPlugin {
  return {
    transformQuery: ({ node }) => {
      if (SelectQueryNode.is(node)) {
        const [from] = node.from?.froms ?? [];
        if (from !== undefined && TableNode.is(from)) {
          seen(from.table.identifier.name);
        }
      }
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };
}

describe('GET /api/v1/openapi.json with custom fields', () => {
  it('describes a field in every server schema once it is defined, anew after a PATCH, and no more after a DELETE', async () => {
    const { app: api } = await app();
    const before = await fetchDocument(api);
    expect(customFieldsOf(before, 'Server')).toStrictEqual({
      type: 'object',
      properties: {},
      additionalProperties: false,
      description: DESCRIPTION,
    });

    await defineFields(api, [
      { name: 'rack', type: 'string', pattern: '^R[0-9]+$', required: true, default: 'R1', description: 'Rack' },
    ]);
    const defined = await fetchDocument(api);
    const rack = { type: 'string', minLength: 1, maxLength: 4096, pattern: '^R[0-9]+$', description: 'Rack' };
    for (const component of ['Server', 'ListedServer']) {
      expect(customFieldsOf(defined, component), component).toStrictEqual({
        type: 'object',
        properties: { rack },
        required: ['rack'],
        additionalProperties: false,
        description: DESCRIPTION,
      });
    }
    expect(customFieldsOf(defined, 'ServerInput')).toStrictEqual({
      type: 'object',
      properties: { rack: { ...rack, type: ['string', 'null'], default: 'R1' } },
      additionalProperties: false,
      description: DESCRIPTION,
    });
    for (const component of ['ServerPatch', 'ApplyItem']) {
      expect(customFieldsOf(defined, component), component).toStrictEqual({
        type: ['object', 'null'],
        properties: { rack: { ...rack, type: ['string', 'null'] } },
        additionalProperties: false,
        description: DESCRIPTION,
      });
    }
    // Everything else is as it was.
    const unchanged = (document: OpenAPIV3_1.Document) => {
      const copy = structuredClone(document);
      for (const component of Object.keys(CUSTOM_FIELDS_SCHEMAS)) {
        delete (copy.components?.schemas?.[component]?.properties as Record<string, unknown>).custom_fields;
      }
      copy.paths = {};
      return copy;
    };
    expect(unchanged(defined)).toStrictEqual(unchanged(before));
    // The page reads the same document.
    const page = await api.inject({ method: 'GET', url: '/docs/json' });
    expect(page.json()).toStrictEqual(defined);

    const patched = await api.inject({
      method: 'PATCH',
      url: '/api/v1/custom-fields/rack',
      headers: AS_BOOTSTRAP,
      payload: { max_length: 6, required: false, description: null },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const changed = await fetchDocument(api);
    expect(customFieldsOf(changed, 'Server')).toStrictEqual({
      type: 'object',
      properties: { rack: { type: 'string', minLength: 1, maxLength: 6, pattern: '^R[0-9]+$' } },
      additionalProperties: false,
      description: DESCRIPTION,
    });
    expect((await api.inject({ method: 'GET', url: '/docs/json' })).json()).toStrictEqual(changed);

    const deleted = await api.inject({
      method: 'DELETE',
      url: '/api/v1/custom-fields/rack?force=true',
      headers: AS_BOOTSTRAP,
    });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(await fetchDocument(api)).toStrictEqual(before);
    expect((await api.inject({ method: 'GET', url: '/docs/json' })).json()).toStrictEqual(before);
  });

  it('gives each type its JSON schema, and an RE2-only pattern in words', async () => {
    const { app: api } = await app();
    await defineFields(api, EVERY_TYPE);
    const properties = customFieldsOf(await fetchDocument(api), 'Server').properties;
    expect(properties).toStrictEqual({
      rack: {
        type: 'string',
        minLength: 1,
        maxLength: 8,
        pattern: '^R[0-9]+$',
        description: 'The rack, as the floor plan names it',
      },
      asset_tag: {
        type: 'string',
        minLength: 1,
        maxLength: 4096,
        description: 'Contains a match of the RE2 pattern (?i)^inv-',
      },
      u: { type: 'integer', minimum: 1, maximum: 48 },
      load: { type: 'number', minimum: 0 },
      monitored: { type: 'boolean' },
      bought: { type: 'string', format: 'date' },
      audited: { type: 'string', format: 'date-time', description: 'Stored and answered in UTC' },
      runbook: { type: 'string', format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', maxLength: 2048 },
      tier: { type: 'string', enum: ['gold', 'silver'] },
    });
    const input = customFieldsOf(await fetchDocument(api), 'ServerInput').properties as Record<string, Schema>;
    expect(input.tier).toStrictEqual({ type: ['string', 'null'], enum: ['gold', 'silver', null], default: 'silver' });
    expect(input.u).toStrictEqual({ type: ['integer', 'null'], minimum: 1, maximum: 48 });
  });

  it('is valid OpenAPI whose examples fit their schemas, and whose schemas take what the API takes', async () => {
    const { app: api } = await app();
    await defineFields(api, EVERY_TYPE);
    const document = await fetchDocument(api);
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    const { checked, problems } = exampleProblems(document, documentAjv());
    expect(problems).toStrictEqual([]);
    expect(checked).toBeGreaterThan(20);
    // A created server's example holds the values a server created without any has.
    const created = document.paths?.['/api/v1/servers']?.post?.responses['201'] as OpenAPIV3_1.ResponseObject;
    const example = created.content?.['application/json']?.examples?.one as OpenAPIV3_1.ExampleObject;
    expect((example.value as { custom_fields: unknown }).custom_fields).toStrictEqual({
      monitored: true,
      rack: 'R1',
      tier: 'silver',
    });

    // The published schemas and the API agree on what a value may be.
    const ajv = documentAjv();
    const patchSchema = { ...customFieldsOf(document, 'ServerPatch'), description: undefined };
    const validate = ajv.compile(JSON.parse(JSON.stringify(patchSchema)) as object);
    const cases: [Record<string, unknown>, boolean][] = [
      [{ rack: 'R12', u: 48, load: 0.5, bought: '2026-01-31', runbook: 'https://wiki.example/a' }, true],
      [{ tier: 'gold', monitored: false, audited: '2026-01-31T12:00:00+02:00', u: null }, true],
      [{ rack: 'X12' }, false],
      [{ rack: 'R123456789' }, false],
      [{ u: 0 }, false],
      [{ u: 1.5 }, false],
      [{ load: -1 }, false],
      [{ tier: 'bronze' }, false],
      [{ monitored: 'yes' }, false],
      [{ runbook: 'ftp://files.example/a' }, false],
      [{ colour: 'red' }, false],
    ];
    for (const [values, valid] of cases) {
      expect(validate(values), `document: ${JSON.stringify(values)}`).toBe(valid);
      const res = await api.inject({
        method: 'PATCH',
        url: '/api/v1/servers/1',
        headers: AS_BOOTSTRAP,
        payload: { custom_fields: values },
      });
      expect(res.statusCode, `API: ${JSON.stringify(values)} ${res.body}`).toBe(valid ? 200 : 400);
    }
  });

  it('reads one small value per request, and the definitions only when they changed', async () => {
    const read: string[] = [];
    const { app: api } = await app({
      wrapDb: (db: Kysely<Database>) => db.withPlugin(onQuery((table) => read.push(table))),
    });
    const fetchTwice = async () => {
      read.length = 0;
      const first = await fetchDocument(api);
      expect(await fetchDocument(api)).toStrictEqual(first);
      return [...read];
    };
    // The first request renders; each asks only for the last change's seq.
    expect(await fetchTwice()).toStrictEqual(['custom_field_changes', 'custom_fields', 'custom_field_changes']);
    expect(await fetchTwice()).toStrictEqual(['custom_field_changes', 'custom_field_changes']);
    await defineFields(api, [{ name: 'rack', type: 'string' }]);
    expect(await fetchTwice()).toStrictEqual(['custom_field_changes', 'custom_fields', 'custom_field_changes']);
  });

  it('is served as last rendered while the definitions cannot be read, and fails only if it never was', async () => {
    let away: string | undefined;
    const { app: api } = await app({
      wrapDb: (db: Kysely<Database>) =>
        db.withPlugin(
          onQuery((table) => {
            if (table === away) {
              throw new Error('the database is away');
            }
          }),
        ),
    });
    away = 'custom_field_changes';
    const never = await api.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(never.statusCode).toBeGreaterThanOrEqual(500);
    away = undefined;
    await defineFields(api, [{ name: 'rack', type: 'string' }]);
    const rendered = await fetchDocument(api);
    expect(customFieldsOf(rendered, 'Server').properties).toHaveProperty('rack');
    away = 'custom_field_changes';
    expect(await fetchDocument(api)).toStrictEqual(rendered);
    expect((await api.inject({ method: 'GET', url: '/docs/json' })).json()).toStrictEqual(rendered);
    // The version moves, yet the definitions cannot be read: the last rendering still.
    away = undefined;
    await defineFields(api, [{ name: 'u', type: 'integer' }]);
    away = 'custom_fields';
    expect(await fetchDocument(api)).toStrictEqual(rendered);
    away = undefined;
    expect(customFieldsOf(await fetchDocument(api), 'Server').properties).toHaveProperty('u');
  });
});
