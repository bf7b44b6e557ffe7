import type { OpenAPIV3_1 } from 'openapi-types';
import type { DocumentExtension } from '../plugins/openapi.js';
import { type CustomValue, MAX_STRING_LENGTH, MAX_URL_LENGTH } from './custom-fields.schemas.js';
import { type Definition, checkValue } from './custom-fields.values.js';

// The custom fields in the OpenAPI document: `custom_fields` of the servers' schemas, described field
// by field as they are defined now. Only the published document changes: the routes validate and
// serialise with the generic schemas of custom-fields.schemas.ts, and the values are checked against
// the definitions by custom-fields.values.ts, which this follows.

type Schema = Record<string, unknown>;

/**
 * How each schema of the document that holds a server's custom values takes them: as read (every
 * value valid, the required ones there), or in a body where null removes a value (a POST or PUT, or a
 * merge: PATCH and an apply's item, where `custom_fields` itself may be null).
 */
export const CUSTOM_FIELDS_SCHEMAS = {
  Server: 'read',
  ListedServer: 'read',
  ServerInput: 'input',
  ServerPatch: 'merge',
  ApplyItem: 'merge',
} as const satisfies Record<string, 'read' | 'input' | 'merge'>;
type Use = (typeof CUSTOM_FIELDS_SCHEMAS)[keyof typeof CUSTOM_FIELDS_SCHEMAS];

/** Whether a definition's RE2 pattern means the same as an ECMAScript one, as far as can be told: it compiles as one. */
function publishablePattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** The JSON schema of a definition's values (not null). */
export function valueSchema({ type, spec }: Pick<Definition, 'type' | 'spec'>): Schema {
  const notes: string[] = spec.description === null ? [] : [spec.description];
  const bounds = { ...(spec.minimum === null ? {} : { minimum: spec.minimum }) };
  Object.assign(bounds, spec.maximum === null ? {} : { maximum: spec.maximum });
  let schema: Schema;
  switch (type) {
    case 'string': {
      schema = { type: 'string', minLength: 1, maxLength: spec.max_length ?? MAX_STRING_LENGTH };
      if (spec.pattern !== null) {
        if (publishablePattern(spec.pattern)) {
          schema.pattern = spec.pattern;
        } else {
          // RE2's own syntax (`(?i)`, `\z` ...): said in words rather than published for another engine.
          notes.push(`Contains a match of the RE2 pattern ${spec.pattern}`);
        }
      }
      break;
    }
    case 'integer':
    case 'number':
      schema = { type, ...bounds };
      break;
    case 'boolean':
      schema = { type: 'boolean' };
      break;
    case 'date':
      schema = { type: 'string', format: 'date' };
      break;
    case 'datetime':
      notes.push('Stored and answered in UTC');
      schema = { type: 'string', format: 'date-time' };
      break;
    case 'url':
      schema = { type: 'string', format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', maxLength: MAX_URL_LENGTH };
      break;
    case 'enum':
      schema = { type: 'string', enum: [...(spec.choices ?? [])] };
      break;
  }
  return notes.length === 0 ? schema : { ...schema, description: notes.join('. ') };
}

/** A value's schema where null may stand for it (no value). */
function orNull(schema: Schema): Schema {
  const { type, enum: choices } = schema;
  return {
    ...schema,
    type: [type, 'null'],
    ...(Array.isArray(choices) ? { enum: [...(choices as unknown[]), null] } : {}),
  };
}

/** The schema of `custom_fields` for the definitions, as `use` takes it; its description is kept. */
export function customFieldsSchema(definitions: readonly Definition[], use: Use, description: unknown): Schema {
  const properties: Record<string, Schema> = {};
  for (const definition of definitions) {
    const schema = valueSchema(definition);
    if (use === 'read') {
      properties[definition.name] = schema;
    } else {
      const withDefault =
        use === 'input' && definition.spec.default !== null ? { default: definition.spec.default } : {};
      properties[definition.name] = { ...orNull(schema), ...withDefault };
    }
  }
  const required = use === 'read' ? definitions.filter(({ spec }) => spec.required).map(({ name }) => name) : [];
  return {
    type: use === 'merge' ? ['object', 'null'] : 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
    ...(typeof description === 'string' ? { description } : {}),
  };
}

/** A value a definition takes, for an example: its default, or one made up that its check takes. */
function exampleValue(definition: Definition): CustomValue | undefined {
  const { type, spec } = definition;
  if (spec.default !== null) {
    return spec.default;
  }
  const within = (value: number) => Math.min(Math.max(value, spec.minimum ?? value), spec.maximum ?? value);
  const candidates: Record<Definition['type'], CustomValue> = {
    string: 'example',
    integer: within(0),
    number: within(0),
    boolean: true,
    date: '2026-01-31',
    datetime: '2026-01-31T12:00:00.000Z',
    url: 'https://wiki.example.org/servers',
    enum: spec.choices?.[0] ?? '',
  };
  const checked = checkValue(definition, candidates[type]);
  return checked.ok ? checked.value : undefined;
}

/**
 * The custom values of a server in an example: those it would have if written without any, the
 * defaults, and a value for each required field without one (none for a pattern no made-up value
 * matches), so that the examples stay valid against the schemas beside them.
 */
function exampleValues(definitions: readonly Definition[]): Record<string, CustomValue> {
  const values: Record<string, CustomValue> = {};
  for (const definition of definitions) {
    if (definition.spec.default !== null || definition.spec.required) {
      const value = exampleValue(definition);
      if (value !== undefined) {
        values[definition.name] = value;
      }
    }
  }
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Replaces, in place, the custom values of every server in an example value. */
function replaceExampleValues(value: unknown, values: Readonly<Record<string, CustomValue>>): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      replaceExampleValues(item, values);
    }
    return;
  }
  if (typeof value !== 'object' || value === null) {
    return;
  }
  const object = value as Record<string, unknown>;
  for (const [key, inner] of Object.entries(object)) {
    if (key === 'custom_fields' && typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      object[key] = { ...values };
    } else {
      replaceExampleValues(inner, values);
    }
  }
}

