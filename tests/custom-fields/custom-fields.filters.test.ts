// The custom fields' filters (cf_<name>, __gte, __lte, __empty) on every listing-like route, on the
// database the suite runs on: each type's values, what is refused and how, and that the definitions
// are read only for a request that names a custom field.
import { type KyselyPlugin, SelectQueryNode, TableNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomValue } from '../../src/custom-fields/custom-fields.schemas.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import {
  FIELDS,
  type FieldName,
  type Stored,
  defineFields,
  exportedIds,
  idsOf,
  seedCustomInventory,
} from '../helpers/custom-fields.js';

let t: TestApp;
let servers: Stored[];
/** How many statements the app ran against custom_fields (the definitions). */
let definitionReads = 0;
const recorder: KyselyPlugin = {
  transformQuery: ({ node }) => {
    const froms = SelectQueryNode.is(node) ? (node.from?.froms ?? []) : [];
    if (froms.some((from) => TableNode.is(from) && from.table.identifier.name === 'custom_fields')) {
      definitionReads += 1;
    }
    return node;
  },
  transformResult: ({ result }) => Promise.resolve(result),
};

beforeAll(async () => {
  // The sweep of hostile values sends hundreds of requests in a row: overload protection would answer 503.
  t = await buildTestApp({
    seed: false,
    env: { MAX_EVENT_LOOP_DELAY_MS: '0' },
    wrapDb: (db) => db.withPlugin(recorder),
  });
  servers = await seedCustomInventory(t, 36);
});
afterAll(async () => {
  await t.app.close();
});

/** The ids of the servers whose value of `field` passes `test`, in id order. */
function where(field: FieldName, test: (value: CustomValue | undefined) => boolean): number[] {
  return servers.filter((s) => test(s.values[field])).map((s) => s.id);
}

async function refused(query: string, url = '/api/v1/servers'): Promise<ErrorResponse['details']> {
  const res = await t.app.inject({ url: `${url}?${query}` });
  expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
  const body = res.json<ErrorResponse>();
  expect(body.code).toBe('VALIDATION_FAILED');
  return body.details;
}

