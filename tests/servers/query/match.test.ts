import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDefinitions } from '../../../src/custom-fields/custom-fields.repository.js';
import type { Definition } from '../../../src/custom-fields/custom-fields.values.js';
import { type DatabaseLower, databaseLower } from '../../../src/servers/query/lower-case.js';
import { type MatchedServer, compileServerFilter, matches } from '../../../src/servers/query/match.js';
import type { ListedServer } from '../../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../../helpers/build-test-app.js';
import { walk } from '../../helpers/custom-fields.js';
import { dialect } from '../../helpers/database.js';
import {
  DATES,
  DATETIMES,
  LABELS,
  NOTES,
  RACKS,
  SOURCES,
  TAGS,
  URLS,
  seedVariedInventory,
} from '../../helpers/varied-inventory.js';

// What a compiled filter matches in memory against what the list selects in SQL, for the same query
// string, on a varied inventory: hand-picked cases where the rules differ, then generated combinations.

const COUNT = 300;

let t: TestApp;
let servers: ListedServer[];
let definitions: Definition[];
let lower: DatabaseLower;

beforeAll(async () => {
  // Many requests in a row, each with work in between: the event loop's guard stays out of it.
  t = await buildTestApp({ seed: false, env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
  await seedVariedInventory(t, COUNT);
  definitions = await listDefinitions(t.db);
  lower = await databaseLower(t.db);
  const res = await t.app.inject({ url: '/api/v1/servers?limit=1000', headers: AS_BOOTSTRAP });
  expect(res.statusCode, res.body).toBe(200);
  servers = res.json<{ servers: ListedServer[] }>().servers;
  expect(servers).toHaveLength(COUNT);
}, 60_000);
afterAll(async () => {
  await t.app.close();
});

/** The server as it is before a delete: without its observation. */
function unobserved(server: ListedServer): MatchedServer {
  const rest: MatchedServer = { ...server };
  delete rest.last_seen_at;
  return rest;
}

/**
 * Asserts that the ids the list walks to (every page) are those the filter matches, and that a server
 * without its observation matches as one never seen. Returns the ids.
 */
async function expectSameAnswer(query: string): Promise<number[]> {
  const listed = await walk(t, `limit=100&${query}`);
  const filter = compileServerFilter(query, definitions, { lower });
  const matched = servers.filter((server) => matches(filter, server)).map((server) => server.id);
  expect(matched, query).toEqual([...listed].sort((a, b) => a - b));
  const withoutObservation = servers.filter((server) => matches(filter, unobserved(server))).map((s) => s.id);
  const neverSeen = servers.filter((server) => matches(filter, { ...server, last_seen_at: null })).map((s) => s.id);
  expect(withoutObservation, `${query}, servers without last_seen_at`).toEqual(neverSeen);
  return matched;
}

const enc = encodeURIComponent;

/** Cases where the rules differ: case, NFC, nulls, stand-ins, LIKE's characters, lower()'s folds. */
const EDGE_CASES = [
  '',
  'status=up',
  'status=down,maintenance',
  'status=up&status=decommissioned',
  `environment=${enc('Café')}`,
  `environment=${enc('Cafe\u0301')}`,
  'environment=production,Production',
  `environment=${enc('ΣΟΦΙΑ')}&role=${enc('σοφια')}`,
  `location=${enc('İstanbul')}`,
  `os=debian-12`,
  `os=DEBIAN-12`,
  'hostname=WEB-3.EXAMPLE.COM,db-4',
  'ip=2001:0DB8:0:0:0:0:0:7',
  'ip=::1,0.0.0.0',
  'tag=pci',
  'tag=pci,edge',
  'tag=pci&tag=edge&tag=db',
  'managed_by=(none)',
  'managed_by=vcenter,(none)',
  'managed_by=a.b-c',
  'cidr=10.0.0.0/8',
  'cidr=0.0.0.0/0',
  'cidr=::/0',
  'cidr=::/127',
  'cidr=2001:db8::/32,192.168.0.0/24',
  'cidr=255.255.255.255/32',
  'cidr=ffff::/16',
  'cidr=fd00:3::/32&status=up',
  'q=web',
  'q=WEB',
  `q=${enc('50%_')}`,
  `q=${enc('%')}`,
  'q=_',
  `q=${enc('\\')}`,
  `q=${enc('ΟΔΟΣ')}`,
  `q=${enc('οδος')}`,
  `q=${enc('σ')}`,
  `q=${enc('ς')}`,
  `q=${enc('ασ.β')}`,
  `q=${enc('İ')}`,
  `q=${enc('i\u0307')}`,
  `q=${enc('ǆ')}`,
  `q=${enc('ß')}`,
  `q=${enc('ẞ')}`,
  `q=${enc('\u1c8a')}`,
  `q=${enc('\u1c89')}`,
  `q=${enc('k')}`,
  `q=${enc('ω')}`,
  `q=${enc('ÉQUIPE')}`,
  `q=${enc('e\u0301')}`,
  `q=${enc('😀')}`,
  'q=web+admin',
  'q=.example',
  'updated_since=2026-01-01T00:00:00Z',
  'updated_since=2026-01-01T01:00:00.001%2B01:00',
  'last_seen_before=2026-01-01T00:00:00.001Z',
  'last_seen_after=2026-01-01T00:00:00.001Z',
  'last_seen_before=2026-02-15T08:30:00Z&managed_by=vcenter',
  'cf_rack=R1',
  `cf_rack=${enc('R1,2')}`,
  'cf_rack=R1&cf_rack=r1',
  `cf_rack=${enc('\u{10000}')}`,
  'cf_rack__empty=true',
  'cf_u=3,10',
  'cf_u__gte=10',
  'cf_u__lte=0',
  'cf_u__gte=-1&cf_u__lte=1',
  'cf_u=9007199254740991,-9007199254740991',
  'cf_u=0&cf_u__empty=true',
  'cf_u__lte=5&cf_u__empty=true',
  'cf_u__gte=5&cf_u__empty=true',
  'cf_load__gte=0.3',
  'cf_load=0.30000000000000004',
  'cf_load=0.3',
  'cf_load=1e21,1E21',
  'cf_load=-0',
  'cf_load__lte=-0',
  'cf_load__gte=1e-7&cf_load__lte=1.5',
  'cf_pci=true',
  'cf_pci=false',
  'cf_pci=false&cf_pci__empty=true',
  'cf_pci__empty=true',
  'cf_pci__empty=false',
  'cf_tier=gold,silver',
  'cf_born__gte=2025-06-01',
  'cf_born__lte=2025-06-01&cf_born__empty=true',
  'cf_born=0001-01-01,9999-12-31',
  `cf_seen__gte=${enc('2026-01-02T00:00:00+01:00')}`,
  `cf_seen=${enc('2026-01-01T23:00:00Z')}`,
  'cf_seen__lte=2025-12-31T23:59:59.999Z',
  'cf_docs__empty=false',
  `cf_docs=${enc('https://wiki.example.com/r/1?a=1,2')}`,
  'status=up&tag=pci&cf_tier=gold&cf_u__gte=1',
];

describe('compileServerFilter and matches, against GET /api/v1/servers', () => {
  it('folds case as the database lower() does, in the collations the list lowers in', async () => {
    const texts = [...NOTES, ...LABELS, 'ΑΣ.Β ΟΔΟΣ', 'İ', 'ΣΑ', 'Σ', 'ABC-ÀÉ'];
    for (const text of texts) {
      const { rows } = await sql<{ folded: string; binary: string }>`
        select lower(${text}) as folded,
          lower(${dialect === 'postgres' ? sql`cast(${text} as text) collate "C"` : sql`${text}`}) as binary
      `.execute(t.db);
      expect(lower.text(text), text).toBe(rows[0]?.folded);
      expect(lower.binary(text), text).toBe(rows[0]?.binary);
    }
  });

  it.each(EDGE_CASES)('selects the servers the list selects: %s', async (query) => {
    await expectSameAnswer(query);
  });

  it('compares labels in NFC, as stored: a label stored in NFD is found by no filter', async () => {
    const nfc = await expectSameAnswer(`environment=${enc('Cafe\u0301')}`);
    expect(nfc.length).toBeGreaterThan(0);
    expect(nfc.every((id) => servers.find((s) => s.id === id)?.environment === 'Café')).toBe(true);
    expect(servers.some((s) => s.environment === 'Cafe\u0301')).toBe(true);
  });

  it("compares a missing custom value's stand-in where __empty=true meets a value", async () => {
    const ids = await expectSameAnswer('cf_u=0&cf_u__empty=true');
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => servers.find((s) => s.id === id)?.custom_fields.u === undefined)).toBe(true);
  });

  it("lowers a final sigma as the database's lower() does", async () => {
    // SQLite's lower() (JavaScript's) lowers a final Σ to ς, glibc's (PostgreSQL with a libc locale) to σ.
    const ids = await expectSameAnswer(`q=${enc('οδοσ')}`);
    const finalSigma = servers.filter((s) => s.notes?.includes('ΟΔΟΣ') === true && !s.notes.includes('ΟΔΟΣΑ'));
    expect(finalSigma.length).toBeGreaterThan(0);
    const contextual = lower.text('ΟΔΟΣ') === 'οδος';
    const found = finalSigma.filter((s) => ids.includes(s.id)).length;
    expect(found).toBe(contextual ? 0 : finalSigma.length);
  });

  it('matches generated combinations of filters as the list does', async () => {
    const sample = (values: readonly string[]) => values.filter((_, i) => i % 37 === 0);
    const parts: { name: string; values: readonly string[]; max: number; commas: boolean }[] = [
      { name: 'status', values: ['up', 'down', 'maintenance', 'decommissioned'], max: 2, commas: true },
      { name: 'environment', values: [...LABELS, 'nowhere'], max: 2, commas: true },
      { name: 'role', values: LABELS, max: 2, commas: true },
      { name: 'location', values: LABELS, max: 1, commas: true },
      { name: 'os', values: ['debian-12', 'Debian-12', 'ubuntu-24.04'], max: 2, commas: true },
      {
        name: 'hostname',
        values: [...sample(servers.map((s) => s.hostname)), 'WEB-3.EXAMPLE.COM'],
        max: 3,
        commas: true,
      },
      { name: 'ip', values: [...sample(servers.map((s) => s.ip)), '2001:DB8::2'], max: 3, commas: true },
      { name: 'tag', values: TAGS, max: 3, commas: true },
      { name: 'managed_by', values: [...SOURCES, '(none)'], max: 2, commas: true },
      {
        name: 'cidr',
        values: ['10.0.0.0/8', '10.1.0.0/16', '192.168.0.0/23', '0.0.0.0/0', '::/0', '2001:db8::/32', 'fd00::/8'],
        max: 2,
        commas: true,
      },
      {
        name: 'q',
        values: [
          'web',
          'DB',
          '50%',
          '_',
          '\\',
          'ΟΔΟΣ',
          'σ',
          'İ',
          'istanbul',
          'ǅ',
          'ß',
          '\u1c89',
          'K',
          'é',
          '😀',
          'a b',
        ],
        max: 1,
        commas: false,
      },
      ...['updated_since', 'last_seen_before', 'last_seen_after'].map((name) => ({
        name,
        values: [
          '2026-01-01T00:00:00Z',
          '2026-01-01T01:00:00.001+01:00',
          '2025-01-01T00:00:00Z',
          '2026-03-01T00:00:00Z',
        ],
        max: 1,
        commas: false,
      })),
      { name: 'cf_rack', values: RACKS, max: 2, commas: false },
      { name: 'cf_u', values: ['-5', '0', '3', '10', '9007199254740991', '7'], max: 2, commas: true },
      { name: 'cf_u__gte', values: ['-5', '0', '1', '10'], max: 1, commas: false },
      { name: 'cf_u__lte', values: ['-5', '0', '3', '48'], max: 1, commas: false },
      { name: 'cf_load', values: ['0', '-0', '0.3', '0.30000000000000004', '1e21', '-2.5'], max: 2, commas: true },
      { name: 'cf_load__gte', values: ['0', '0.3', '-1e21', '1e-7'], max: 1, commas: false },
      { name: 'cf_load__lte', values: ['0', '0.1', '1.5', '1e21'], max: 1, commas: false },
      { name: 'cf_tier', values: ['gold', 'silver', 'bronze'], max: 2, commas: true },
      { name: 'cf_pci', values: ['true', 'false'], max: 2, commas: true },
      { name: 'cf_born', values: [...DATES, '2025-06-03'], max: 2, commas: true },
      { name: 'cf_born__gte', values: DATES, max: 1, commas: false },
      { name: 'cf_seen', values: [...DATETIMES, '2026-01-02T01:00:00+01:00'], max: 2, commas: true },
      { name: 'cf_seen__lte', values: DATETIMES, max: 1, commas: false },
      { name: 'cf_docs', values: URLS, max: 2, commas: false },
      ...['rack', 'u', 'load', 'pci', 'born', 'seen', 'docs'].map((field) => ({
        name: `cf_${field}__empty`,
        values: ['true', 'false'],
        max: 1,
        commas: false,
      })),
    ];
    const partArbitrary = (part: (typeof parts)[number]) =>
      fc
        .tuple(fc.subarray([...part.values], { minLength: 1, maxLength: part.max }), fc.boolean())
        .map(([values, commas]) =>
          commas && part.commas
            ? `${part.name}=${values.map(enc).join(',')}`
            : values.map((value) => `${part.name}=${enc(value)}`).join('&'),
        );
    const queries = fc
      .subarray(parts, { minLength: 0, maxLength: 4 })
      .chain((chosen) => fc.tuple(...chosen.map(partArbitrary)))
      .map((chosen) => chosen.join('&'));

    // How many queries selected some servers but not all: the comparison says something.
    let telling = 0;
    const runs = 300;
    await fc.assert(
      fc.asyncProperty(queries, async (query) => {
        const ids = await expectSameAnswer(query);
        if (ids.length > 0 && ids.length < COUNT) {
          telling++;
        }
      }),
      { seed: 20260131, numRuns: runs },
    );
    expect(telling).toBeGreaterThan(runs / 3);
  }, 300_000);
});
