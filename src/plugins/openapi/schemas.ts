import type { OpenAPIV3_1 } from 'openapi-types';

// The schemas of the OpenAPI document as the tools that read it expect them: only the keywords of
// OpenAPI 3.1's Schema Object, one named component per titled schema, unions as unions.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = Record<string, Json>;

/**
 * The keywords of a Schema Object in OpenAPI 3.1: JSON Schema 2020-12 (core, applicator, unevaluated,
 * validation, format, content, meta-data) and OpenAPI's own. `x-` extensions are kept too.
 */
const SCHEMA_KEYWORDS = new Set([
  ...['$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', '$vocabulary', '$comment', '$defs'],
  ...['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'items'],
  ...['contains', 'properties', 'patternProperties', 'additionalProperties', 'propertyNames'],
  ...['unevaluatedItems', 'unevaluatedProperties'],
  ...['type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum'],
  ...['maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains'],
  ...['maxProperties', 'minProperties', 'required', 'dependentRequired'],
  ...['format', 'contentEncoding', 'contentMediaType', 'contentSchema'],
  ...['title', 'description', 'default', 'deprecated', 'readOnly', 'writeOnly', 'examples'],
  ...['discriminator', 'xml', 'externalDocs', 'example'],
]);

/** Keywords whose value is one schema. */
const ONE_SCHEMA = [
  'not',
  'if',
  'then',
  'else',
  'items',
  'contains',
  'additionalProperties',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
] as const;
/** Keywords whose value is an array of schemas. */
const SCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'] as const;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites `schema` and every schema below it, children first, with `visit`, which returns the
 * schema to put in its place (or the same one, changed or not).
 */
function rewriteSchema(schema: Schema, visit: (schema: Schema) => Schema): Schema {
  return visit(rewriteChildren(schema, visit));
}

/** Rewrites every schema below `schema` (not `schema` itself) with `visit`, as rewriteSchema does. */
function rewriteChildren(schema: Schema, visit: (schema: Schema) => Schema): Schema {
  for (const keyword of ONE_SCHEMA) {
    const sub = schema[keyword];
    if (isSchema(sub)) {
      schema[keyword] = rewriteSchema(sub, visit);
    }
  }
  for (const keyword of SCHEMA_ARRAYS) {
    const subs = schema[keyword];
    if (Array.isArray(subs)) {
      schema[keyword] = subs.map((sub) => (isSchema(sub) ? rewriteSchema(sub, visit) : sub));
    }
  }
  for (const keyword of SCHEMA_MAPS) {
    const map = schema[keyword];
    if (isSchema(map)) {
      for (const [name, sub] of Object.entries(map)) {
        if (isSchema(sub)) {
          map[name] = rewriteSchema(sub, visit);
        }
      }
    }
  }
  return schema;
}

/**
 * Rewrites, in place, the schemas of a document: those of parameters, bodies, responses and headers,
 * and of `components.schemas` (told apart by `component`).
 */
function forEachSchemaSlot(
  document: OpenAPIV3_1.Document,
  rewrite: (schema: Schema, component?: 'component') => Schema,
): void {
  const inHolder = (holder: { schema?: unknown } | undefined) => {
    if (holder !== undefined && isSchema(holder.schema)) {
      holder.schema = rewrite(holder.schema);
    }
  };
  const inContent = (content: Record<string, OpenAPIV3_1.MediaTypeObject> | undefined) => {
    Object.values(content ?? {}).forEach(inHolder);
  };
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as (OpenAPIV3_1.OperationObject | undefined)[]) {
      if (typeof operation !== 'object' || !('responses' in operation)) {
        continue;
      }
      for (const parameter of (operation.parameters ?? []) as OpenAPIV3_1.ParameterObject[]) {
        inHolder(parameter);
        inContent(parameter.content);
      }
      inContent((operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content);
      for (const response of Object.values(operation.responses ?? {}) as OpenAPIV3_1.ResponseObject[]) {
        inContent(response.content);
        Object.values((response.headers ?? {}) as Record<string, OpenAPIV3_1.HeaderObject>).forEach(inHolder);
      }
    }
  }
  const components = (document.components?.schemas ?? {}) as Record<string, Schema>;
  for (const [name, schema] of Object.entries(components)) {
    components[name] = rewrite(schema, 'component');
  }
}

