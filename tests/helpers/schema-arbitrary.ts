import fc from 'fast-check';
import { canonicalIp } from '../../src/servers/ip-address.js';

/** The subset of JSON Schema (2020-12, as TypeBox and OpenAPI 3.1 write it) that the API's inputs use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  not?: JsonSchema;
}

const FORMATS: Readonly<Record<string, fc.Arbitrary<string>>> = {
  'date-time': fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  ipv4: fc.ipV4(),
  'ip-address': fc.oneof(fc.ipV4(), fc.ipV6()).filter((address) => canonicalIp(address) !== null),
  ipv6: fc.ipV6(),
  email: fc.emailAddress(),
  uri: fc.webUrl(),
};

/** fast-check builds strings from a pattern, but not from lookarounds or Unicode classes. */
const BEYOND_FAST_CHECK = /\(\?[=!<]|\\p\{/;

/** Strings the schema accepts, without those its `not` pattern refuses (reserved host names). */
function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const excluded = schema.not?.pattern;
  if (excluded === undefined) {
    return anyStringArbitrary(schema);
  }
  const refused = new RegExp(excluded, 'u');
  return anyStringArbitrary(schema).filter((value) => !refused.test(value));
}

function anyStringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern, 'u');
    if (BEYOND_FAST_CHECK.test(schema.pattern)) {
      // Plain names, kept when the real pattern accepts them.
      return fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((value) => pattern.test(value));
    }
    return fc.stringMatching(pattern);
  }
  const format = schema.format === undefined ? undefined : FORMATS[schema.format];
  return format ?? fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 40 });
}

function ofType(schema: JsonSchema, type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items === undefined ? fc.jsonValue() : arbitraryFromSchema(schema.items), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) {
        record[name] = arbitraryFromSchema(property);
      }
      return fc.record(record, { requiredKeys: Object.keys(properties).filter((name) => required.has(name)) });
    }
    default:
      return fc.jsonValue();
  }
}

/** Values that a schema accepts (for the formats and keywords above), to build valid requests from. */
export function arbitraryFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) {
    return fc.constant(schema.const);
  }
  if (schema.enum !== undefined) {
    return fc.constantFrom(...schema.enum);
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) {
    return fc.oneof(...alternatives.map(arbitraryFromSchema));
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => ofType(schema, type)));
  }
  return schema.type === undefined ? fc.jsonValue() : ofType(schema, schema.type);
}
