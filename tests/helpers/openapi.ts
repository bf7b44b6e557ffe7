import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { canonicalIp } from '../../src/servers/ip-address.js';

// ajv-formats is CommonJS with its function on `default` for ESM callers.
const addFormats = addFormatsModule.default;

/** Ajv as the app sets it up for the document's keywords and formats (no errorMessage: it is not published). */
export function documentAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('ip-address', { type: 'string', validate: (value: string) => canonicalIp(value) !== null });
  return ajv;
}

/** The document the app serves. */
export async function fetchDocument(app: FastifyInstance): Promise<OpenAPIV3_1.Document> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  if (res.statusCode !== 200) {
    throw new Error(`the document answered ${res.statusCode}: ${res.body}`);
  }
  return res.json<OpenAPIV3_1.Document>();
}

/** What a local `$ref` (`#/components/schemas/Server`) points at, or undefined. */
export function resolvePointer(document: object, ref: string): unknown {
  if (!ref.startsWith('#/')) {
    return undefined;
  }
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every `$ref` of a document (or a part of it), with where it sits. */
export function refsOf(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (Array.isArray(node)) {
    return node.flatMap((item, i) => refsOf(item, `${at}/${i}`));
  }
  if (typeof node !== 'object' || node === null) {
    return [];
  }
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ at, ref: value }] : refsOf(value, `${at}/${key}`),
  );
}

/**
 * A copy of the document with every local `$ref` replaced by what it points at (the schemas are not
 * recursive), for tests that read a schema's keywords directly. Throws on a dangling or cyclic one.
 */
export function dereference<T>(document: T): T {
  const inline = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) {
      return node.map((item) => inline(item, seen));
    }
    if (typeof node !== 'object' || node === null) {
      return node;
    }
    const { $ref: ref, ...rest } = node as Record<string, unknown>;
    if (typeof ref === 'string') {
      if (seen.includes(ref)) {
        throw new Error(`cyclic $ref ${ref}`);
      }
      const target = resolvePointer(document as object, ref);
      if (target === undefined) {
        throw new Error(`dangling $ref ${ref}`);
      }
      return { ...(inline(target, [...seen, ref]) as object), ...(inline(rest, seen) as object) };
    }
    return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value, seen)]));
  };
  return inline(document, []) as T;
}

export const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The operations of a document, with their method and path. */
export function operationsOf(
  document: OpenAPIV3_1.Document,
): { method: (typeof OPERATION_METHODS)[number]; path: string; operation: OpenAPIV3_1.OperationObject }[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    OPERATION_METHODS.flatMap((method) => {
      const operation = item?.[method];
      return operation === undefined ? [] : [{ method, path, operation }];
    }),
  );
}

/**
 * Checks every example of a document against the schema beside it: a schema's own `examples`, a
 * media type's named examples and its `example`. Returns how many it checked, and what failed.
 */
export function exampleProblems(document: OpenAPIV3_1.Document, ajv: Ajv2020): { checked: number; problems: string[] } {
  const problems: string[] = [];
  let checked = 0;
  const check = (schema: unknown, value: unknown, where: string) => {
    const validate = ajv.compile(schema as object);
    if (!validate(value)) {
      problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    }
    checked += 1;
  };
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, `${where}/${i}`);
      });
      return;
    }
    if (typeof node !== 'object' || node === null) {
      return;
    }
    const { examples, example, schema } = node as { examples?: unknown; example?: unknown; schema?: unknown };
    if (Array.isArray(examples)) {
      // A schema's own examples.
      const itself = Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'examples'));
      examples.forEach((value, i) => {
        check(itself, value, `${where}/examples/${i}`);
      });
    } else if (typeof examples === 'object' && examples !== null && schema !== undefined) {
      // A media type's named examples.
      for (const [name, { value }] of Object.entries(examples as Record<string, { value: unknown }>)) {
        check(schema, value, `${where}/examples/${name}`);
      }
    }
    if (example !== undefined && schema !== undefined) {
      check(schema, example, `${where}/example`);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'examples' && key !== 'example') {
        walk(value, `${where}/${key}`);
      }
    }
  };
  walk(dereference(document), '#');
  return { checked, problems };
}