/**
 * Removes the keywords a Schema Object does not have: those only the validator reads
 * (`errorMessage`, see ../validation.ts), and any other. The route schemas keep them.
 */
export function stripValidatorKeywords(document: OpenAPIV3_1.Document): void {
  forEachSchemaSlot(document, (schema) =>
    rewriteSchema(schema, (node) =>
      Object.fromEntries(
        Object.entries(node).filter(([keyword]) => SCHEMA_KEYWORDS.has(keyword) || keyword.startsWith('x-')),
      ),
    ),
  );
}

/**
 * Publishes a switch on the type of a value, `if: {type: T}, then: A, else: B` where A only admits
 * T and B never does, as the union it is: `oneOf: [A, B]`. The validator keeps the switch, which
 * reports only the errors of the branch that applies (an anyOf reports both); code generators and
 * documentation read a union (openapi-typescript makes `unknown` of an if/then/else).
 */
export function publishTypeSwitches(document: OpenAPIV3_1.Document): void {
  forEachSchemaSlot(document, (schema) =>
    rewriteSchema(schema, (node) => {
      const { if: test, then: yes, else: no } = node;
      if (!isSchema(test) || !isSchema(yes) || !isSchema(no)) {
        return node;
      }
      const type = test.type;
      const onlyType = Object.keys(test).length === 1 && typeof type === 'string';
      const otherTypes = no.type === undefined ? [] : Array.isArray(no.type) ? no.type : [no.type];
      if (!onlyType || yes.type !== type || otherTypes.length === 0 || otherTypes.includes(type)) {
        return node;
      }
      const rest = Object.entries(node).filter(([keyword]) => !['if', 'then', 'else'].includes(keyword));
      return { ...Object.fromEntries(rest), oneOf: [yes, no] };
    }),
  );
}

/** A component's name must match this (OpenAPI 3.1, Components Object). */
const COMPONENT_NAME = /^[a-zA-Z0-9._-]+$/;

/** JSON with the keys of every object sorted: equal for equal schemas, whatever their key order. */
function canonical(value: Json): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (isSchema(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Moves every schema with a `title` into `components.schemas` under that title, and puts a `$ref`
 * to it in each place it was, so that tools name it (openapi-typescript's `components["schemas"]
 * ["Server"]`). Two different schemas with the same title are a mistake in the route schemas: it
 * throws rather than publish one of them under the other's name.
 */
export function liftTitledSchemas(document: OpenAPIV3_1.Document): void {
  const lifted = new Map<string, { schema: Schema; text: string }>();
  const lift = (node: Schema): Schema => {
    const title = node.title;
    if (typeof title !== 'string' || node.$ref !== undefined) {
      return node;
    }
    if (!COMPONENT_NAME.test(title)) {
      throw new Error(`the schema titled ${JSON.stringify(title)} cannot be a component: use letters, digits, . _ -`);
    }
    const text = canonical(node);
    const known = lifted.get(title);
    if (known === undefined) {
      lifted.set(title, { schema: node, text });
    } else if (known.text !== text) {
      throw new Error(
        `two different schemas are titled "${title}": give one of them another title\n${known.text}\n${text}`,
      );
    }
    return { $ref: `#/components/schemas/${title}` };
  };
  const existing = (document.components?.schemas ?? {}) as Record<string, Schema>;
  // A component is a target already: only the schemas inside it are lifted.
  forEachSchemaSlot(document, (schema, component) =>
    component === undefined ? rewriteSchema(schema, lift) : rewriteChildren(schema, lift),
  );
  const schemas: Record<string, Schema> = { ...existing };
  for (const title of [...lifted.keys()].sort()) {
    if (Object.hasOwn(existing, title)) {
      throw new Error(`the schema titled "${title}" clashes with a component of that name`);
    }
    schemas[title] = lifted.get(title)?.schema ?? {};
  }
  document.components = { ...document.components, schemas };
}
