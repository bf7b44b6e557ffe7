import Type, { type Static, type TSchema } from 'typebox';

/**
 * `T | null` as `{"type": [T, "null"]}` rather than an anyOf: it reads better in OpenAPI 3.1 and keeps
 * fast-json-stringify on its fast path (an anyOf makes it validate every value it serialises).
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

export const ErrorDetail = Type.Object(
  {
    field: Type.String({ description: 'The field, parameter or body path at fault, such as `id`' }),
    message: Type.String(),
  },
  { additionalProperties: false, title: 'ErrorDetail' },
);

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'A human-readable message' }),
    code: Type.String({ description: 'A stable machine-readable code, such as SERVER_NOT_FOUND' }),
    details: Type.Optional(
      Type.Array(ErrorDetail, { maxItems: 100, description: 'What was wrong, field by field: the first 100' }),
    ),
    truncated: Type.Optional(
      Type.Integer({ minimum: 1, description: 'How many more problems were found than `details` lists' }),
    ),
  },
  { additionalProperties: false, title: 'Error', description: 'The JSON error every failure answers with' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/**
 * Response schemas for the given error statuses, plus those any route can answer: 500, and 503 (the
 * server is overloaded, or the database is out of reach or too slow).
 */
export function errorResponses<const S extends number>(...statuses: S[]) {
  const responses = { 500: ErrorResponse, 503: ErrorResponse } as Record<S | 500 | 503, typeof ErrorResponse>;
  for (const status of statuses) {
    responses[status] = ErrorResponse;
  }
  return responses;
}

/** A point in time as the API writes it. */
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

/**
 * The query of a feed paged by sequence number (the change feed, the token history): `after` the last
 * seq seen, at most `limit` entries. seq is a 32-bit integer on both databases; PostgreSQL refuses a
 * larger value in a comparison.
 */
export function SeqPageQuery(entries: string) {
  return Type.Object(
    {
      after: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 2_147_483_647,
          default: 0,
          description: `Only ${entries} with a larger seq; 0 for all`,
        }),
      ),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    },
    { additionalProperties: false },
  );
}
