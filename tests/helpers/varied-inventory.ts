// A varied inventory, for the tests that compare what the list's SQL selects with what is matched in
// memory: every filter's field with values that tell the rules apart (case, NFC and NFD, text whose
// lower case differs between SQLite and PostgreSQL, LIKE's special characters, IPv4 and IPv6 at the
// ends of their ranges, nulls, custom values of every type with gaps and stand-in look-alikes). Rows
// are written by the repository, as a sync or an old version could have left them (a label in NFD).
import { sortedValues } from '../../src/custom-fields/custom-fields.values.js';
import type { CustomValue } from '../../src/custom-fields/custom-fields.schemas.js';
import { canonicalIp } from '../../src/servers/ip-address.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import type { TestApp } from './build-test-app.js';
import { defineFields } from './custom-fields.js';
import { serverRow } from './servers.js';

export const VARIED_FIELDS = [
  { name: 'rack', type: 'string' },
  { name: 'u', type: 'integer' },
  { name: 'load', type: 'number' },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver', 'bronze'] },
  { name: 'pci', type: 'boolean' },
  { name: 'born', type: 'date' },
  { name: 'seen', type: 'datetime' },
  { name: 'docs', type: 'url' },
] as const;

/** Labels: NFC and NFD of the same word, case pairs, scripts, a dotted capital I. */
export const LABELS = [
  'production',
  'Production',
  'staging',
  'Café',
  'Cafe\u0301',
  'ΣΟΦΙΑ',
  'σοφια',
  '生产',
  'İstanbul',
  'straße',
  '2024',
] as const;

/** Fragments of notes: case pairs and text that SQLite's and PostgreSQL's lower() fold differently. */
export const NOTES = [
  'Rack 4: 50%_full',
  'back\\slash',
  'ΟΔΟΣ',
  'ΟΔΟΣΑ',
  'οδος και',
  'ΑΣ.Β',
  'İSTANBUL',
  'i\u0307stanbul',
  'Ǆemal',
  'ǅemal',
  'ẞ straße',
  '\u1c89 \ua7cb',
  '\u1c8a',
  'Équipe Zürich',
  'E\u0301quipe',
  'K kelvin Ω',
  '😀 db',
  'tab\there',
  'line\nbreak',
  'web admin',
  'WEB',
] as const;

export const RACKS = ['R1', 'r1', 'R1,2', 'R10', 'R2', 'Z', 'Å-9', '\ue000', '\u{10000}', 'x y'] as const;
export const INTEGERS = [-5, 0, 1, 3, 10, 48, 9007199254740991, -9007199254740991] as const;
export const NUMBERS = [0, -2.5, 0.1, 0.30000000000000004, 0.3, 1.5, 1e21, 1e-7, -1e21] as const;
export const DATES = ['2025-01-01', '2025-06-01', '2025-06-02', '2025-12-31', '0001-01-01', '9999-12-31'] as const;
export const DATETIMES = [
  '2026-01-01T00:00:00.000Z',
  '2026-01-01T23:00:00.000Z',
  '2026-01-02T00:00:00.000Z',
  '2025-12-31T23:59:59.999Z',
] as const;
export const URLS = [
  'https://wiki.example.com/r/1?a=1,2',
  'http://x.example/',
  'https://wiki.example.com/r/2',
] as const;
export const TAGS = ['pci', 'edge', 'db', 'web', 'a.b', 'x_y', 'z-1', 'k8s'] as const;
export const SOURCES = ['vcenter', 'netbox', 'a.b-c'] as const;
/** Times of updated_at and last_seen_at. */
export const TIMES = [
  '2025-06-30T12:00:00.000Z',
  '2026-01-01T00:00:00.000Z',
  '2026-01-01T00:00:00.001Z',
  '2026-02-15T08:30:00.000Z',
  '2026-03-01T00:00:00.000Z',
] as const;

/** A deterministic sequence of numbers in [0, 1) (mulberry32): the same inventory on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th address: IPv4 and IPv6, some at the ends of their ranges; all distinct. */
function addressAt(i: number): string {
  const special = ['0.0.0.0', '255.255.255.255', '::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '10.0.0.1'];
  const fixed = special[i];
  if (fixed !== undefined) {
    return fixed;
  }
  const forms = [
    `10.${i % 3}.${i >> 8}.${i & 255}`,
    `192.168.${i >> 8}.${i & 255}`,
    `2001:db8::${i.toString(16)}`,
    `fd00:${(i % 5).toString(16)}::${i.toString(16)}`,
    `2001:db8:0:1:${i.toString(16)}:0:0:1`,
  ];
  const address = canonicalIp(forms[i % forms.length] ?? '');
  if (address === null) {
    throw new Error(`not an address: ${forms[i % forms.length]}`);
  }
  return address;
}

/** Defines VARIED_FIELDS, then writes `count` servers (ids 1 to count on an empty inventory). */
export async function seedVariedInventory(t: TestApp, count: number): Promise<void> {
  await defineFields(t.app, VARIED_FIELDS);
  const next = random(20260131);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const maybe = <T>(values: readonly T[], absent = 0.25): T | null => (next() < absent ? null : pick(values));
  const rows = Array.from({ length: count }, (_, i) => {
    const values: Record<string, CustomValue | null> = {
      rack: maybe(RACKS),
      u: maybe(INTEGERS, 0.3),
      load: maybe(NUMBERS),
      tier: maybe(['gold', 'silver', 'bronze']),
      pci: maybe([true, false], 0.3),
      born: maybe(DATES),
      seen: maybe(DATETIMES),
      docs: maybe(URLS, 0.5),
    };
    const notes = next() < 0.2 ? null : next() < 0.1 ? '' : [pick(NOTES), pick(NOTES)].join(' ');
    const row = serverRow({
      hostname: `${pick(['web', 'db', 'cache', 'edge', 'mail'])}-${i}${i % 3 === 0 ? '.example.com' : ''}`,
      ip: addressAt(i),
      status: pick(['up', 'up', 'down', 'maintenance', 'decommissioned']),
      environment: maybe(LABELS),
      role: maybe(LABELS, 0.4),
      location: maybe(LABELS, 0.5),
      os: maybe(['debian-12', 'Debian-12', 'ubuntu-24.04'], 0.3),
      tags: TAGS.filter(() => next() < 0.25),
      notes,
      managed_by: maybe(SOURCES, 0.5),
      custom_fields: sortedValues(
        Object.fromEntries(Object.entries(values).filter((entry): entry is [string, CustomValue] => entry[1] !== null)),
      ),
      updated_at: pick(TIMES),
    });
    return { ...row, last_seen_at: maybe(TIMES, 0.4) };
  });
  await insertServers(t.db, rows);
}
