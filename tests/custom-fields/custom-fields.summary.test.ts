// GET /api/v1/reports/summary?by=cf_<name>: counts by an enum or a boolean field, on the database the
// suite runs on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse } from '../../src/shared/schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { type FieldName, type Stored, seedCustomInventory } from '../helpers/custom-fields.js';

let t: TestApp;
let servers: Stored[];
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
  servers = await seedCustomInventory(t, 30);
});
afterAll(async () => {
  await t.app.close();
});

/** The counts by a field's value, as text, "(none)" for servers without one. */
function counts(of: readonly Stored[], field: FieldName, zeroes: string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(zeroes.map((value) => [value, 0]));
  for (const { values } of of) {
    const value = values[field];
    const key = value === undefined ? '(none)' : String(value);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

type SummaryBody = Record<string, unknown> & { total: number };

async function summary(query: string): Promise<SummaryBody> {
  const res = await t.app.inject({ url: `/api/v1/reports/summary?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<SummaryBody>();
}

describe('GET /api/v1/reports/summary?by=cf_<name>', () => {
  it('counts by an enum, every choice listed, servers without a value under "(none)"', async () => {
    const body = await summary('by=cf_tier');
    expect(body.by_cf_tier).toStrictEqual(counts(servers, 'tier', ['gold', 'silver', 'bronze']));
    expect((body.by_cf_tier as Record<string, number>)['(none)']).toBeGreaterThan(0);
    // The fixed counts are all there as before.
    expect(Object.keys(body)).toStrictEqual([
      'total',
      'by_status',
      'by_environment',
      'by_role',
      'by_location',
      'by_cf_tier',
    ]);
  });

  it('counts by a boolean as "true" and "false", and by several fields, repeated or comma-separated', async () => {
    const expected = {
      by_cf_pci: counts(servers, 'pci', ['true', 'false']),
      by_cf_tier: counts(servers, 'tier', ['gold', 'silver', 'bronze']),
    };
    expect(await summary('by=cf_pci,cf_tier')).toMatchObject(expected);
    expect(await summary('by=cf_pci&by=cf_tier&by=cf_pci')).toMatchObject(expected);
  });

  it('counts only the servers the other filters keep, fixed and custom', async () => {
    const kept = servers.filter((s) => s.status === 'up' && s.values.u !== undefined && Number(s.values.u) >= 5);
    const body = await summary('status=up&cf_u__gte=5&by=cf_tier&by=cf_pci');
    expect(body.total).toBe(kept.length);
    expect(body.by_cf_tier).toStrictEqual(counts(kept, 'tier', ['gold', 'silver', 'bronze']));
    expect(body.by_cf_pci).toStrictEqual(counts(kept, 'pci', ['true', 'false']));
  });

  it('lists every choice at 0 when no server is kept', async () => {
    const body = await summary('cf_u=47&by=cf_tier,cf_pci');
    expect(body.total).toBe(0);
    expect(body.by_cf_tier).toStrictEqual({ gold: 0, silver: 0, bronze: 0 });
    expect(body.by_cf_pci).toStrictEqual({ true: 0, false: 0 });
  });

  it.each([
    ['cf_rack', /^names cf_rack, a string field: the summary counts by enum and boolean fields only/],
    ['cf_u', /^names cf_u, an integer field: /],
    ['cf_load', /^names cf_load, a number field: /],
    ['cf_born', /^names cf_born, a date field: /],
    ['cf_seen', /^names cf_seen, a datetime field: /],
    ['cf_docs', /^names cf_docs, a url field: /],
    ['cf_nope', /^names "cf_nope", which is not a defined custom field: GET \/api\/v1\/custom-fields lists them$/],
    ['cf_', /^names "cf_", which is not a defined custom field/],
    ['tier', /^must name custom fields as cf_<name> \(got "tier"\)$/],
    ['status', /^must name custom fields as cf_<name> \(got "status"\)$/],
    ['', /^must name custom fields as cf_<name> \(got ""\)$/],
  ])('refuses by=%s, naming why', async (by, message) => {
    const res = await t.app.inject({ url: `/api/v1/reports/summary?by=${by}` });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorResponse>().details).toStrictEqual([
      { field: 'by', message: expect.stringMatching(message) as unknown },
    ]);
  });

  it('names a bad filter and a bad by at once', async () => {
    const res = await t.app.inject({ url: '/api/v1/reports/summary?by=cf_u&cf_tier=lead' });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json<ErrorResponse>()
        .details?.map((d) => d.field)
        .sort(),
    ).toStrictEqual(['by', 'cf_tier']);
  });

  it('lists a choice added since at 0', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/custom-fields/tier',
      headers: AS_BOOTSTRAP,
      payload: { choices: ['gold', 'silver', 'bronze', 'copper'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await summary('by=cf_tier')).by_cf_tier).toStrictEqual(
      counts(servers, 'tier', ['gold', 'silver', 'bronze', 'copper']),
    );
  });
});
