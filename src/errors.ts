/**
 * The error registry: every error the API can answer with, by stable machine code.
 * Services throw `appError(code)`; the error handler turns any error, the framework's
 * own included, into `{ error, code, details? }` with the status registered here.
 */
export const errorRegistry = {
  VALIDATION_FAILED: { status: 400, message: 'Request validation failed' },
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  SERVER_NOT_FOUND: { status: 404, message: 'Server not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'Route not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  URI_TOO_LONG: { status: 414, message: 'Request URI is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  NOT_READY: { status: 503, message: 'Not ready: the database does not answer' },
  OVERLOADED: { status: 503, message: 'The server is overloaded; retry later' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export interface ErrorDetail {
  field: string;
  message: string;
}

/** A domain error: a registered code, its HTTP status and, for validation, the fields at fault. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, options: { details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(errorRegistry[code].message, { cause: options.cause });
    this.code = code;
    this.statusCode = errorRegistry[code].status;
    this.details = options.details;
  }
}

/** Creates the domain error registered under `code`. */
export function appError(code: ErrorCode, details?: ErrorDetail[]): AppError {
  return new AppError(code, details === undefined ? {} : { details });
}

/** Whether `code` is one of the registry's codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorRegistry, code);
}
