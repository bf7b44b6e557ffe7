// sort=[-]cf_<name>: every type, both directions, servers without a value last, ties by id, page by
// page with cursors and offsets, on the database the suite runs on; and cursors that are not the
// listing's refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/servers/query/cursor.js';
import type { Listing } from '../../src/servers/query/params.js';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import {
  FIELDS,
  type Stored,
  expectedOrder,
  exportedIds,
  idsOf,
  seedCustomInventory,
  walk,
} from '../helpers/custom-fields.js';

let t: TestApp;
let servers: Stored[];
beforeAll(async () => {
  // Walks send hundreds of requests in a row: overload protection would answer some of them 503.
  t = await buildTestApp({ seed: false, env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
  servers = await seedCustomInventory(t, 40);
});
afterAll(async () => {
  await t.app.close();
});

describe('GET /api/v1/servers?sort=cf_<name>', () => {
  it.each(FIELDS.flatMap(({ name }) => [[name, false] as const, [name, true] as const]))(
    'sort=%s (descending: %s) walks every server by cursor in order, without a value last',
    async (field, descending) => {
      const expected = expectedOrder(servers, field, descending);
      const sort = `${descending ? '-' : ''}cf_${field}`;
      // Pages of 3 end inside runs of equal values and at the edge of the servers without one.
      expect(await walk(t, `sort=${sort}&limit=3`)).toStrictEqual(expected);
      expect(await idsOf(t, `sort=${sort}`)).toStrictEqual(expected);
    },
  );

  it('pages by offset alike', async () => {
    const expected = expectedOrder(servers, 'u', true);
    const ids: number[] = [];
    for (let offset = 0; offset < servers.length + 4; offset += 4) {
      const res = await t.app.inject({ url: `/api/v1/servers?sort=-cf_u&limit=4&offset=${offset}` });
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...res.json<{ servers: { id: number }[] }>().servers.map((s) => s.id));
    }
    expect(ids).toStrictEqual(expected);
  });

  it('walks a filtered listing: fixed and custom filters with a custom sort', async () => {
    const up = servers.filter((s) => s.status === 'up');
    const upNotGold = up.filter((s) => s.values.tier === 'silver' || s.values.tier === 'bronze');
    for (const descending of [false, true]) {
      const sort = `${descending ? '-' : ''}cf_born`;
      expect(await walk(t, `status=up&sort=${sort}&limit=5`)).toStrictEqual(expectedOrder(up, 'born', descending));
      expect(await walk(t, `status=up&cf_tier=silver,bronze&sort=${sort}&limit=2`)).toStrictEqual(
        expectedOrder(upNotGold, 'born', descending),
      );
      expect(await walk(t, `cf_born__empty=true&sort=${sort}&limit=2`)).toStrictEqual(
        servers.filter((s) => s.values.born === undefined).map((s) => s.id),
      );
    }
    expect(upNotGold.length).toBeGreaterThan(5);
  });

  it('sorts by a custom field after another key, and by another key after it', async () => {
    // status: down before up; then u descending, without a value last; then id.
    const byStatus = (status: string) =>
      expectedOrder(
        servers.filter((s) => s.status === status),
        'u',
        true,
      );
    expect(await walk(t, 'sort=status,-cf_u&limit=4')).toStrictEqual([...byStatus('down'), ...byStatus('up')]);

    // tier ascending, then host name descending within each tier (ties of the custom key).
    const tiers = ['bronze', 'gold', 'silver'];
    const expected = [
      ...tiers.flatMap((tier) =>
        servers
          .filter((s) => s.values.tier === tier)
          .sort((a, b) => b.id - a.id)
          .map((s) => s.id),
      ),
      ...servers
        .filter((s) => s.values.tier === undefined)
        .sort((a, b) => b.id - a.id)
        .map((s) => s.id),
    ];
    // Host names cf-00, cf-01 ... sort as the ids do, and so do the addresses 10.9.0.0, 10.9.0.1 ...
    expect(await walk(t, 'sort=cf_tier,-hostname&limit=3')).toStrictEqual(expected);
    // The address orders by its key, which the page's two parts select for the union's order.
    expect(await walk(t, 'sort=cf_tier,-ip&limit=3')).toStrictEqual(expected);
    expect(await exportedIds(t, 'sort=cf_tier,-ip')).toStrictEqual(expected);
  });

  it('exports in the custom sort, whole', async () => {
    expect(await exportedIds(t, 'sort=-cf_seen')).toStrictEqual(expectedOrder(servers, 'seen', true));
  });

  it('refuses an unknown field, and a field named twice', async () => {
    for (const [sort, message] of [
      ['cf_nope', /^names "cf_nope", which is not a defined custom field: GET \/api\/v1\/custom-fields lists them$/],
      ['-cf_u,cf_u', /^names cf_u twice: name each key once$/],
      ['cf_', /^names "cf_", which is not a defined custom field/],
      ['CF_u', /^must name keys among .* or cf_<name> of a custom field \(got "CF_u"\)$/],
    ] as const) {
      const res = await t.app.inject({ url: `/api/v1/servers?sort=${sort}` });
      expect(res.statusCode, sort).toBe(400);
      expect(res.json<ErrorResponse>().details, sort).toStrictEqual([
        { field: 'sort', message: expect.stringMatching(message) as unknown },
      ]);
    }
  });
});

describe('cursors of a custom sort', () => {
  const url = (query: string, cursor: string) => `/api/v1/servers?${query}&cursor=${encodeURIComponent(cursor)}`;
  const listing = (custom: Listing['filters']['custom'], field: 'u' | 'rack' | 'pci' | 'seen', type: string): Listing =>
    ({
      filters: custom === undefined ? {} : { custom },
      sort: [
        { custom: { name: field, type }, descending: true },
        { field: 'id', descending: false },
      ],
      limit: 3,
      offset: 0,
    }) as Listing;

  it('carry [missing, value] and are taken back', async () => {
    const expected = expectedOrder(servers, 'u', true);
    // After the last server with a value of 8 or more, then from inside the servers without one.
    const cursor = encodeCursor(listing(undefined, 'u', 'integer'), [[0, 8], servers.length]);
    const after = await t.app.inject({ url: url('sort=-cf_u&limit=100', cursor) });
    expect(after.statusCode, after.body).toBe(200);
    const withEight = servers.filter((s) => Number(s.values.u ?? 0) >= 8).length;
    expect(after.json<{ servers: { id: number }[] }>().servers.map((s) => s.id)).toStrictEqual(
      expected.slice(withEight),
    );
    const absentCursor = encodeCursor(listing(undefined, 'u', 'integer'), [[1, 0], 10]);
    const absent = await t.app.inject({ url: url('sort=-cf_u&limit=100', absentCursor) });
    expect(absent.json<{ servers: { id: number }[] }>().servers.map((s) => s.id)).toStrictEqual(
      servers.filter((s) => s.values.u === undefined && s.id > 10).map((s) => s.id),
    );
  });

  it.each([
    ['u', 'integer', [0, 1.5]],
    ['u', 'integer', [0, '8']],
    ['u', 'integer', [1, 8]],
    ['u', 'integer', [2, 0]],
    ['u', 'integer', [0]],
    ['u', 'integer', 8],
    ['u', 'integer', [0, 8, 1]],
    ['u', 'integer', [0, 1e300]],
    ['rack', 'string', [0, '']],
    ['rack', 'string', [0, 'a\u0000b']],
    ['rack', 'string', [0, '\ud800']],
    ['rack', 'string', [0, 5]],
    ['rack', 'string', [1, 'R1']],
    ['rack', 'string', [0, 'x'.repeat(4097)]],
    ['pci', 'boolean', [0, true]],
    ['pci', 'boolean', [0, 2]],
    ['seen', 'datetime', [0, '2026-01-01T00:00:00Z']],
    ['seen', 'datetime', [0, 'yesterday']],
  ] as const)('refuse %s (%s) with %j as its value', async (field, type, value) => {
    const cursor = encodeCursor(listing(undefined, field, type), [value, 1]);
    const res = await t.app.inject({ url: url(`sort=-cf_${field}&limit=3`, cursor) });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorResponse>().details).toStrictEqual([
      { field: 'cursor', message: 'is not a cursor of this listing (same filters and sort)' },
    ]);
  });

  it('take a long string value back', async () => {
    const cursor = encodeCursor(listing(undefined, 'rack', 'string'), [[0, 'é'.repeat(2000)], 1]);
    const res = await t.app.inject({ url: url('sort=-cf_rack&limit=3', cursor) });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('belong to their filters: another value of a custom filter refuses them', async () => {
    const first = await t.app.inject({ url: '/api/v1/servers?cf_u__gte=2&sort=-cf_u&limit=2' });
    const { next } = first.json<{ next: string }>();
    const same = await t.app.inject({ url: url('cf_u__gte=2&sort=-cf_u&limit=2', next) });
    expect(same.statusCode).toBe(200);
    for (const other of ['cf_u__gte=3&sort=-cf_u', 'cf_u__gte=2&sort=cf_u', 'cf_u__gte=2&cf_pci=true&sort=-cf_u']) {
      const res = await t.app.inject({ url: url(`${other}&limit=2`, next) });
      expect(res.statusCode, other).toBe(400);
    }
  });
});
