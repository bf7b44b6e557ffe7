import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertServers } from '../../src/servers/servers.repository.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { serverRow } from '../helpers/servers.js';

// Labels are stored in NFC and refused when they hold invisible characters or mix scripts
// (src/servers/labels.ts); these tests go through the API, on whichever database the suite runs on.

interface ErrorBody {
  code: string;
  details?: { field: string; message: string }[];
}

const NFC_CAFE = 'caf\u00e9';
const NFD_CAFE = 'cafe\u0301';
const LOOK_ALIKE = 'pr\u043eduction'; // a Cyrillic о
const INVISIBLE = 'production\u3164'; // HANGUL FILLER
const MIXED = 'mixes scripts (Latin and Cyrillic): write it in one script';
const HIDDEN = 'contains an invisible character U+3164: remove it';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp({ seed: false });
});
afterEach(async () => {
  await t.app.close();
});

function write(method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) {
  return t.app.inject({ method, url, headers: AS_BOOTSTRAP, payload: payload as object });
}
const post = (payload: unknown) => write('POST', '/api/v1/servers', payload);
const get = (url: string) => t.app.inject({ method: 'GET', url, headers: AS_BOOTSTRAP });

async function created(payload: object): Promise<Server> {
  const res = await post(payload);
  expect(res.statusCode).toBe(201);
  return res.json<Server>();
}

/** Every row and every history entry, as stored: a refused write must leave both as they were. */
async function stored() {
  const servers = await t.db.selectFrom('servers').selectAll().orderBy('id').execute();
  const changes = await t.db.selectFrom('server_changes').selectAll().orderBy('seq').execute();
  return { servers, changes };
}

function expectRefused(res: LightMyRequestResponse, details: ErrorBody['details']) {
  expect(res.statusCode).toBe(400);
  expect(res.json<ErrorBody>()).toMatchObject({ code: 'VALIDATION_FAILED', details });
}

