import type { ValueChecks } from '../../custom-fields/custom-fields.checks.js';
import type { CustomValue } from '../../custom-fields/custom-fields.schemas.js';
import { type Definition, mergeValues, sortedValues, valueFromText } from '../../custom-fields/custom-fields.values.js';
import type { ErrorDetail } from '../../errors.js';
import { CUSTOM_COLUMN_PREFIX } from './apply.parsers.js';
import type { ApplyEntry } from './apply.plan.js';

// An apply's custom values, worked out by the plan against the definitions its transaction reads.

/** The 400 of a CSV body's cf_ columns that name no custom field. */
export function undefinedColumns(definitions: readonly Definition[], columns: readonly string[]): ErrorDetail[] {
  const defined = new Set(definitions.map((definition) => definition.name));
  return columns
    .filter((name) => !defined.has(name))
    .map((name) => ({
      field: 'line 1',
      message:
        `names the column ${JSON.stringify(`${CUSTOM_COLUMN_PREFIX}${name}`)}, which is not a defined custom ` +
        'field: GET /api/v1/custom-fields lists them',
    }));
}

/**
 * The custom values of the servers of an apply, by the definitions its transaction reads: checked
 * as every write checks them (`checks`), with every problem added to `details` under the entry's
 * label. A CSV body gives text, read here by each field's type, and its problems name the column
 * (`line 7.cf_rack`), as those of the other fields do.
 */
export function customValues(checks: ValueChecks, customColumns: readonly string[] | undefined) {
  const { definitions } = checks;
  const types = new Map(definitions.map((definition) => [definition.name, definition.type]));
  const fromText = customColumns !== undefined;
  const defaults: Record<string, CustomValue> = {};
  for (const { name, spec } of definitions) {
    if (spec.default !== null) {
      defaults[name] = spec.default;
    }
  }
  // Without a required field that lacks a default, a new server that names no field takes the
  // defaults (valid: a definition's default is checked when it is set), the same for every one.
  const plainDefaults = definitions.every(({ spec }) => !spec.required || spec.default !== null)
    ? sortedValues(defaults)
    : null;

  const given = (custom: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
    if (!fromText) {
      return custom;
    }
    const read: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(custom)) {
      const type = types.get(name);
      read[name] = type === undefined || typeof value !== 'string' ? value : valueFromText(type, value);
    }
    return read;
  };

  const resolve = async (values: Readonly<Record<string, unknown>>, label: string, details: ErrorDetail[]) => {
    const before = details.length;
    const resolved = await checks.resolve(values, 'merged', `${label}.`, details);
    if (fromText) {
      const path = `${label}.custom_fields.`;
      for (let i = before; i < details.length; i += 1) {
        const detail = details[i];
        if (detail?.field.startsWith(path) === true) {
          details[i] = { ...detail, field: `${label}.${CUSTOM_COLUMN_PREFIX}${detail.field.slice(path.length)}` };
        }
      }
    }
    return resolved;
  };

  return {
    /** A new server's values: the defaults of the fields it does not name; null is no value. */
    async created(
      custom: ApplyEntry['custom'],
      label: string,
      details: ErrorDetail[],
    ): Promise<Record<string, CustomValue>> {
      if (custom === undefined && plainDefaults !== null) {
        return { ...plainDefaults };
      }
      if (custom === null) {
        return resolve({}, label, details);
      }
      // The item's own first: its problems are named in the order it gives its fields.
      const values = { ...given(custom ?? {}) };
      for (const [name, value] of Object.entries(defaults)) {
        if (!Object.hasOwn(values, name)) {
          values[name] = value;
        }
      }
      return resolve(values, label, details);
    },
    /** An existing server's values, the item's merged over its own (RFC 7396: null removes one). */
    async updated(
      current: Record<string, CustomValue>,
      custom: ApplyEntry['custom'],
      label: string,
      details: ErrorDetail[],
    ): Promise<Record<string, CustomValue>> {
      if (custom === undefined) {
        return current;
      }
      return resolve(mergeValues(current, custom === null ? null : given(custom)), label, details);
    },
  };
}
