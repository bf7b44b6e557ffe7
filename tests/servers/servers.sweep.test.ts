// Hostile values in every field of every operation: every query parameter, every path parameter and
// every body field that the OpenAPI document declares (so a new one is swept without a word here),
// as a single POST, inside a bulk POST, a PUT and a PATCH. No answer may be a 5xx, and the outcomes
// (status, code, details, and what a write stored) are compared with one file that the run on SQLite
// and the run on PostgreSQL (TEST_DATABASE_URL) must both match: any difference between the two
// databases fails one of them.
import { ApplyItem } from '../../src/servers/apply/apply.schemas.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dereference, fetchDocument } from '../helpers/openapi.js';

const HOSTILE_TEXT: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007',
  '\u001b[2J',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udc00x',
  'e\u0301',
  'ｗｅｂ',
  'web\u3164',
  'prоd',
  '{{ lookup("pipe", "id") }}',
  '=cmd|calc',
  "'; drop table servers; --",
  '%_\\',
  'x'.repeat(70),
  'x'.repeat(5000),
  'all',
  'localhost',
  '10.0.0.1',
  '::ffff:10.0.0.1',
  '0x10',
  '1e2',
  '-1',
  '2147483648',
  '9007199254740993',
  '__proto__',
];
/** Bytes a URL can carry that no string can: invalid UTF-8, and an encoded surrogate. */
const HOSTILE_URL_BYTES: readonly string[] = ['%FF', '%C3%28', '%ED%A0%80', '%F4%90%80%80', '%'];

const HOSTILE_JSON: readonly unknown[] = [...HOSTILE_TEXT, null, 0, -1, 1.5, 1e308, true, [], {}, ['a'], ['\u0000']];

interface Operation {
  method: string;
  path: string;
  query: string[];
  pathParams: string[];
  bodyFields: string[];
}

interface Schema {
  properties?: Record<string, unknown>;
  oneOf?: Schema[];
}

interface Document {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; style?: string; explode?: boolean }[];
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
}

function operationsOf(document: Document): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      const body = operation.requestBody?.content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        // An object in style form, exploded, is no parameter of its name but its properties: the custom
        // fields' filters, swept in tests/custom-fields/custom-fields.filters.test.ts.
        query: parameters.filter((p) => p.in === 'query' && !(p.style === 'form' && p.explode)).map((p) => p.name),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        // POST takes one server or an array of them: the fields are those of the one.
        bodyFields: Object.keys(body?.oneOf?.find((one) => one.properties)?.properties ?? body?.properties ?? {}),
      });
    }
  }
  return operations;
}