describe('POST /api/v1/servers', () => {
  it('stores every label in NFC, whatever form it was sent in', async () => {
    const server = await created({
      hostname: 'web-1',
      ip: '192.0.2.1',
      environment: NFD_CAFE,
      role: NFD_CAFE,
      location: 'A\u030Arhus', // A + COMBINING RING ABOVE
      os: '\u212Brhus', // ANGSTROM SIGN, canonically Å
    });
    expect(server).toMatchObject({ environment: NFC_CAFE, role: NFC_CAFE, location: '\u00C5rhus', os: '\u00C5rhus' });
    const [row] = (await stored()).servers;
    expect(row).toMatchObject({ environment: NFC_CAFE, role: NFC_CAFE, location: '\u00C5rhus', os: '\u00C5rhus' });
    expect((await get(`/api/v1/servers/${server.id}`)).json<Server>().environment).toBe(NFC_CAFE);
  });

  it('makes the NFC and NFD forms of a label one environment, not two', async () => {
    await created({ hostname: 'web-1', ip: '192.0.2.1', environment: NFC_CAFE });
    await created({ hostname: 'web-2', ip: '192.0.2.2', environment: NFD_CAFE });
    const summary = (await get('/api/v1/reports/summary')).json<{ by_environment: Record<string, number> }>();
    expect(summary.by_environment).toStrictEqual({ [NFC_CAFE]: 2 });
  });

  it('applies the 64-character limit to the NFC form', async () => {
    // 128 code points as sent (more than the schema's old limit of 64), 64 once composed.
    const server = await created({ hostname: 'web-1', ip: '192.0.2.1', environment: 'e\u0301'.repeat(64) });
    expect(server.environment).toBe('\u00e9'.repeat(64));
    // 64 code points as sent, 128 in NFC: U+0958 is excluded from composition.
    expectRefused(await post({ hostname: 'web-2', ip: '192.0.2.2', environment: '\u0958'.repeat(64) }), [
      { field: 'environment', message: 'is 128 characters long in NFC: shorten it to at most 64' },
    ]);
  });

  it.each([
    ['environment', LOOK_ALIKE, MIXED],
    ['role', INVISIBLE, HIDDEN],
    ['location', 'eu-west\uFE0F', 'contains an invisible character U+FE0F: remove it'],
    ['os', 'debian\u115F12', 'contains an invisible character U+115F: remove it'],
    ['os', 'debian\u034F12', 'contains an invisible character U+034F: remove it'],
    ['location', 'lab\u00A02', 'contains the white-space character U+00A0: use an ordinary space (U+0020)'],
    ['location', 'lab\u30002', 'contains the white-space character U+3000: use an ordinary space (U+0020)'],
    ['location', 'lab  2', 'contains two spaces in a row: use one'],
    ['environment', 'ΑΒΓ-abc', 'mixes scripts (Greek and Latin): write it in one script'],
    ['environment', '東京 abc\u0431', 'mixes scripts (Han and Cyrillic): write it in one script'],
  ])('refuses %s = %j with a 400 saying what to do, and writes nothing', async (field, value, message) => {
    const before = await stored();
    expectRefused(await post({ hostname: 'web-1', ip: '192.0.2.1', [field]: value }), [{ field, message }]);
    expect(await stored()).toStrictEqual(before);
  });

  // Format characters (Cf) among the invisible ones were already refused by the schema's pattern.
  it.each(['debian\u200B12', 'debian\u200D12', 'debian\u00AD12', 'debian\u206012'])(
    'refuses the format character in %j with a 400 naming the field',
    async (value) => {
      const res = await post({ hostname: 'web-1', ip: '192.0.2.1', os: value });
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorBody>().details?.map((d) => d.field)).toStrictEqual(['os']);
    },
  );

  it.each(['продакшн', '本番', '東京-1', 'Ελλάδα', 'lab 2', 'Zürich — Hall B', '東京 ひらがな dc1', '서울 dc1'])(
    'accepts %j, written in one script or in Latin with CJK',
    async (value) => {
      expect((await created({ hostname: 'web-1', ip: '192.0.2.1', environment: value })).environment).toBe(value);
    },
  );

  it('names every bad label of every server of a batch in one 400, and creates none of them', async () => {
    await created({ hostname: 'existing', ip: '192.0.2.99', environment: 'production' });
    const before = await stored();
    const batch = Array.from({ length: 6 }, (_, i) => ({
      hostname: `web-${i}`,
      ip: `192.0.2.${i + 1}`,
      environment: 'production',
    }));
    batch[3] = { ...batch[3], environment: LOOK_ALIKE, role: INVISIBLE } as (typeof batch)[number];
    batch[5] = { ...batch[5], environment: NFD_CAFE, location: 'lab  2' } as (typeof batch)[number];
    expectRefused(await post(batch), [
      { field: '[3].environment', message: MIXED },
      { field: '[3].role', message: HIDDEN },
      { field: '[5].location', message: 'contains two spaces in a row: use one' },
    ]);
    expect(await stored()).toStrictEqual(before);
  });

  it('stores the labels of a batch in NFC', async () => {
    const res = await post([
      { hostname: 'web-1', ip: '192.0.2.1', environment: NFD_CAFE },
      { hostname: 'web-2', ip: '192.0.2.2', environment: NFC_CAFE },
    ]);
    expect(res.statusCode).toBe(201);
    expect(res.json<Server[]>().map((s) => s.environment)).toStrictEqual([NFC_CAFE, NFC_CAFE]);
  });
});

describe('PUT /api/v1/servers/:id', () => {
  it('stores the labels in NFC', async () => {
    const { id } = await created({ hostname: 'web-1', ip: '192.0.2.1' });
    const res = await write('PUT', `/api/v1/servers/${id}`, { hostname: 'web-1', ip: '192.0.2.1', os: NFD_CAFE });
    expect(res.statusCode).toBe(200);
    expect(res.json<Server>().os).toBe(NFC_CAFE);
    expect((await stored()).servers[0]?.os).toBe(NFC_CAFE);
  });

  it('refuses a look-alike label with a 400 and leaves the server as it was', async () => {
    const { id } = await created({ hostname: 'web-1', ip: '192.0.2.1', environment: 'production' });
    const before = await stored();
    const res = await write('PUT', `/api/v1/servers/${id}`, {
      hostname: 'web-1',
      ip: '192.0.2.1',
      environment: LOOK_ALIKE,
      location: INVISIBLE,
    });
    expectRefused(res, [
      { field: 'environment', message: MIXED },
      { field: 'location', message: HIDDEN },
    ]);
    expect(await stored()).toStrictEqual(before);
  });

  it('refuses a bad label before looking the server up, as the schema does', async () => {
    const res = await write('PUT', '/api/v1/servers/999', { hostname: 'web-1', ip: '192.0.2.1', role: LOOK_ALIKE });
    expectRefused(res, [{ field: 'role', message: MIXED }]);
  });
});

