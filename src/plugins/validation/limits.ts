import type { Ajv, AnySchemaObject, ValidateFunction } from 'ajv';
import { type ErrorDetail, MAX_DETAILS } from '../../errors.js';
import { fieldPath } from './details.js';

// Checks of a JSON body that run before Ajv, each linear in the body: what Ajv with allErrors would
// spend time (or memory) in proportion to the faults on, and what JSON lets through but text cannot hold.

type Json = unknown;

export interface Found {
  details: ErrorDetail[];
  total: number;
}

/**
 * Unknown fields of an object that allows none, when there are more than MAX_DETAILS of them: one
 * error each from Ajv, and 70,000 of them took 380 ms to list. The first MAX_DETAILS are named.
 */
function tooManyUnknown(schema: AnySchemaObject, value: object, segments: string[]): Found | null {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (schema.additionalProperties !== false || properties === undefined) {
    return null;
  }
  const keys = Object.keys(value);
  if (keys.length <= MAX_DETAILS) {
    return null;
  }
  const unknown = keys.filter((key) => !Object.hasOwn(properties, key));
  if (unknown.length <= MAX_DETAILS) {
    return null;
  }
  return {
    details: unknown
      .slice(0, MAX_DETAILS)
      .map((key) => ({ field: fieldPath([...segments, key]), message: 'is not a known field' })),
    total: unknown.length,
  };
}

/**
 * Arrays longer than their schema's maxItems, and objects with masses of unknown fields, found before
 * Ajv runs: with allErrors, Ajv validates every item of an array that is already too long, so a 1 MiB
 * body of 350,000 `{}` gave 700,000 errors (160 MB). This walks the value along the schema
 * (properties, items, if/then/else, allOf) and stops at the first such value, without looking inside
 * it. Linear in the input.
 */
export function findOversized(ajv: Ajv, schema: AnySchemaObject, value: Json, segments: string[]): Found | null {
  if (Array.isArray(value)) {
    const max: unknown = schema.maxItems;
    if (typeof max === 'number' && value.length > max) {
      const custom: unknown = schema.errorMessage;
      const message =
        typeof custom === 'object' && custom !== null && typeof (custom as { maxItems?: unknown }).maxItems === 'string'
          ? (custom as { maxItems: string }).maxItems
          : `must have at most ${max} items`;
      return { details: [{ field: fieldPath(segments), message: `${message} (got ${value.length})` }], total: 1 };
    }
    const items: unknown = schema.items;
    if (typeof items === 'object' && items !== null && !Array.isArray(items)) {
      for (let i = 0; i < value.length; i++) {
        const found = findOversized(ajv, items, value[i], [...segments, String(i)]);
        if (found !== null) {
          return found;
        }
      }
    }
  } else if (typeof value === 'object' && value !== null) {
    const unknown = tooManyUnknown(schema, value, segments);
    if (unknown !== null) {
      return unknown;
    }
    const properties: unknown = schema.properties;
    if (typeof properties === 'object' && properties !== null) {
      for (const [name, sub] of Object.entries(properties as Record<string, AnySchemaObject>)) {
        if (Object.hasOwn(value, name)) {
          const found = findOversized(ajv, sub, (value as Record<string, Json>)[name], [...segments, name]);
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
    const found = findOversized(ajv, branch, value, segments);
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

/**
 * The first string in a body that is not well-formed Unicode (an unpaired surrogate such as
 * `"\ud800"`, which JSON's grammar lets through): SQLite would store its UTF-8 encoding as invalid
 * bytes, and PostgreSQL's driver would replace it. Keys are checked too.
 */
export function findIllFormed(value: Json, segments: string[]): string[] | null {
  if (typeof value === 'string') {
    return value.isWellFormed() ? null : segments;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormed(value[i], [...segments, String(i)]);
      if (found !== null) {
        return found;
      }
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) {
        return [...segments, key.toWellFormed()];
      }
      const found = findIllFormed(item, [...segments, key]);
      if (found !== null) {
        return found;
      }
    }
  }
  return null;
}