describe('GET /api/v1/servers?cf_<name>=', () => {
  it.each([
    ['rack', 'R1', 'R1'],
    ['rack', 'R1,2', 'R1,2'],
    ['rack', 'Å-9', 'Å-9'],
    ['u', '8', 8],
    ['u', '-0', undefined],
    ['load', '2.25', 2.25],
    ['load', '-1', -1],
    ['load', '-1.0', -1],
    ['load', '-1e0', -1],
    ['tier', 'silver', 'silver'],
    ['pci', 'true', true],
    ['pci', 'false', false],
    ['born', '2025-02-06', '2025-02-06'],
    ['docs', 'https://wiki.example.com/r/2?a=1,2', 'https://wiki.example.com/r/2?a=1,2'],
  ] as const)('cf_%s=%s finds the servers with that value, exactly', async (field, text, value) => {
    const expected = where(field, (v) => v === (value ?? 0));
    if (value !== undefined) {
      expect(expected.length, 'the fixture has servers with that value').toBeGreaterThan(0);
    }
    expect(await idsOf(t, `cf_${field}=${encodeURIComponent(text)}`)).toStrictEqual(expected);
  });

  it('finds a date and time in any notation of the same instant', async () => {
    const [first] = servers.filter((s) => s.values.seen !== undefined);
    const seen = String(first?.values.seen);
    const expected = where('seen', (v) => v === seen);
    // The same instant an hour east of UTC, without milliseconds.
    const east = new Date(Date.parse(seen) + 3_600_000).toISOString().replace('.000Z', '+01:00');
    expect(await idsOf(t, `cf_seen=${encodeURIComponent(east)}`)).toStrictEqual(expected);
    expect(await idsOf(t, `cf_seen=${encodeURIComponent(seen)}`)).toStrictEqual(expected);
  });

  it('matches any of several values, repeated or comma-separated; string values keep their commas', async () => {
    const eightOrTwo = where('u', (v) => v === 8 || v === 2);
    expect(await idsOf(t, 'cf_u=8&cf_u=2')).toStrictEqual(eightOrTwo);
    expect(await idsOf(t, 'cf_u=8,2')).toStrictEqual(eightOrTwo);
    expect(await idsOf(t, 'cf_u=8,%202&cf_u=8')).toStrictEqual(eightOrTwo);
    expect(await idsOf(t, 'cf_tier=gold,bronze')).toStrictEqual(where('tier', (v) => v === 'gold' || v === 'bronze'));
    expect(await idsOf(t, 'cf_pci=true,false')).toStrictEqual(where('pci', (v) => v !== undefined));
    // "R1,2" is one value, not R1 or 2.
    expect(await idsOf(t, 'cf_rack=R1,2')).toStrictEqual(where('rack', (v) => v === 'R1,2'));
    expect(await idsOf(t, 'cf_rack=R1&cf_rack=Z')).toStrictEqual(where('rack', (v) => v === 'R1' || v === 'Z'));
    expect(await idsOf(t, 'cf_rack=R1&cf_rack=R1,2')).toStrictEqual(where('rack', (v) => v === 'R1' || v === 'R1,2'));
  });

  it('combines with the fixed filters and with other custom fields (AND)', async () => {
    const expected = servers
      .filter((s) => s.status === 'up' && s.values.tier === 'gold' && s.values.pci === false)
      .map((s) => s.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(await idsOf(t, 'status=up&cf_tier=gold&cf_pci=false')).toStrictEqual(expected);
  });

  it('does not take the case or the spaces of a value as the same value', async () => {
    expect(await idsOf(t, 'cf_rack=r1')).toStrictEqual(where('rack', (v) => v === 'r1'));
    expect(await idsOf(t, 'cf_rack=%20R1')).toStrictEqual([]);
  });
});

describe('GET /api/v1/servers?cf_<name>__gte= and __lte=', () => {
  it.each([
    ['u', '3', '8', 3, 8],
    ['u', '1', '1', 1, 1],
    ['load', '-1', '0.75', -1, 0.75],
    ['born', '2025-03-01', '2025-08-17', '2025-03-01', '2025-08-17'],
    [
      'seen',
      '2026-01-02T00:00:00Z',
      '2026-01-02T10:00:00+02:00',
      '2026-01-02T00:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
    ],
  ] as const)('cf_%s between %s and %s, both included', async (field, from, to, low, high) => {
    const inRange = (v: CustomValue | undefined) => v !== undefined && v >= low && v <= high;
    expect(where(field, inRange).length, 'the fixture has values in the range').toBeGreaterThan(0);
    const both = `cf_${field}__gte=${encodeURIComponent(from)}&cf_${field}__lte=${encodeURIComponent(to)}`;
    expect(await idsOf(t, both)).toStrictEqual(where(field, inRange));
    expect(await idsOf(t, `cf_${field}__gte=${encodeURIComponent(from)}`)).toStrictEqual(
      where(field, (v) => v !== undefined && v >= low),
    );
    expect(await idsOf(t, `cf_${field}__lte=${encodeURIComponent(to)}`)).toStrictEqual(
      where(field, (v) => v !== undefined && v <= high),
    );
  });

  it('includes a bound that a server holds exactly, and never a server without a value', async () => {
    const [held] = servers.filter((s) => s.values.u !== undefined);
    const u = Number(held?.values.u);
    expect(await idsOf(t, `cf_u__gte=${u}&cf_u__lte=${u}`)).toStrictEqual(where('u', (v) => v === u));
    // A server without a value sorts as 0 in the index: a range from below 0 must not find it.
    expect(await idsOf(t, 'cf_load__lte=0')).toStrictEqual(where('load', (v) => typeof v === 'number' && v <= 0));
    expect(await idsOf(t, 'cf_u__gte=-5')).toStrictEqual(where('u', (v) => v !== undefined));
  });

  it('combines a range with values and with the other filters', async () => {
    const expected = servers
      .filter((s) => s.status === 'up' && s.values.tier !== 'gold' && Number(s.values.u) >= 4)
      .filter((s) => s.values.tier !== undefined && s.values.u !== undefined)
      .map((s) => s.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(await idsOf(t, 'status=up&cf_tier=silver,bronze&cf_u__gte=4')).toStrictEqual(expected);
  });
});

describe('GET /api/v1/servers?cf_<name>__empty=', () => {
  it.each(['rack', 'u', 'pci', 'seen', 'tier'] as const)(
    'cf_%s__empty=true finds the servers without a value, false those with one',
    async (field) => {
      const without = where(field, (v) => v === undefined);
      expect(without.length).toBeGreaterThan(0);
      expect(await idsOf(t, `cf_${field}__empty=true`)).toStrictEqual(without);
      expect(await idsOf(t, `cf_${field}__empty=false`)).toStrictEqual(where(field, (v) => v !== undefined));
    },
  );

  it('finds nothing for a value and no value at once', async () => {
    expect(await idsOf(t, 'cf_u__empty=true&cf_u=8')).toStrictEqual([]);
    expect(await idsOf(t, 'cf_u__empty=false&cf_u=8')).toStrictEqual(where('u', (v) => v === 8));
  });

  it('counts what it finds', async () => {
    const res = await t.app.inject({ url: '/api/v1/servers?cf_rack__empty=true&limit=1' });
    expect(res.json<{ count: number }>().count).toBe(where('rack', (v) => v === undefined).length);
  });
});

describe('refusals of the custom fields filters', () => {
  it.each([
    ['cf_u=4.5', 'cf_u', /^must be an integer in plain decimal, such as 42 \(got "4\.5"\)$/],
    ['cf_u=1e3', 'cf_u', /^must be an integer .*\(got "1e3"\)$/],
    ['cf_u=0x10', 'cf_u', /^must be an integer .*\(got "0x10"\)$/],
    ['cf_u=%2B3', 'cf_u', /^must be an integer .*\(got "\+3"\)$/],
    ['cf_u=99999999999999999999', 'cf_u', /^must be an integer /],
    ['cf_u__gte=abc', 'cf_u__gte', /^must be an integer .*\(got "abc"\)$/],
    ['cf_load=1.', 'cf_load', /^must be a number in plain decimal, such as 1\.5 or -2e3 \(got "1\."\)$/],
    ['cf_load=Infinity', 'cf_load', /^must be a number /],
    ['cf_load=1e999', 'cf_load', /^must be a number /],
    ['cf_load__lte=NaN', 'cf_load__lte', /^must be a number /],
    ['cf_pci=yes', 'cf_pci', /^must be true or false \(got "yes"\)$/],
    ['cf_pci=TRUE', 'cf_pci', /^must be true or false/],
    ['cf_born=2025-02-30', 'cf_born', /^must be a date as YYYY-MM-DD \(got "2025-02-30"\)$/],
    ['cf_born=2025-2-3', 'cf_born', /^must be a date as YYYY-MM-DD/],
    ['cf_born__gte=yesterday', 'cf_born__gte', /^must be a date as YYYY-MM-DD/],
    ['cf_seen=2026-01-01T00:00:00', 'cf_seen', /^must be an RFC 3339 date and time with a time zone/],
    ['cf_seen__lte=2026-01-01T00:00:60Z', 'cf_seen__lte', /^must be an RFC 3339 date and time/],
    ['cf_tier=platinum', 'cf_tier', /^must be one of gold, silver, bronze \(got "platinum"\)$/],
    ['cf_tier=Gold', 'cf_tier', /^must be one of gold, silver, bronze/],
    ['cf_rack=a%00b', 'cf_rack', /^must be 1 to 4096 characters without control characters/],
    ['cf_rack=%1B%5B2J', 'cf_rack', /^must be 1 to 4096 characters without control characters/],
    ['cf_rack=', 'cf_rack', /^must not be empty: cf_rack__empty=true finds the servers without a value$/],
    ['cf_u=3,,4', 'cf_u', /^must not be empty: /],
    ['cf_docs=', 'cf_docs', /^must not be empty: /],
    [
      'cf_rack__gte=R1',
      'cf_rack__gte',
      /^is for integer, number, date and datetime fields, and rack is a string field/,
    ],
    ['cf_tier__lte=gold', 'cf_tier__lte', /and tier is an enum field: filter it with cf_tier=$/],
    ['cf_pci__gte=true', 'cf_pci__gte', /and pci is a boolean field/],
    ['cf_docs__gte=https://a', 'cf_docs__gte', /and docs is a url field/],
    ['cf_pci__empty=maybe', 'cf_pci__empty', /^must be true or false$/],
    // A bound or an emptiness given twice: the cause, not the type it was expected to have.
    ['cf_u__gte=1&cf_u__gte=2', 'cf_u__gte', /^was given 2 times: give it once$/],
    ['cf_u__empty=true&cf_u__empty=false', 'cf_u__empty', /^was given 2 times: give it once$/],
    ['cf_u__gte=', 'cf_u__gte', /^must be one bound: /],
    ['cf_nope=1', 'cf_nope', /^is not a defined custom field: GET \/api\/v1\/custom-fields lists them$/],
    ['cf_nope__gte=1', 'cf_nope__gte', /^is not a defined custom field: /],
    ['cf_rack__empty__gte=1', 'cf_rack__empty__gte', /^is not a defined custom field: /],
    ['cf_Rack=R1', 'cf_Rack', /^is not a known query parameter/],
    ['cf_=1', 'cf_', /^is not a known query parameter/],
    ['cf_u__between=1', 'cf_u__between', /^is not a defined custom field: /],
  ])('%s: 400 naming %s', async (query, field, message) => {
    const details = await refused(query);
    expect(details).toStrictEqual([{ field, message: expect.stringMatching(message) as unknown }]);
  });

  it('answers hostile values of every kind of parameter with a 200 or a 400, never a 5xx', async () => {
    const hostile = [
      ' ',
      '\u0000',
      'a\u0000b',
      '\u0007',
      '\u001b[2J',
      '\u202e',
      '\u00a0',
      '\ufeff1',
      '%',
      "'; drop table servers; --",
      '__proto__',
      'constructor',
      '1e309',
      '-0',
      '９',
      '١',
      '0x1p3',
      '9007199254740993',
      '2025-13-01',
      '9999-12-31T23:59:59-23:59',
      '0000-01-01T00:00:00+00:01',
      '💥'.repeat(1100),
      'x'.repeat(5000),
    ];
    const parameters = FIELDS.flatMap(({ name }) => [
      `cf_${name}`,
      `cf_${name}__gte`,
      `cf_${name}__lte`,
      `cf_${name}__empty`,
    ]);
    for (const parameter of parameters) {
      for (const value of hostile) {
        for (const url of [`/api/v1/servers?${parameter}=`, `/api/v1/reports/summary?${parameter}=`]) {
          const res = await t.app.inject({ url: `${url}${encodeURIComponent(value)}` });
          expect([200, 400], `${url}${JSON.stringify(value).slice(0, 40)}: ${res.body}`).toContain(res.statusCode);
        }
      }
    }
    for (const value of hostile) {
      const res = await t.app.inject({ url: `/api/v1/servers?sort=${encodeURIComponent(value)}` });
      expect(res.statusCode, JSON.stringify(value).slice(0, 40)).toBe(400);
    }
  });

  it('names every bad parameter of a request at once', async () => {
    const details = await refused('cf_u=x&cf_tier=platinum&cf_nope=1&status=gone&cf_rack=R1');
    expect(details?.map((d) => d.field).sort()).toStrictEqual(['cf_nope', 'cf_tier', 'cf_u', 'status']);
  });

  it('refuses them alike on the summary, the feeds and the exports', async () => {
    for (const url of [
      '/api/v1/reports/summary',
      '/api/v1/integrations/ansible',
      '/api/v1/integrations/prometheus',
      '/api/v1/servers?format=csv&',
    ]) {
      const [path, prefix = ''] = url.split('?');
      const details = await refused(`${prefix}cf_u=x&cf_nope=1`, path);
      expect(details?.map((d) => d.field).sort(), url).toStrictEqual(['cf_nope', 'cf_u']);
    }
  });

  it('refuses a field that was deleted', async () => {
    await defineFields(t.app, [{ name: 'gone', type: 'integer' }]);
    expect(await idsOf(t, 'cf_gone__empty=true')).toStrictEqual(servers.map((s) => s.id));
    const deleted = await t.app.inject({ method: 'DELETE', url: '/api/v1/custom-fields/gone', headers: AS_BOOTSTRAP });
    expect(deleted.statusCode).toBe(204);
    expect(await refused('cf_gone__empty=true')).toStrictEqual([
      { field: 'cf_gone__empty', message: expect.stringMatching(/^is not a defined custom field/) as unknown },
    ]);
  });
});

describe('the definitions of the custom fields', () => {
  it('are read once for a request that names a custom field or gives them all, and not at all otherwise', async () => {
    const reads = async (url: string) => {
      definitionReads = 0;
      const res = await t.app.inject({ url });
      expect(res.statusCode, res.body).toBe(200);
      return definitionReads;
    };
    expect(await reads('/api/v1/servers?status=up&sort=-hostname')).toBe(0);
    expect(await reads('/api/v1/reports/summary')).toBe(0);
    // The exports and the feeds give every field's column, variable or label: once, whatever the filters.
    expect(await reads('/api/v1/integrations/prometheus')).toBe(1);
    expect(await reads('/api/v1/integrations/ansible')).toBe(1);
    expect(await reads('/api/v1/servers?format=csv')).toBe(1);
    expect(await reads('/api/v1/servers?cf_u=3')).toBe(1);
    expect(await reads('/api/v1/servers?sort=-cf_u')).toBe(1);
    expect(await reads('/api/v1/servers?cf_u=3&cf_tier=gold&sort=cf_rack&format=ndjson')).toBe(1);
    expect(await reads('/api/v1/reports/summary?by=cf_tier&cf_u__gte=2')).toBe(1);
    expect(await reads('/api/v1/integrations/ansible?cf_pci=true')).toBe(1);
  });

  it('reserve the names a filter would read as an operator', async () => {
    for (const name of ['u__gte', 'u__lte', 'u__empty']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/custom-fields',
        headers: AS_BOOTSTRAP,
        payload: { name, type: 'integer' },
      });
      expect(res.statusCode, name).toBe(400);
      expect(res.json<ErrorResponse>().details).toStrictEqual([
        {
          field: 'name',
          message: expect.stringMatching(/^is reserved \(.*__gte.*\): choose another name$/) as unknown,
        },
      ]);
    }
    await defineFields(t.app, [{ name: 'u__gte_x', type: 'integer' }]);
    expect(await idsOf(t, 'cf_u__gte_x__empty=false')).toStrictEqual([]);
  });
});