describe('PATCH /api/v1/servers/:id', () => {
  it('stores a patched label in NFC and keeps the others', async () => {
    const { id } = await created({ hostname: 'web-1', ip: '192.0.2.1', environment: 'production', role: 'web' });
    const res = await write('PATCH', `/api/v1/servers/${id}`, { location: NFD_CAFE });
    expect(res.statusCode).toBe(200);
    expect(res.json<Server>()).toMatchObject({ environment: 'production', role: 'web', location: NFC_CAFE });
  });

  it('refuses an invisible character with a 400 and leaves the server as it was', async () => {
    const { id } = await created({ hostname: 'web-1', ip: '192.0.2.1', environment: 'production' });
    const before = await stored();
    const res = await write('PATCH', `/api/v1/servers/${id}`, { environment: INVISIBLE, status: 'down' });
    expectRefused(res, [{ field: 'environment', message: HIDDEN }]);
    expect(await stored()).toStrictEqual(before);
  });

  it('refuses a bad label before looking the server up, as the schema does', async () => {
    expectRefused(await write('PATCH', '/api/v1/servers/999', { os: LOOK_ALIKE }), [{ field: 'os', message: MIXED }]);
  });

  it('still clears a label with null', async () => {
    const { id } = await created({ hostname: 'web-1', ip: '192.0.2.1', environment: 'production' });
    const res = await write('PATCH', `/api/v1/servers/${id}`, { environment: null });
    expect(res.json<Server>().environment).toBeNull();
  });
});

describe('GET /api/v1/servers with label filters', () => {
  beforeEach(async () => {
    await created({ hostname: 'web-1', ip: '192.0.2.1', environment: NFC_CAFE, location: '\u00C5rhus' });
    await created({ hostname: 'web-2', ip: '192.0.2.2', environment: 'production' });
  });

  const hostnames = async (query: string) => {
    const res = await get(`/api/v1/servers${query}`);
    expect(res.statusCode).toBe(200);
    return res.json<{ servers: Server[] }>().servers.map((s) => s.hostname);
  };

  it('finds the NFC row by any form of its label', async () => {
    expect(await hostnames(`?environment=${encodeURIComponent(NFD_CAFE)}`)).toStrictEqual(['web-1']);
    expect(await hostnames(`?environment=${encodeURIComponent(NFC_CAFE)}`)).toStrictEqual(['web-1']);
    expect(await hostnames(`?location=${encodeURIComponent('A\u030Arhus')},nowhere`)).toStrictEqual(['web-1']);
    expect(await hostnames(`?os=${encodeURIComponent(NFD_CAFE)}`)).toStrictEqual([]);
  });

  it('finds a label stored before the rules by its exact value, to be corrected', async () => {
    await insertServers(t.db, [
      serverRow({ hostname: 'old-1', ip: '192.0.2.9', environment: LOOK_ALIKE, role: INVISIBLE }),
    ]);
    expect(
      await hostnames(`?environment=${encodeURIComponent(LOOK_ALIKE)}&role=${encodeURIComponent(INVISIBLE)}`),
    ).toStrictEqual(['old-1']);
    expect(await hostnames(`?environment=production`)).toStrictEqual(['web-2']);
  });

  it('refuses a filter value that no label can be, with a 400 naming it', async () => {
    const res = await get(
      `/api/v1/servers?environment=${encodeURIComponent('bell\u0007')}&role=${encodeURIComponent('-x')}`,
    );
    expectRefused(res, [
      { field: 'environment', message: 'must be 1 to 64 printable characters, without commas (got "bell\\u0007")' },
      { field: 'role', message: 'must be 1 to 64 printable characters, without commas (got "-x")' },
    ]);
  });

  it('normalises the filters of the summary too', async () => {
    const res = await get(`/api/v1/reports/summary?environment=${encodeURIComponent(NFD_CAFE)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ total: number }>().total).toBe(1);
  });
});
