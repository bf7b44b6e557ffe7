/**
 * Where JSON text first breaks RFC 8259's grammar, and what was expected there. V8's own messages say
 * neither on Node 20 (`Unexpected token '}', "..." is not valid JSON`), so a body that fails to parse
 * is scanned once more by this: linear, without recursion (any depth), and only on failure.
 */
export interface JsonSyntaxError {
  /** Offset in UTF-16 units from the start of the text. */
  offset: number;
  line: number;
  column: number;
  expected: string;
  /** What stands there instead: a character, or "the end of the body". */
  found: string;
}

type State = 'value' | 'key' | 'after';

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITE_SPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9A-Fa-f]{4}$/;

function at(text: string, offset: number, expected: string): JsonSyntaxError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  const char = text.codePointAt(offset);
  const found =
    char === undefined
      ? 'the end of the body'
      : char < 0x20
        ? `U+${char.toString(16).toUpperCase().padStart(4, '0')}`
        : JSON.stringify(String.fromCodePoint(char));
  return { offset, line, column, expected, found };
}

/** The first syntax error of `text`, or null if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  const open: ('{' | '[')[] = [];
  let i = 0;
  let state: State = 'value';
  const skip = () => {
    while (WHITE_SPACE.has(text.charAt(i))) {
      i += 1;
    }
  };
  // Returns an error, or null with i just past the closing quote.
  const string = (): JsonSyntaxError | null => {
    i += 1;
    for (;;) {
      const c = text.charAt(i);
      if (c === '') {
        return at(text, i, 'a closing quote');
      }
      if (c === '"') {
        i += 1;
        return null;
      }
      if (c === '\\') {
        const e = text.charAt(i + 1);
        if (e === 'u' && HEX4.test(text.slice(i + 2, i + 6))) {
          i += 6;
        } else if (ESCAPES.has(e)) {
          i += 2;
        } else {
          return at(text, i + 1, 'an escape: one of " \\ / b f n r t, or u and four hex digits');
        }
      } else if (c.charCodeAt(0) < 0x20) {
        return at(text, i, 'no control character inside a string: escape it, as \\n or \\u0000');
      } else {
        i += 1;
      }
    }
  };

  for (;;) {
    skip();
    const c = text.charAt(i);
    if (state === 'key') {
      if (c !== '"') {
        return at(text, i, 'a property name in double quotes');
      }
      const error = string();
      if (error !== null) {
        return error;
      }
      skip();
      if (text.charAt(i) !== ':') {
        return at(text, i, "':' after the property name");
      }
      i += 1;
      state = 'value';
    } else if (state === 'value') {
      if (c === '{' || c === '[') {
        i += 1;
        skip();
        const close = c === '{' ? '}' : ']';
        if (text.charAt(i) === close) {
          i += 1;
          state = 'after';
        } else {
          open.push(c);
          state = c === '{' ? 'key' : 'value';
        }
      } else if (c === '"') {
        const error = string();
        if (error !== null) {
          return error;
        }
        state = 'after';
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
        state = 'after';
      } else if (text.startsWith('false', i)) {
        i += 5;
        state = 'after';
      } else {
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text)) {
          return at(text, i, 'a value: an object, an array, a string in double quotes, a number, true, false or null');
        }
        i = NUMBER.lastIndex;
        state = 'after';
      }
    } else {
      const top = open.at(-1);
      if (top === undefined) {
        return i === text.length ? null : at(text, i, 'the end of the body');
      }
      const close = top === '{' ? '}' : ']';
      if (c === ',') {
        i += 1;
        state = top === '{' ? 'key' : 'value';
      } else if (c === close) {
        i += 1;
        open.pop();
      } else {
        return at(text, i, `',' or '${close}'`);
      }
    }
  }
}
