import type { ErrorDetail } from '../errors.js';
import { canonicalIp } from './ip-address.js';
import { checkLabel } from './labels.js';
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
/** The fields that hold a label: checked and normalised by ./labels.ts. */
export const LABEL_FIELDS = ['environment', 'role', 'location', 'os'] as const;
export type ServerValues = Pick<Server, TrackedField>;

function ip(value: string, field: string, details: ErrorDetail[]): string {
  const canonical = canonicalIp(value);
  if (canonical === null) {
    // The schema's format check lets nothing else through; this guards the service's own callers.
    details.push({ field, message: 'must be an IPv4 or IPv6 address' });
    return value;
  }
  return canonical;
}

function label(value: string | null, field: string, details: ErrorDetail[]): string | null {
  if (value === null) {
    return null;
  }
  const checked = checkLabel(value);
  if (!checked.ok) {
    details.push({ field, message: checked.problem });
    return value;
  }
  return checked.value;
}

/**
 * A full server from POST's or PUT's body, in the form it is stored in: omitted fields take their
 * defaults. Every problem is added to `details`, named `${prefix}${field}` (`[3].ip` in a batch).
 */
export function valuesFromInput(input: ServerInput, details: ErrorDetail[], prefix = ''): ServerValues {
  return {
    hostname: input.hostname.toLowerCase(),
    ip: ip(input.ip, `${prefix}ip`, details),
    status: input.status ?? 'up',
    environment: label(input.environment ?? null, `${prefix}environment`, details),
    role: label(input.role ?? null, `${prefix}role`, details),
    location: label(input.location ?? null, `${prefix}location`, details),
    os: label(input.os ?? null, `${prefix}os`, details),
    tags: input.tags ?? [],
    notes: input.notes ?? null,
  };
}

/**
 * The values a JSON Merge Patch (RFC 7396) sets, in the form they are stored in: absent fields are
 * absent, null clears. Every problem is added to `details`.
 */
export function valuesFromPatch(patch: ServerPatch, details: ErrorDetail[]): Partial<ServerValues> {
  const values: Partial<ServerValues> = {};
  if (patch.hostname !== undefined) {
    values.hostname = patch.hostname.toLowerCase();
  }
  if (patch.ip !== undefined) {
    values.ip = ip(patch.ip, 'ip', details);
  }
  if (patch.status !== undefined) {
    values.status = patch.status;
  }
  for (const field of LABEL_FIELDS) {
    const value = patch[field];
    if (value !== undefined) {
      values[field] = label(value, field, details);
    }
  }
  if (patch.notes !== undefined) {
    values.notes = patch.notes;
  }
  if (patch.tags !== undefined) {
    values.tags = patch.tags ?? [];
  }
  return values;
}

/** A server with the values of a patch (valuesFromPatch) over its own. */
export function valuesWithPatch(current: ServerValues, patch: Partial<ServerValues>): ServerValues {
  return { ...current, ...patch };
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
