import { appError } from '../errors.js';
import { canonicalIp } from './ip-address.js';
import type { Change } from '../changes/changes.schemas.js';
import type { Server, ServerInput, ServerPatch } from './servers.schemas.js';

/** The fields a client writes, in the order the history lists them. */
export const TRACKED_FIELDS = [
  'hostname',
  'ip',
  'status',
  'environment',
  'role',
  'location',
  'os',
  'tags',
  'notes',
] as const;
export type TrackedField = (typeof TRACKED_FIELDS)[number];
export type ServerValues = Pick<Server, TrackedField>;

function ip(value: string, field: string): string {
  const canonical = canonicalIp(value);
  if (canonical === null) {
    // The schema's format check lets nothing else through; this guards the service's own callers.
    throw appError('VALIDATION_FAILED', [{ field, message: 'must be an IPv4 or IPv6 address' }]);
  }
  return canonical;
}

/** A full server from POST's or PUT's body: omitted fields take their defaults. */
export function valuesFromInput(input: ServerInput, field = 'ip'): ServerValues {
  return {
    hostname: input.hostname.toLowerCase(),
    ip: ip(input.ip, field),
    status: input.status ?? 'up',
    environment: input.environment ?? null,
    role: input.role ?? null,
    location: input.location ?? null,
    os: input.os ?? null,
    tags: input.tags ?? [],
    notes: input.notes ?? null,
  };
}

/** A server with a JSON Merge Patch (RFC 7396) applied: absent fields stay, null clears. */
export function valuesWithPatch(current: ServerValues, patch: ServerPatch): ServerValues {
  const next = { ...current };
  if (patch.hostname !== undefined) {
    next.hostname = patch.hostname.toLowerCase();
  }
  if (patch.ip !== undefined) {
    next.ip = ip(patch.ip, 'ip');
  }
  if (patch.status !== undefined) {
    next.status = patch.status;
  }
  for (const field of ['environment', 'role', 'location', 'os', 'notes'] as const) {
    const value = patch[field];
    if (value !== undefined) {
      next[field] = value;
    }
  }
  if (patch.tags !== undefined) {
    next.tags = patch.tags ?? [];
  }
  return next;
}

export function valuesOf(server: Server): ServerValues {
  return {
    hostname: server.hostname,
    ip: server.ip,
    status: server.status,
    environment: server.environment,
    role: server.role,
    location: server.location,
    os: server.os,
    tags: server.tags,
    notes: server.notes,
  };
}

/** `{ field: { from, to } }` for every field that differs. */
export function diff(before: ServerValues | null, after: ServerValues | null): Change['changes'] {
  const changes: Change['changes'] = {};
  for (const field of TRACKED_FIELDS) {
    const from = before === null ? null : before[field];
    const to = after === null ? null : after[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      changes[field] = { from, to };
    }
  }
  return changes;
}
