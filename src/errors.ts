/**
 * The error registry: every error the API can answer with, by stable machine code.
 * Services throw `appError(code)`; the error handler turns any error, the framework's
 * own included, into `{ error, code, details? }` with the status registered here.
 */
export const errorRegistry = {
  VALIDATION_FAILED: { status: 400, message: 'Request validation failed: fix the fields listed in details' },
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON: details say where it breaks' },
  INVALID_CSV: {
    status: 400,
    message: 'Request body is not valid CSV (RFC 4180): details say which line breaks, and how',
  },
  INVALID_ENCODING: { status: 400, message: 'Request body is not valid UTF-8: send the body encoded in UTF-8' },
  WEBHOOK_URL_FORBIDDEN: {
    status: 400,
    message:
      'The webhook URL reaches an address webhooks may not (loopback, private, link-local or another ' +
      'non-public one; details say which): use a public address, or WEBHOOK_ALLOW_PRIVATE_NETWORKS=true ' +
      'on the server for internal receivers',
  },
  BAD_REQUEST: {
    status: 400,
    message: 'Malformed request: send well-formed HTTP/1.1 with a percent-encoded UTF-8 path',
  },
  INVALID_PRECONDITION: {
    status: 400,
    message: 'Malformed If-Match or If-None-Match: send * or the ETag exactly as it was given, quotes included',
  },
  AUTH_REQUIRED: { status: 401, message: 'Authentication required: send Authorization: Bearer <token>' },
  INVALID_AUTH_SCHEME: {
    status: 401,
    message:
      'Unsupported Authorization header: send Authorization: Bearer <token>, the Bearer scheme and the token only',
  },
  INVALID_TOKEN: {
    status: 401,
    message:
      'Invalid, expired or revoked token: send a current one (an administrator creates tokens with `token create`)',
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    message:
      "The token's scope does not allow this: use a token with the scope named in WWW-Authenticate " +
      '(write to change servers, admin to manage tokens)',
  },
  SERVER_NOT_FOUND: { status: 404, message: 'Server not found' },
  ROUTE_NOT_FOUND: {
    status: 404,
    message: 'Route not found: the API is under /api/v1, its routes are listed at /docs',
  },
  TOKEN_NOT_FOUND: {
    status: 404,
    message: "Token not found: GET /api/v1/tokens (or the CLI's `token list`) names every token",
  },
  CUSTOM_FIELD_NOT_FOUND: {
    status: 404,
    message: 'Custom field not found: GET /api/v1/custom-fields lists the defined ones',
  },
  WEBHOOK_NOT_FOUND: {
    status: 404,
    message: 'Webhook not found: GET /api/v1/webhooks lists the subscriptions',
  },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    message: "Delivery not found: GET /api/v1/webhooks/{id}/deliveries lists the webhook's deliveries",
  },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed: the Allow header lists the methods of this route' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time: send it again without pauses' },
  SERVER_CONFLICT: {
    status: 409,
    message: 'Conflicts with an existing server: the fields in details are taken; choose other values',
  },
  SERVER_OWNED_ELSEWHERE: {
    status: 409,
    message:
      'Servers in the input belong to another source: details name each; apply them from their owner, ' +
      'or release them first (PATCH managed_by: null)',
  },
  TOKEN_CONFLICT: {
    status: 409,
    message: 'A token with this name exists: names are never reused, not even revoked ones; choose another name',
  },
  CUSTOM_FIELD_CONFLICT: {
    status: 409,
    message: 'A custom field with this name exists: names are unique; choose another name or PATCH the existing field',
  },
  CUSTOM_FIELD_LIMIT: {
    status: 409,
    message: 'The inventory has the most custom fields it can hold (64): delete one before defining another',
  },
  CUSTOM_FIELD_VALUES_CONFLICT: {
    status: 409,
    message:
      'Servers hold values this definition would not allow, or lack a required value: details name them; ' +
      'correct those servers first, or give a default',
  },
  CUSTOM_FIELD_IN_USE: {
    status: 409,
    message:
      'Servers hold values of this custom field: details say how many; delete with ?force=true to remove ' +
      "the values too (each server's history records it)",
  },
  WEBHOOK_LIMIT: {
    status: 409,
    message: 'The inventory has the most webhooks it can hold (100): delete one before creating another',
  },
  WEBHOOK_INACTIVE: {
    status: 409,
    message: 'The webhook is inactive and is sent nothing: PATCH it with "active": true first',
  },
  TOKEN_INACTIVE: {
    status: 409,
    message: 'The token is revoked or expired: it can no longer change; create a new token if one is needed',
  },
  BOOTSTRAP_TOKEN_FIXED: {
    status: 409,
    message:
      'The bootstrap token comes from the environment and cannot be revoked or rotated through the API: ' +
      'change or remove INVENTORY_BOOTSTRAP_TOKEN(_FILE) and restart',
  },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    message:
      'A request with this Idempotency-Key is still being processed: retry after the seconds in Retry-After ' +
      'to get its answer',
  },
  PRECONDITION_FAILED: {
    status: 412,
    message: 'The server has changed since the ETag given in If-Match: GET it again and retry with its current ETag',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message:
      'Request body is too large: send at most 1 MiB (16 MiB to /servers/apply), or split a batch into several requests',
  },
  URI_TOO_LONG: { status: 414, message: 'Request URI is too long: send fewer or shorter query values' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message:
      'Unsupported media type: send the body as JSON with Content-Type: application/json ' +
      '(PATCH also takes application/merge-patch+json, /servers/apply application/x-ndjson and text/csv)',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message:
      'This Idempotency-Key was used with another request body: send a new key for a new request, or the ' +
      'same body to get the first answer again',
  },
  TOO_MANY_AUTH_FAILURES: {
    status: 429,
    message: 'Too many failed authentications: check the token, then retry after the seconds in Retry-After',
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests: retry after the seconds in Retry-After' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large: send at most 16 KiB of headers' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; retry later' },
  DATABASE_TIMEOUT: { status: 503, message: 'The database did not answer in time; retry later' },
  NOT_READY: { status: 503, message: 'Not ready: the database does not answer' },
  OVERLOADED: { status: 503, message: 'The server is overloaded; retry later' },
  TOO_MANY_STREAMS: {
    status: 503,
    message:
      'This server has as many change streams open as it may (STREAM_MAX_CLIENTS): retry after the seconds in ' +
      'Retry-After, or poll GET /api/v1/changes',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export interface ErrorDetail {
  field: string;
  message: string;
}

/**
 * The most details an error body lists. A 1 MiB body can hold tens of thousands of faults, and a
 * client fixes the first ones first; `truncated` says how many more there were.
 */
export const MAX_DETAILS = 100;

export interface AppErrorOptions {
  /** The fields at fault. */
  details?: ErrorDetail[];
  /** How many more problems were found than `details` holds. */
  truncated?: number;
  /** Response headers that belong to the error, such as WWW-Authenticate or Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A domain error: a registered code, its HTTP status and, for validation, the fields at fault. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetail[] | undefined;
  readonly truncated: number;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(errorRegistry[code].message, { cause: options.cause });
    this.code = code;
    this.statusCode = errorRegistry[code].status;
    this.details = options.details;
    this.truncated = options.truncated ?? 0;
    this.headers = options.headers;
  }
}

/** Creates the domain error registered under `code`. */
export function appError(code: ErrorCode, options?: AppErrorOptions | ErrorDetail[]): AppError {
  return new AppError(code, Array.isArray(options) ? { details: options } : options);
}

/** Whether `code` is one of the registry's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorRegistry, code);
}
