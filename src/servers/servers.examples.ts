import type { BodyExamples } from '../plugins/openapi/operations.js';
import type { Server, ServerInput, ServerPatch } from './servers.schemas.js';

// Examples of the bodies of the servers routes, published in the OpenAPI document: "Try it out" in
// /docs pre-fills the first of each, and each succeeds on a fresh inventory (the seeded servers are
// web-prod-01 at 10.0.0.1, id 1, and db-prod-01 at 10.0.0.2), also after the README's quick start, whose
// server takes 10.0.0.3: the examples use documentation addresses (RFC 5737, RFC 3849). A test validates them all.

const CREATED_AT = '2026-03-02T09:30:00.000Z';
const UPDATED_AT = '2026-03-02T14:05:00.000Z';

const NEW_SERVER = {
  hostname: 'web-prod-02',
  ip: '192.0.2.3',
  status: 'up',
  environment: 'production',
  role: 'web',
  location: 'eu-west-1a',
  os: 'debian-12',
  tags: ['frontend'],
  notes: 'Behind the public load balancer',
} satisfies ServerInput;

const NEW_SERVERS = [
  { hostname: 'web-prod-03', ip: '192.0.2.4', environment: 'production', role: 'web', tags: ['frontend'] },
  { hostname: 'cache-prod-01', ip: '2001:db8::10', environment: 'production', role: 'cache' },
] satisfies ServerInput[];

/** Every field a server has, from what was written: the defaults of the omitted ones. */
function stored(id: number, input: ServerInput, updatedAt = CREATED_AT): Server {
  return {
    id,
    hostname: input.hostname,
    ip: input.ip,
    status: input.status ?? 'up',
    environment: input.environment ?? null,
    role: input.role ?? null,
    location: input.location ?? null,
    os: input.os ?? null,
    tags: input.tags ?? [],
    notes: input.notes ?? null,
    managed_by: input.managed_by ?? null,
    custom_fields: {},
    created_at: CREATED_AT,
    updated_at: updatedAt,
  };
}

export const createExamples = {
  one: { summary: 'One server', value: NEW_SERVER },
  several: { summary: 'Several servers, created together (all or nothing)', value: NEW_SERVERS },
} satisfies BodyExamples;

export const createdExamples = {
  one: { summary: 'The server, created', value: stored(3, NEW_SERVER) },
  several: { summary: 'The servers, created, in the order sent', value: NEW_SERVERS.map((s, i) => stored(4 + i, s)) },
} satisfies BodyExamples;

/** A whole server: what PUT writes to server 1 (omitted fields go back to their defaults). */
const REPLACEMENT = {
  hostname: 'web-prod-01',
  ip: '10.0.0.1',
  status: 'maintenance',
  environment: 'production',
  role: 'web',
  tags: ['frontend', 'pci'],
  notes: 'Kernel upgrade until 18:00 UTC',
} satisfies ServerInput;

export const replaceExamples = {
  replace: { summary: 'Server 1, in maintenance', value: REPLACEMENT },
} satisfies BodyExamples;

export const replacedExamples = {
  replaced: { summary: 'The server as stored', value: stored(1, REPLACEMENT, UPDATED_AT) },
} satisfies BodyExamples;

const PATCH = { status: 'maintenance', notes: 'Kernel upgrade until 18:00 UTC' } satisfies ServerPatch;

export const patchExamples = {
  maintenance: { summary: 'Put a server in maintenance, with a note', value: PATCH },
  clear: {
    summary: 'Clear the location (null clears an optional field)',
    value: { location: null } satisfies ServerPatch,
  },
} satisfies BodyExamples;

export const patchedExamples = {
  patched: {
    summary: 'Server 1 after the patch',
    value: {
      ...stored(1, { hostname: 'web-prod-01', ip: '10.0.0.1', environment: 'production', role: 'web' }, UPDATED_AT),
      ...PATCH,
    },
  },
} satisfies BodyExamples;