/** A short, distinct name for a value: long ones keep their length. */
const label = (value: unknown) => {
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 40)}…(${json.length})` : json;
};

describe('hostile values in every field of every operation', () => {
  let t: TestApp;
  let operations: Operation[];
  const outcomes: Record<string, string> = {};

  beforeAll(async () => {
    // The sweep keeps the event loop busy on purpose; overload protection would answer some of it 503.
    t = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
    operations = operationsOf(dereference(await fetchDocument(t.app)) as unknown as Document);
  });
  afterAll(async () => {
    await t.app.close();
  });

  async function send(
    key: string,
    request: { method: string; url: string; payload?: string },
  ): Promise<{ status: number; body: unknown }> {
    const res = await t.app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: { ...AS_BOOTSTRAP, ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
    expect(res.statusCode, key).toBeLessThan(500);
    const body: unknown = String(res.headers['content-type']).startsWith('application/json') ? res.json() : null;
    const error = body as { code?: string; details?: { field: string; message: string }[] } | null;
    outcomes[key] =
      res.statusCode >= 400
        ? `${res.statusCode} ${error?.code ?? ''} ${(error?.details ?? []).map((d) => `${d.field}: ${d.message}`).join('; ')}`
        : String(res.statusCode);
    return { status: res.statusCode, body };
  }

  it('answers no 5xx to a hostile query parameter or path parameter', async () => {
    expect(operations.length).toBeGreaterThan(8);
    for (const { method, path, query, pathParams } of operations) {
      if (method !== 'GET' && query.length === 0 && pathParams.length === 0) {
        continue;
      }
      const at = (id: string) => path.replace(/\{[^}]+\}/g, id);
      const values: [string, string][] = [
        ...HOSTILE_TEXT.filter((v) => v.isWellFormed()).map((v): [string, string] => [v, encodeURIComponent(v)]),
        ...HOSTILE_URL_BYTES.map((v): [string, string] => [`bytes ${v}`, v]),
      ];
      for (const [value, encoded] of values) {
        for (const name of method === 'GET' ? query : []) {
          await send(`${method} ${path} ?${name}=${label(value)}`, { method, url: `${at('1')}?${name}=${encoded}` });
        }
        if (pathParams.length > 0 && value !== '') {
          await send(`${method} ${path} path=${label(value)}`, {
            method,
            url: at(encoded),
            ...(method === 'PUT' || method === 'PATCH' ? { payload: '{}' } : {}),
          });
        }
      }
    }
  }, 120_000);

  it('answers no 5xx to a hostile value in any body field, and stores what it accepts alike', async () => {
    // The servers' writes: what they accept is read back. The token routes' bodies are fuzzed by the
    // contract test (tests/plugins/openapi.contract.test.ts).
    const writes = operations.filter((o) => o.bodyFields.length > 0 && o.path.startsWith('/api/v1/servers'));
    expect(writes.map((o) => `${o.method} ${o.path}`).sort()).toStrictEqual([
      'PATCH /api/v1/servers/{id}',
      'POST /api/v1/servers',
      'POST /api/v1/servers/apply',
      'PUT /api/v1/servers/{id}',
    ]);
    // An apply's servers are swept field by field, and so are its own fields beside them.
    const itemFields = Object.keys(ApplyItem.properties);
    const original = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).json<Record<string, unknown>>();
    const restore = { hostname: original.hostname, ip: original.ip, status: original.status };
    let n = 0;
    for (const { method, path, bodyFields } of writes) {
      const apply = path.endsWith('/apply');
      const fields = apply ? [...itemFields, ...bodyFields.filter((f) => f !== 'servers')] : bodyFields;
      for (const field of fields) {
        for (const value of HOSTILE_JSON) {
          n += 1;
          const fresh = { hostname: `sweep-${n}`, ip: `10.250.${n >> 8}.${n & 255}` };
          const bodies: [string, unknown][] = apply
            ? [
                [
                  'apply',
                  itemFields.includes(field)
                    ? { source: 'sweep', servers: [{ ...fresh, [field]: value }] }
                    : { source: 'sweep', servers: [fresh], [field]: value },
                ],
              ]
            : method === 'POST'
              ? [
                  ['single', { ...fresh, [field]: value }],
                  [
                    'bulk',
                    [
                      { hostname: `sweep-${n}-a`, ip: `10.251.${n >> 8}.${n & 255}` },
                      { ...fresh, [field]: value },
                    ],
                  ],
                ]
              : method === 'PUT'
                ? [['whole', { ...restore, [field]: value }]]
                : [['merge', { [field]: value }]];
          for (const [kind, payload] of bodies) {
            const key = `${method} ${path} ${kind} ${field}=${label(value)}`;
            const { status, body } = await send(key, {
              method,
              url: path.replace('{id}', '1'),
              payload: JSON.stringify(payload),
            });
            if (status >= 300) {
              continue;
            }
            if (apply) {
              // A dry run (dry_run: true is a value it takes) creates nothing to read back.
              const created = (body as { created: { id?: number }[] }).created[0]?.id;
              if (created !== undefined) {
                const stored = (await t.app.inject({ method: 'GET', url: `/api/v1/servers/${created}` })).json<
                  Record<string, unknown>
                >();
                outcomes[key] = `${outcomes[key] ?? ''} stored ${JSON.stringify(stored[field] ?? null).slice(0, 80)}`;
                await t.app.inject({ method: 'DELETE', url: `/api/v1/servers/${created}`, headers: AS_BOOTSTRAP });
              }
              continue;
            }
            // What was stored, read back: both databases must keep the same value.
            const written = (Array.isArray(body) ? body.at(-1) : body) as { id: number };
            const stored = (await t.app.inject({ method: 'GET', url: `/api/v1/servers/${written.id}` })).json<
              Record<string, unknown>
            >();
            outcomes[key] = `${outcomes[key] ?? ''} stored ${JSON.stringify(stored[field] ?? null).slice(0, 80)}`;
            if (method === 'POST') {
              for (const server of Array.isArray(body) ? (body as { id: number }[]) : [written]) {
                await t.app.inject({ method: 'DELETE', url: `/api/v1/servers/${server.id}`, headers: AS_BOOTSTRAP });
              }
            } else {
              await t.app.inject({
                method: 'PUT',
                url: '/api/v1/servers/1',
                headers: AS_BOOTSTRAP,
                payload: restore,
              });
            }
          }
        }
      }
    }
  }, 180_000);

  it('says what to do in every 4xx it met, never in the raw words of the validator', () => {
    const raw =
      /must be equal to one of the allowed values|must match (pattern|format)|must NOT have|must be (string|integer|number|boolean|array|object|null)\b|must be [<>]=? |must have required property/;
    const refusals = Object.entries(outcomes).filter(([, outcome]) => outcome.startsWith('4'));
    expect(refusals.length).toBeGreaterThan(1000);
    for (const [key, outcome] of refusals) {
      expect(outcome, key).not.toMatch(raw);
      // A bare code with no detail leaves the client guessing which part of the request is at fault.
      expect(outcome, key).toMatch(/^4\d\d [A-Z_]+ \S/);
    }
  });

  it('answers alike on SQLite and on PostgreSQL', async () => {
    // Written on SQLite by `vitest -u`; the PostgreSQL run must match it as it stands.
    await expect(`${JSON.stringify(outcomes, null, 1)}\n`).toMatchFileSnapshot('./__snapshots__/sweep.json');
  });
});
