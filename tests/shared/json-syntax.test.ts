import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../src/shared/json-syntax.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('findJsonSyntaxError', () => {
  it.each([
    [
      '{"a":1,\n "b": }',
      2,
      7,
      'a value: an object, an array, a string in double quotes, a number, true, false or null',
      '"}"',
    ],
    ['{"hostname": "x" "ip": 1}', 1, 18, "',' or '}'", '"\\""'],
    ['{"a":1', 1, 7, "',' or '}'", 'the end of the body'],
    ['[1,2,,3]', 1, 6, 'a value: an object, an array, a string in double quotes, a number, true, false or null', '","'],
    ['{a:1}', 1, 2, 'a property name in double quotes', '"a"'],
    ['{"a" 1}', 1, 6, "':' after the property name", '"1"'],
    ['"tab\there"', 1, 5, 'no control character inside a string: escape it, as \\n or \\u0000', 'U+0009'],
    ['"\\x"', 1, 3, 'an escape: one of " \\ / b f n r t, or u and four hex digits', '"x"'],
    ['{"a":1} extra', 1, 9, 'the end of the body', '"e"'],
    [
      '',
      1,
      1,
      'a value: an object, an array, a string in double quotes, a number, true, false or null',
      'the end of the body',
    ],
  ])('finds where %j breaks', (text, line, column, expected, found) => {
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column, expected, found });
  });

  it('agrees with JSON.parse on any JSON value, written compactly or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, indent) => {
        expect(findJsonSyntaxError(JSON.stringify(value, null, indent ? 2 : undefined))).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on whether any text, or any damaged JSON, is valid', () => {
    const damaged = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', ' ', 'x', '\n'))
      .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)));
    fc.assert(
      fc.property(fc.oneof(fc.string(), damaged), (text) => {
        expect(findJsonSyntaxError(text) === null, JSON.stringify(text)).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('scans any depth without recursion', () => {
    expect(findJsonSyntaxError('['.repeat(200_000))).toMatchObject({ offset: 200_000, found: 'the end of the body' });
    expect(findJsonSyntaxError(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toBeNull();
  });
});
