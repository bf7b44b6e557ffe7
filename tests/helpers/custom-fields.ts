// Custom fields for tests. An inventory with a field of every type, some servers without a value for
// each, for the tests of the filters, sort and summary: the definitions go through the API (which
// creates each field's index), the servers through the bulk create. And a definition of every type
// with every rule it takes, for the tests of the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { CustomValue } from '../../src/custom-fields/custom-fields.schemas.js';
import { AS_BOOTSTRAP, type TestApp } from './build-test-app.js';

export const FIELDS = [
  { name: 'rack', type: 'string' },
  { name: 'u', type: 'integer', minimum: 1, maximum: 48 },
  { name: 'load', type: 'number' },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver', 'bronze'] },
  { name: 'pci', type: 'boolean' },
  { name: 'born', type: 'date' },
  { name: 'seen', type: 'datetime' },
  { name: 'docs', type: 'url' },
] as const;
export type FieldName = (typeof FIELDS)[number]['name'];

/** Text values whose binary order is not the alphabet's, one holding a comma. */
const RACKS = ['R1', 'R1,2', 'r1', 'R10', 'R2', 'Z', 'Å-9', 'R1'];
const pad = (n: number) => String(n).padStart(2, '0');

/** The i-th server's values (0-based): each field left out on its own rhythm, with ties. */
export function valuesAt(i: number): Partial<Record<FieldName, CustomValue>> {
  const values: Partial<Record<FieldName, CustomValue>> = {};
  if (i % 4 !== 0) {
    values.rack = RACKS[(i * 3) % RACKS.length] ?? 'R1';
  }
  if (i % 3 !== 0) {
    values.u = ((i * 7) % 10) + 1;
  }
  if (i % 6 !== 5) {
    values.load = ((i * 13) % 17) / 4 - 1;
  }
  if (i % 5 !== 2) {
    values.tier = (['gold', 'silver', 'bronze'] as const)[i % 3] ?? 'gold';
  }
  if (i % 7 !== 0) {
    values.pci = i % 2 === 0;
  }
  if (i % 4 !== 3) {
    values.born = `2025-${pad(1 + (i % 12))}-${pad(1 + ((i * 5) % 28))}`;
  }
  if (i % 5 !== 4) {
    values.seen = new Date(Date.UTC(2026, 0, 1 + (i % 3), i % 24, (i * 7) % 60)).toISOString();
  }
  if (i % 3 !== 1) {
    values.docs = `https://wiki.example.com/r/${i % 4}?a=1,2`;
  }
  return values;
}

export interface Stored {
  id: number;
  status: 'up' | 'down';
  values: Partial<Record<FieldName, CustomValue>>;
}

/** Defines every field, then creates `count` servers (ids 1 to count on an empty inventory). */
export async function seedCustomInventory(t: TestApp, count: number): Promise<Stored[]> {
  await defineFields(t.app, FIELDS);
  const servers = Array.from({ length: count }, (_, i) => ({
    hostname: `cf-${pad(i)}`,
    ip: `10.9.${i >> 8}.${i & 255}`,
    status: i % 4 === 1 ? ('down' as const) : ('up' as const),
    custom_fields: valuesAt(i),
  }));
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/servers', headers: AS_BOOTSTRAP, payload: servers });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: number }[]>().map(({ id }, i) => ({
    id,
    status: servers[i]?.status ?? 'up',
    values: servers[i]?.custom_fields ?? {},
  }));
}

/** A value as SQL compares it: booleans as 1 and 0. */
const comparable = (value: CustomValue) => (typeof value === 'boolean' ? Number(value) : value);

function compare(a: CustomValue, b: CustomValue): number {
  const x = comparable(a);
  const y = comparable(b);
  // Strings by UTF-16 code unit, which is the databases' binary order for these (no astral characters).
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The ids of `servers` in the order of `sort=[-]cf_<field>`: those with a value by the value (ties by
 * id), then those without one by id, whichever the direction.
 */
export function expectedOrder(servers: readonly Stored[], field: FieldName, descending: boolean): number[] {
  const present: { id: number; value: CustomValue }[] = [];
  const absent: number[] = [];
  for (const { id, values } of servers) {
    const value = values[field];
    if (value === undefined) {
      absent.push(id);
    } else {
      present.push({ id, value });
    }
  }
  present.sort((a, b) => (descending ? -1 : 1) * compare(a.value, b.value) || a.id - b.id);
  return [...present.map((s) => s.id), ...absent.sort((a, b) => a - b)];
}

interface Page {
  servers: { id: number }[];
  next: string | null;
}

/** Every id of a listing, following `next` page after page. */
export async function walk(t: TestApp, query: string): Promise<number[]> {
  const ids: number[] = [];
  let url = `/api/v1/servers?${query}`;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await t.app.inject({ url });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    const page = res.json<Page>();
    ids.push(...page.servers.map((s) => s.id));
    if (page.next === null) {
      return ids;
    }
    url = `/api/v1/servers?${query}&cursor=${encodeURIComponent(page.next)}`;
  }
  throw new Error('the walk does not end');
}

/** The ids a list request answers with (one page of up to 1000). */
export async function idsOf(t: TestApp, query: string): Promise<number[]> {
  const res = await t.app.inject({ url: `/api/v1/servers?limit=1000&${query}` });
  expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
  return res.json<Page>().servers.map((s) => s.id);
}

/** The ids an NDJSON export answers with, in its order (the whole listing, unpaged). */
export async function exportedIds(t: TestApp, query: string): Promise<number[]> {
  const res = await t.app.inject({ url: `/api/v1/servers?format=ndjson&${query}` });
  expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
  return res.body
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: number }).id);
}

/**
 * A definition of every type, with every rule a type takes: required ones with a default (so that
 * an inventory with servers takes them), a pattern ECMAScript reads and one only RE2 does.
 */
export const EVERY_TYPE = [
  {
    name: 'rack',
    type: 'string',
    description: 'The rack, as the floor plan names it',
    required: true,
    default: 'R1',
    pattern: '^R[0-9]+$',
    max_length: 8,
  },
  { name: 'asset_tag', type: 'string', pattern: '(?i)^inv-' },
  { name: 'u', type: 'integer', minimum: 1, maximum: 48 },
  { name: 'load', type: 'number', minimum: 0 },
  { name: 'monitored', type: 'boolean', required: true, default: true },
  { name: 'bought', type: 'date' },
  { name: 'audited', type: 'datetime' },
  { name: 'runbook', type: 'url' },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver'], default: 'silver' },
] as const;

/** Defines these custom fields (POST /api/v1/custom-fields), in order, expecting each to be created. */
export async function defineFields(app: FastifyInstance, definitions: readonly object[]): Promise<void> {
  for (const definition of definitions) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/custom-fields',
      headers: AS_BOOTSTRAP,
      payload: definition,
    });
    expect(res.statusCode, `${JSON.stringify(definition)}: ${res.body}`).toBe(201);
  }
}
