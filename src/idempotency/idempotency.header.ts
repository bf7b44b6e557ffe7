import { parseItem } from 'structured-headers';
import Type from 'typebox';
import { appError } from '../errors.js';

/** The request header (draft-ietf-httpapi-idempotency-key-header), as Node names it. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** The response header that marks a stored answer sent again. */
export const REPLAYED_HEADER = 'idempotent-replayed';
/** The longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 255;

/** The unquoted form clients commonly send: visible ASCII, no double quote (which starts the quoted form). */
const UNQUOTED_KEY = new RegExp(`^[\\x21\\x23-\\x7e]{1,${MAX_KEY_LENGTH}}$`);

const INVALID_MESSAGE =
  `must be a string in double quotes, such as "8e03978e-40d5-43e8-bc93-6894a57f9324", or 1 to ${MAX_KEY_LENGTH} ` +
  'visible ASCII characters without quotes or spaces; send one key only';

/** The route's `headers` schema part: documents the header (the value is checked by parseIdempotencyKey). */
export const IdempotencyKeyHeaders = {
  [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
    Type.String({
      description:
        'Makes a retry safe: the first request with a key runs, its successful answer is kept 24 hours for ' +
        'the token that sent it, and a retry with the same key and body gets that answer again ' +
        '(`Idempotent-Replayed: true`) instead of creating anew. A Structured Field string ' +
        `(\`"8e03978e-..."\`) or the same without quotes; 1 to ${MAX_KEY_LENGTH} printable ASCII characters.`,
      examples: ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
    }),
  ),
};

/** The response header of a replayed answer, as the route's response schema documents it. */
export const ReplayedHeader = {
  [REPLAYED_HEADER]: Type.Optional(
    Type.Literal('true', { description: 'The stored answer to an earlier request with this Idempotency-Key' }),
  ),
};

/**
 * The key an Idempotency-Key header carries, or undefined without one. The draft makes the value a
 * Structured Field string (RFC 9651: `"..."`, `\"` and `\\` escaped, parameters allowed and ignored, as
 * the draft defines none); the same key without quotes is accepted too, as many clients send it, and
 * names the same key. Anything else, an empty key or one over MAX_KEY_LENGTH is a 400.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  const value = typeof header === 'string' ? header.trim() : undefined;
  let key: string | undefined;
  if (value?.startsWith('"') === true) {
    try {
      // A bare item's type names BufferSource, a DOM type this project's libraries do not declare.
      const item: unknown = parseItem(value)[0];
      key = typeof item === 'string' ? item : undefined;
    } catch {
      key = undefined;
    }
  } else if (value !== undefined && UNQUOTED_KEY.test(value)) {
    key = value;
  }
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw appError('VALIDATION_FAILED', [{ field: IDEMPOTENCY_KEY_HEADER, message: INVALID_MESSAGE }]);
  }
  return key;
}
