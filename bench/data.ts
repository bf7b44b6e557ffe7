// The benchmark's inventory: deterministic, varied like a real one (environments, roles, locations,
// tags, IPv4 and IPv6), so that filters and sorts meet realistic selectivity.

import { defaultValues } from '../src/servers/server-fields.js';
import type { ServerFields } from '../src/servers/servers.repository.js';

/** What POST /api/v1/servers accepts for one server: every field a write can set. */
export type ServerInput = ServerFields;

const ENVIRONMENTS: [string | null, number][] = [
  ['production', 50],
  ['staging', 20],
  ['development', 15],
  ['qa', 5],
  [null, 10],
];
const ROLES = ['web', 'database', 'cache', 'queue', 'worker', 'loadbalancer', 'storage', 'monitoring', 'bastion'];
const LOCATIONS = ['fra1', 'ams3', 'lon1', 'nyc3', 'sfo2', 'sin1', 'syd1', null] as const;
const OSES = ['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rhel-9', 'alpine-3.23', 'windows-2022', null] as const;
const STATUSES: [string, number][] = [
  ['up', 80],
  ['maintenance', 10],
  ['down', 5],
  ['decommissioned', 5],
];
const TAGS = ['pci', 'edge', 'gpu', 'ssd', 'backup', 'critical', 'canary', 'legacy', 'k8s', 'dmz', 'ipv6-only', 'spot'];

/** The /24 that every inventory of 300 servers or more fills: the selective filter's prefix. */
export const FILTER_CIDR = '10.16.0.0/24';

/**
 * The custom fields of the benchmark inventory, defined through the API before it is seeded (each
 * then has its index): a string and an integer whose values spread evenly, so that one value of the
 * first, and two of the second, are each held by 1% of the servers at any size; and a delivery lot of
 * 200 servers (every fifth server of each thousand), held by as many servers at any size as the
 * fixed-field filter (FILTER_CIDR) matches.
 */
export const CUSTOM_FIELDS = [
  { name: 'rack', type: 'string', description: 'The rack, R0 to R99' },
  { name: 'u', type: 'integer', minimum: 1, maximum: 200, description: 'The height in the rack' },
  { name: 'lot', type: 'integer', minimum: 0, description: 'The delivery lot: 200 servers each' },
] as const;
/** The selective custom-field filters: 1% of the servers each. */
export const CUSTOM_FILTER = 'cf_rack=R42';
export const CUSTOM_RANGE = 'cf_u__gte=100&cf_u__lte=101';
/** The first lot: 200 servers at any size, as the fixed-field filter's. */
export const CUSTOM_LOT = 'cf_lot=0';

/** The i-th server's custom values: one server in twenty has no rack, four in five no lot. */
export function customValuesAt(i: number): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  if (i % 5 === 2) {
    values.lot = Math.floor(i / 1000);
  }
  if (i % 20 !== 7) {
    values.rack = `R${(i * 37) % 100}`;
  }
  values.u = 1 + ((i * 7919) % 200);
  return values;
}

/** A small, fast, seeded PRNG (mulberry32): the same inventory on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(rand: () => number, choices: [T, number][]): T {
  const total = choices.reduce((sum, [, w]) => sum + w, 0);
  let pick = rand() * total;
  for (const [value, weight] of choices) {
    pick -= weight;
    if (pick < 0) {
      return value;
    }
  }
  // Rounding can leave a sliver past the last weight: it belongs to the last choice.
  const last = choices[choices.length - 1];
  if (last === undefined) {
    throw new Error('no choices');
  }
  return last[0];
}

function pick<T>(rand: () => number, values: readonly T[]): T {
  return values[Math.floor(rand() * values.length)] as T;
}

/**
 * The i-th server (0-based) of the benchmark inventory. About 85% have an IPv4 address, allocated
 * in order from 10.16.0.1 (250 hosts per /24), and 15% an IPv6 one in fd00:16::/32.
 */
export function serverAt(i: number): ServerInput {
  const rand = random(i * 2654435761);
  const environment = weighted(rand, ENVIRONMENTS);
  const role = pick(rand, ROLES);
  const v6 = i % 7 === 3;
  let ip: string;
  if (v6) {
    const k = Math.floor(i / 7);
    ip = `fd00:16:${(k >>> 16).toString(16)}:${(k & 0xffff).toString(16)}::1`;
  } else {
    const k = i - Math.floor((i + 3) / 7);
    const block = Math.floor(k / 250);
    ip = `10.${16 + Math.floor(block / 256)}.${block % 256}.${(k % 250) + 1}`;
  }
  const tagCount = Math.floor(rand() * 4);
  const tags = [...new Set(Array.from({ length: tagCount }, () => pick(rand, TAGS)))].sort();
  const env = environment === null ? 'x' : environment.slice(0, 4);
  return {
    // Fields the benchmark leaves to their defaults, such as a field added after it was written.
    ...defaultValues(),
    hostname: `${role}-${env}-${i.toString(36).padStart(5, '0')}.bench.example.com`,
    ip,
    status: weighted(rand, STATUSES),
    environment,
    role,
    location: pick(rand, LOCATIONS),
    os: pick(rand, OSES),
    tags,
    notes:
      rand() < 0.2 ? `rack ${1 + Math.floor(rand() * 40)}, ticket OPS-${Math.floor(rand() * 90000) + 10000}` : null,
  };
}
