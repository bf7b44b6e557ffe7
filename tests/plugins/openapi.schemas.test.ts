import type { OpenAPIV3_1 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { liftTitledSchemas, publishTypeSwitches, stripValidatorKeywords } from '../../src/plugins/openapi/schemas.js';

/** A document whose one operation answers `schema` and takes `body`. */
function documentWith(schema: object, body?: object): OpenAPIV3_1.Document {
  return {
    openapi: '3.1.0',
    info: { title: 'test', version: '1' },
    paths: {
      '/things': {
        post: {
          ...(body === undefined ? {} : { requestBody: { content: { 'application/json': { schema: body } } } }),
          responses: { '200': { description: 'ok', content: { 'application/json': { schema } } } },
        },
      },
    },
    components: { schemas: {} },
  };
}

function responseSchema(document: OpenAPIV3_1.Document): unknown {
  return (document.paths?.['/things']?.post?.responses['200'] as OpenAPIV3_1.ResponseObject).content?.[
    'application/json'
  ]?.schema;
}

function bodySchema(document: OpenAPIV3_1.Document): unknown {
  return (document.paths?.['/things']?.post?.requestBody as OpenAPIV3_1.RequestBodyObject).content['application/json']
    ?.schema;
}

describe('liftTitledSchemas', () => {
  const Thing = { title: 'Thing', type: 'object', properties: { name: { type: 'string' } } };

  it('puts a titled schema in components once and refers to it wherever it was', () => {
    const document = documentWith(
      { type: 'array', items: structuredClone(Thing) },
      { anyOf: [structuredClone(Thing), { type: 'array', items: structuredClone(Thing) }] },
    );
    liftTitledSchemas(document);
    const ref = { $ref: '#/components/schemas/Thing' };
    expect(document.components?.schemas).toStrictEqual({ Thing });
    expect(responseSchema(document)).toStrictEqual({ type: 'array', items: ref });
    expect(bodySchema(document)).toStrictEqual({ anyOf: [ref, { type: 'array', items: ref }] });
  });

  it('lifts titled schemas inside titled ones, whatever the order of their keys', () => {
    const Inner = { title: 'Inner', type: 'string', minLength: 1 };
    const Outer = { title: 'Outer', type: 'object', properties: { inner: Inner } };
    const reordered = {
      properties: { inner: { minLength: 1, type: 'string', title: 'Inner' } },
      type: 'object',
      title: 'Outer',
    };
    const document = documentWith(Outer, reordered);
    liftTitledSchemas(document);
    expect(document.components?.schemas).toStrictEqual({
      Inner,
      Outer: { title: 'Outer', type: 'object', properties: { inner: { $ref: '#/components/schemas/Inner' } } },
    });
    expect(bodySchema(document)).toStrictEqual({ $ref: '#/components/schemas/Outer' });
  });

  it('refuses two different schemas with the same title, naming it', () => {
    const other = { ...Thing, properties: { name: { type: 'string', maxLength: 3 } } };
    expect(() => {
      liftTitledSchemas(documentWith(Thing, other));
    }).toThrow(/two different schemas are titled "Thing"/);
  });

  it('refuses a title that cannot name a component, or that names one already there', () => {
    expect(() => {
      liftTitledSchemas(documentWith({ title: 'A thing', type: 'string' }));
    }).toThrow(/"A thing" cannot be a component/);
    const document = documentWith(Thing);
    document.components = { schemas: { Thing: { type: 'string' } } };
    expect(() => {
      liftTitledSchemas(document);
    }).toThrow(/"Thing" clashes with a component/);
  });

  it('takes a property named title for a property, not for a title', () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } } };
    const document = documentWith(structuredClone(schema));
    liftTitledSchemas(document);
    expect(responseSchema(document)).toStrictEqual(schema);
    expect(document.components?.schemas).toStrictEqual({});
  });
});

describe('stripValidatorKeywords', () => {
  it('removes errorMessage and every other keyword a Schema Object does not have, at every depth', () => {
    const document = documentWith(
      {
        type: 'object',
        errorMessage: 'top',
        properties: {
          tags: { type: 'array', items: { type: 'string', errorMessage: { pattern: 'x' } }, errorMessage: 'y' },
          id: { not: { errorMessage: 'read-only' } },
          // A property may have any name, errorMessage included.
          errorMessage: { type: 'string', transform: ['trim'] },
        },
        oneOf: [{ type: 'object', errorMessage: 'z' }],
        'x-internal': true,
      },
      { if: { type: 'array' }, then: { errorMessage: 'a' }, else: { errorMessage: 'b' } },
    );
    stripValidatorKeywords(document);
    expect(responseSchema(document)).toStrictEqual({
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        id: { not: {} },
        errorMessage: { type: 'string' },
      },
      oneOf: [{ type: 'object' }],
      'x-internal': true,
    });
    expect(bodySchema(document)).toStrictEqual({ if: { type: 'array' }, then: {}, else: {} });
  });
});

describe('publishTypeSwitches', () => {
  const Many = { type: 'array', items: { type: 'object' }, maxItems: 10 };
  const One = { type: 'object', required: ['name'] };

  it('publishes a switch on the type of the value as the union of its branches', () => {
    const document = documentWith({}, { description: 'One or many', if: { type: 'array' }, then: Many, else: One });
    publishTypeSwitches(document);
    expect(bodySchema(document)).toStrictEqual({ description: 'One or many', oneOf: [Many, One] });
  });

  it('leaves a switch alone when the union would not mean the same', () => {
    const switches = [
      // The test says more than the type.
      { if: { type: 'array', maxItems: 1 }, then: Many, else: One },
      // A branch admits what the other branch admits.
      { if: { type: 'array' }, then: One, else: One },
      { if: { type: 'array' }, then: Many, else: Many },
      { if: { type: 'array' }, then: Many, else: { type: ['array', 'null'] } },
      // The else branch says nothing of its type.
      { if: { type: 'array' }, then: Many, else: {} },
    ];
    for (const body of switches) {
      const document = documentWith({}, structuredClone(body));
      publishTypeSwitches(document);
      expect(bodySchema(document)).toStrictEqual(body);
    }
  });
});