describe('the custom fields filters on the other listing-like routes', () => {
  it('filter the exports', async () => {
    const expected = where('tier', (v) => v === 'bronze');
    expect(await exportedIds(t, 'cf_tier=bronze')).toStrictEqual(expected);
    const csv = await t.app.inject({ url: '/api/v1/servers?format=csv&cf_tier=bronze' });
    expect(csv.statusCode).toBe(200);
    // The header, then a record per server.
    expect(csv.body.trim().split('\r\n')).toHaveLength(expected.length + 1);
  });

  it('filter the Ansible inventory and the Prometheus targets', async () => {
    const expected = servers.filter((s) => s.values.pci === true);
    const ansible = await t.app.inject({ url: '/api/v1/integrations/ansible?cf_pci=true' });
    expect(ansible.statusCode).toBe(200);
    const hosts = Object.values(
      ansible.json<{ _meta: { hostvars: Record<string, { server_id: number }> } }>()._meta.hostvars,
    );
    expect(hosts.map((h) => h.server_id).sort((a, b) => a - b)).toStrictEqual(expected.map((s) => s.id));

    const prometheus = await t.app.inject({ url: '/api/v1/integrations/prometheus?cf_pci=true&port=9200' });
    expect(prometheus.statusCode).toBe(200);
    const targets = prometheus.json<{ labels: Record<string, string> }[]>();
    // Down servers stay (the default statuses are up, down and maintenance).
    expect(targets.map((g) => Number(g.labels.__meta_inventory_id))).toStrictEqual(expected.map((s) => s.id));
  });

  it('filter the summary', async () => {
    const res = await t.app.inject({ url: '/api/v1/reports/summary?cf_u__lte=4&status=up' });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ total: number }>().total).toBe(
      servers.filter((s) => s.status === 'up' && s.values.u !== undefined && Number(s.values.u) <= 4).length,
    );
  });
});