/**
 * The document with the servers' `custom_fields` described by these definitions, and the servers of
 * the response examples given the values they would hold. `base` is not changed.
 */
export function withCustomFields(
  base: Readonly<OpenAPIV3_1.Document>,
  definitions: readonly Definition[],
): OpenAPIV3_1.Document {
  const document = structuredClone(base) as OpenAPIV3_1.Document;
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const [name, use] of Object.entries(CUSTOM_FIELDS_SCHEMAS)) {
    const properties = schemas[name]?.properties as Record<string, Schema> | undefined;
    const current = properties?.custom_fields;
    if (properties !== undefined && current !== undefined) {
      properties.custom_fields = customFieldsSchema(definitions, use, current.description);
    }
  }
  const values = exampleValues(definitions);
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as (OpenAPIV3_1.OperationObject | undefined)[]) {
      if (typeof operation !== 'object' || !('responses' in operation)) {
        continue;
      }
      for (const response of Object.values(operation.responses ?? {}) as OpenAPIV3_1.ResponseObject[]) {
        for (const media of Object.values(response.content ?? {})) {
          for (const example of Object.values(media.examples ?? {}) as OpenAPIV3_1.ExampleObject[]) {
            replaceExampleValues(example.value, values);
          }
        }
      }
    }
  }
  return document;
}

/** The document's custom fields, from the definitions as they are now; re-rendered when they change. */
export function customFieldsDocument(source: {
  definitions(): Promise<Definition[]>;
  definitionsVersion(): Promise<number>;
}): DocumentExtension {
  return {
    version: async () => String(await source.definitionsVersion()),
    extend: async (base) => withCustomFields(base, await source.definitions()),
  };
}
