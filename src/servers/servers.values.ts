import type { Change } from '../changes/changes.schemas.js';
import type { ErrorDetail } from '../errors.js';
import type { CustomValue } from '../custom-fields/custom-fields.schemas.js';
import { mergeValues } from '../custom-fields/custom-fields.values.js';
import { DECLARED, type Normalised, WRITABLE_FIELDS, type WritableField, defaultValue } from './server-fields.js';
import type { Server, ServerInput, ServerPatch } from './servers.schemas.js';

/** The fields a client writes, in the order the history lists them. */
export const TRACKED_FIELDS = WRITABLE_FIELDS;
export type TrackedField = WritableField;
export type ServerValues = Pick<Server, TrackedField>;

/**
 * A value its schema let through, in the form it is stored in (the field's `normalise`), or as it is
 * with a detail added if the field's own rules refuse it. null stays null.
 */
function normalised(name: TrackedField, value: unknown, path: string, details: ErrorDetail[]): unknown {
  const normalise = DECLARED[name].normalise as ((value: unknown) => Normalised<unknown>) | undefined;
  if (value === null || normalise === undefined) {
    return value;
  }
  const checked = normalise(value);
  if (!checked.ok) {
    details.push({ field: path, message: checked.problem });
    return value;
  }
  return checked.value;
}

/**
 * A full server from POST's or PUT's body, in the form it is stored in: omitted fields take their
 * defaults. Every problem is added to `details`, named `${prefix}${field}` (`[3].ip` in a batch).
 */
export function valuesFromInput(input: ServerInput, details: ErrorDetail[], prefix = ''): ServerValues {
  const values: Record<string, unknown> = {};
  for (const name of TRACKED_FIELDS) {
    const given: unknown = input[name];
    values[name] = given === undefined ? defaultValue(name) : normalised(name, given, `${prefix}${name}`, details);
  }
  return values as ServerValues;
}

/**
 * The values a JSON Merge Patch (RFC 7396) sets, in the form they are stored in: absent fields are
 * absent, null clears (a field that cannot be null goes back to its default). Every problem is added
 * to `details`, named `${prefix}${field}`.
 */
export function valuesFromPatch(patch: ServerPatch, details: ErrorDetail[], prefix = ''): Partial<ServerValues> {
  const values: Record<string, unknown> = {};
  for (const name of TRACKED_FIELDS) {
    const given: unknown = patch[name];
    if (name === 'custom_fields') {
      // Merged with the server's own values by valuesWithPatch; null removes them all.
      if (given !== undefined) {
        values[name] = given;
      }
    } else if (given !== undefined) {
      values[name] =
        given === null && DECLARED[name].nullable !== true
          ? defaultValue(name)
          : normalised(name, given, `${prefix}${name}`, details);
    }
  }
  return values;
}

/**
 * A server with the values of a patch (valuesFromPatch) over its own; its custom fields merged as a
 * JSON Merge Patch of their own (null removes one), to be checked against the definitions.
 */
export function valuesWithPatch(current: ServerValues, patch: Partial<ServerValues>): ServerValues {
  const next = { ...current, ...patch };
  if (patch.custom_fields !== undefined) {
    next.custom_fields = mergeValues(current.custom_fields, patch.custom_fields) as Record<string, CustomValue>;
  }
  return next;
}

export function valuesOf(server: Server): ServerValues {
  const values: Record<string, unknown> = {};
  for (const name of TRACKED_FIELDS) {
    values[name] = server[name];
  }
  return values as ServerValues;
}

/**
 * `{ field: { from, to } }` for every field that differs; custom fields one by one, as
 * `custom_fields.<name>` (null where there is no value), in name order.
 */
export function diff(before: ServerValues | null, after: ServerValues | null): Change['changes'] {
  const changes: Change['changes'] = {};
  for (const field of TRACKED_FIELDS) {
    if (field === 'custom_fields') {
      const from = before?.custom_fields ?? {};
      const to = after?.custom_fields ?? {};
      for (const name of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
        const was = Object.hasOwn(from, name) ? from[name] : undefined;
        const is = Object.hasOwn(to, name) ? to[name] : undefined;
        if (was !== is) {
          changes[`custom_fields.${name}`] = { from: was ?? null, to: is ?? null };
        }
      }
      continue;
    }
    const from = before === null ? null : before[field];
    const to = after === null ? null : after[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      changes[field] = { from, to };
    }
  }
  return changes;
}
