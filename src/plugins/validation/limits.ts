import type { Ajv, AnySchemaObject, ValidateFunction } from 'ajv';
import { type ErrorDetail, MAX_DETAILS } from '../../errors.js';
import { fieldPath, schemaMessage, unknownPropertyMessage } from './details.js';

// Checks of a JSON body that run before Ajv, each linear in the body: what Ajv with allErrors would
// spend time (or memory) in proportion to the faults on, and what JSON lets through but text cannot hold.

type Json = unknown;

export interface Found {
  details: ErrorDetail[];
  total: number;
}

/** The unknown fields met so far in a body: the first MAX_DETAILS named, all of them counted. */
interface Unknown {
  details: ErrorDetail[];
  total: number;
}

/**
 * Counts the fields of an object that its schema does not allow. Ajv gives one error for each: 70,000
 * in one object took 380 ms to list, and 100 in each of 1000 servers 200 to 300 ms.
 */
function countUnknown(schema: AnySchemaObject, value: object, segments: string[], unknown: Unknown): void {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (schema.additionalProperties !== false || properties === undefined) {
    return;
  }
  let message: string | undefined;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(properties, key)) {
      unknown.total += 1;
      if (unknown.details.length < MAX_DETAILS) {
        message ??= unknownPropertyMessage(schema, 'body');
        unknown.details.push({ field: fieldPath([...segments, key]), message });
      }
    }
  }
}

/**
 * What must be refused before Ajv runs, found in one walk of the value along the schema (properties,
 * items, if/then/else, allOf), linear in the input: an array longer than its maxItems, without
 * looking inside it (with allErrors, Ajv validates every item of an array that is already too long:
 * a 1 MiB body of 350,000 `{}` gave 700,000 errors and 160 MB), or more than MAX_DETAILS unknown
 * fields in the whole body.
 */
export function findOversized(ajv: Ajv, schema: AnySchemaObject, value: Json): Found | null {
  const unknown: Unknown = { details: [], total: 0 };
  const found = walk(ajv, schema, value, [], unknown);
  if (found !== null) {
    return found;
  }
  return unknown.total > MAX_DETAILS ? unknown : null;
}

function walk(ajv: Ajv, schema: AnySchemaObject, value: Json, segments: string[], unknown: Unknown): Found | null {
  if (Array.isArray(value)) {
    const max: unknown = schema.maxItems;
    if (typeof max === 'number' && value.length > max) {
      const message = schemaMessage(schema, 'maxItems')?.message ?? `must have at most ${max} items`;
      return { details: [{ field: fieldPath(segments), message: `${message} (got ${value.length})` }], total: 1 };
    }
    const items: unknown = schema.items;
    if (typeof items === 'object' && items !== null && !Array.isArray(items)) {
      for (let i = 0; i < value.length; i++) {
        const found = walk(ajv, items, value[i], [...segments, String(i)], unknown);
        if (found !== null) {
          return found;
        }
      }
    }
  } else if (typeof value === 'object' && value !== null) {
    countUnknown(schema, value, segments, unknown);
    const properties: unknown = schema.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [name, sub] of Object.entries(properties as Record<string, AnySchemaObject>)) {
        if (Object.hasOwn(value, name)) {
          const found = walk(ajv, sub, (value as Record<string, Json>)[name], [...segments, name], unknown);
          if (found !== null) {
            return found;
          }
        }
      }
    }
  }
  const branches: AnySchemaObject[] = [];
  if (Array.isArray(schema.allOf)) {
    branches.push(...(schema.allOf as AnySchemaObject[]));
  }
  if (typeof schema.if === 'object' && schema.if !== null) {
    const branch: unknown = compiledIf(ajv, schema.if as AnySchemaObject)(value) ? schema.then : schema.else;
    if (typeof branch === 'object' && branch !== null) {
      branches.push(branch);
    }
  }
  for (const branch of branches) {
    const found = walk(ajv, branch, value, segments, unknown);
    if (found !== null) {
      return found;
    }
  }
  return null;
}

const ifValidators = new WeakMap<AnySchemaObject, ValidateFunction>();
function compiledIf(ajv: Ajv, schema: AnySchemaObject): ValidateFunction {
  let validate = ifValidators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    ifValidators.set(schema, validate);
  }
  return validate;
}

/** A place in a body, linked to its parent: paths are only spelled out for the one reported. */
interface Place {
  value: Json;
  key: string;
  parent: Place | null;
}

function pathOf(place: Place): string[] {
  const segments: string[] = [];
  for (let at = place; at.parent !== null; at = at.parent) {
    segments.unshift(at.key);
  }
  return segments;
}

/**
 * The first string in a body that is not well-formed Unicode (an unpaired surrogate such as
 * `"\ud800"`, which JSON's grammar lets through): SQLite would store its UTF-8 encoding as invalid
 * bytes, and PostgreSQL's driver would replace it. Keys are checked too, and unknown fields: their
 * names end up in error details. A loop, not recursion: a body nested 5,000 deep overflowed the stack.
 */
export function findIllFormed(body: Json): string[] | null {
  const stack: Place[] = [{ value: body, key: '', parent: null }];
  for (let place = stack.pop(); place !== undefined; place = stack.pop()) {
    const { value } = place;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) {
        return pathOf(place);
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], key: String(i), parent: place });
      }
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      const illFormed = entries.find(([key]) => !key.isWellFormed());
      if (illFormed !== undefined) {
        return [...pathOf(place), illFormed[0].toWellFormed()];
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, Json];
        stack.push({ value: item, key, parent: place });
      }
    }
  }
  return null;
}
