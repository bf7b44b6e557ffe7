import { describe, expect, it } from 'vitest';
import { unknownPropertyMessage } from '../../../src/plugins/validation/details.js';

describe('the message for an unknown field or query parameter', () => {
  it('lists the names the object takes, read-only ones left out', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      properties: { hostname: { type: 'string' }, id: { not: {} }, tags: { type: 'array' } },
    };
    expect(unknownPropertyMessage(schema, 'body')).toBe('is not a known field; known fields are hostname, tags');
    expect(unknownPropertyMessage(schema, 'querystring')).toBe(
      'is not a known query parameter; this route takes hostname, tags',
    );
  });

  it('says when nothing is taken at all', () => {
    expect(unknownPropertyMessage({ type: 'object', properties: {} }, 'querystring')).toBe(
      'is not a known query parameter: this route takes none',
    );
    expect(unknownPropertyMessage(undefined, 'body')).toBe('is not a known field: this object takes none');
  });

  it('leaves a list too long to read to the API description', () => {
    const properties = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`p${i}`, { type: 'string' }]));
    expect(unknownPropertyMessage({ type: 'object', properties }, 'querystring')).toBe(
      'is not a known query parameter',
    );
  });
});
