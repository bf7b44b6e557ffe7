import type { AnySchemaObject } from 'ajv';

// The query string's own rules: escapes that decode to UTF-8, integers in plain decimal.

/** A plain decimal integer: no sign but minus, no leading zero, exponent, hex prefix or space. */
export const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Names of the properties a path or query schema declares as integers. Ajv coerces any string that
 * `Number()` reads (`0x10`, `1e2`, ` 5`), so those are checked against DECIMAL_INTEGER first.
 */
export function integerProperties(schema: AnySchemaObject): string[] {
  const properties = (schema.properties ?? {}) as Record<string, AnySchemaObject>;
  return Object.entries(properties)
    .filter(([, sub]) => sub.type === 'integer')
    .map(([name]) => name);
}

/** What a detail says of a parameter that malformedQueryParameter names. */
export const MALFORMED_QUERY_MESSAGE = 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)';

/**
 * The first parameter of a query string whose percent-encoding is malformed or is not UTF-8 (`%FF`,
 * `%ED%A0%80`, a lone `%`). The query parser keeps such text as it is, so `q=%FF` would search for
 * the three characters `%FF`.
 */
export function malformedQueryParameter(url: string): string | null {
  const start = url.indexOf('?');
  if (start === -1 || !url.includes('%', start)) {
    return null;
  }
  for (const pair of url.slice(start + 1).split('&')) {
    try {
      decodeURIComponent(pair);
    } catch {
      const name = pair.split('=', 1)[0] ?? '';
      try {
        return decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return 'querystring';
      }
    }
  }
  return null;
}
