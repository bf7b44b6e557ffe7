import { STATUS_CODES as REASON_PHRASES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { databaseFailure } from '../db/errors.js';
import { type ErrorCode, type ErrorDetail, MAX_DETAILS, errorRegistry, isErrorCode } from '../errors.js';
import type { ErrorResponse } from '../shared/schemas.js';

/** Methods probed to tell "no such path" (404) from "not with this method" (405). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Framework error codes with a meaning of their own. */
const FRAMEWORK_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
};

/** Any other client error, by status. */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

type MaybeAppError = FastifyError & { details?: ErrorDetail[]; truncated?: number; headers?: Record<string, string> };

/** The registered code and the details for any error, ours or the framework's. */
function classify(error: MaybeAppError): { code: ErrorCode; details?: ErrorDetail[]; truncated?: number } {
  if (isErrorCode(error.code)) {
    return { code: error.code, details: error.details, truncated: error.truncated };
  }
  const frameworkCode = FRAMEWORK_CODES[error.code];
  if (frameworkCode !== undefined) {
    return { code: frameworkCode };
  }
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    const failure = databaseFailure(error);
    if (failure !== null) {
      return { code: failure === 'timeout' ? 'DATABASE_TIMEOUT' : 'DATABASE_UNAVAILABLE' };
    }
  }
  if (status === 400 && error.name === 'SyntaxError') {
    return { code: 'INVALID_JSON' };
  }
  if (status >= 400 && status < 500) {
    return { code: STATUS_CODES[status] ?? 'BAD_REQUEST' };
  }
  return { code: STATUS_CODES[status] ?? 'INTERNAL_ERROR' };
}

/** Builds the JSON error body for a registered code, with at most MAX_DETAILS details. */
export function errorBody(code: ErrorCode, details?: ErrorDetail[], truncated = 0): ErrorResponse {
  const body: ErrorResponse = { error: errorRegistry[code].message, code };
  if (details !== undefined && details.length > 0) {
    body.details = details.slice(0, MAX_DETAILS);
    const more = truncated + details.length - body.details.length;
    if (more > 0) {
      body.truncated = more;
    }
  }
  return body;
}

/** What a client is told to wait before retrying when the database is out of reach, in seconds. */
const DATABASE_RETRY_AFTER_S = 5;

function handleError(this: FastifyInstance, error: MaybeAppError, request: FastifyRequest, reply: FastifyReply) {
  const { code, details, truncated } = classify(error);
  const status = errorRegistry[code].status;
  if (isErrorCode(error.code) && error.headers !== undefined) {
    void reply.headers(error.headers);
  }
  if (code === 'DATABASE_UNAVAILABLE' || code === 'DATABASE_TIMEOUT') {
    void reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
  }
  if (status >= 500) {
    // The client gets the registered message only; the cause, stack and any SQL stay in the log.
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.debug({ code, status }, 'request refused');
  }
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(code, details, truncated));
}

function handleNotFound(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?', 1)[0] ?? '/';
  // findRoute answers null when nothing matches, although its declared type does not say so.
  const allowed: string[] = METHODS.filter((method) => (this.findRoute({ method, url: path }) as unknown) !== null);
  // A route of this very method that found nothing to serve (a missing file under /docs) is a 404.
  if (allowed.length > 0 && !allowed.includes(request.method)) {
    return reply.code(405).header('allow', allowed.join(', ')).send(errorBody('METHOD_NOT_ALLOWED'));
  }
  return reply.code(404).send(errorBody('ROUTE_NOT_FOUND'));
}

/**
 * Errors Fastify raises before routing, such as a path with a malformed percent-encoding
 * (`/api/v1/servers/%ZZ`): a 400 with the JSON error, not the framework's own body.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message = FRAMEWORK_MESSAGES[error.code];
  void reply
    .code(400)
    .type('application/json; charset=utf-8')
    .send(errorBody('BAD_REQUEST', message === undefined ? undefined : [{ field: 'path', message }]));
}

/** What to fix, for the errors Fastify raises before routing. */
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)',
  FST_ERR_MAX_PARAM_LENGTH: 'has a segment longer than 100 characters; no id or name is that long',
};

/** Parser-level errors with a meaning of their own; any other is a 400. */
const CLIENT_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
};

/** Node's response in progress on a connection, which its own clientError answer looks at too. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** Connections whose error answer is written or waiting: Node reports the error again for each chunk that follows. */
const answering = new WeakSet<Socket>();

function answerClientError(socket: HttpSocket, code: ErrorCode): void {
  if (!socket.writable) {
    return;
  }
  const inFlight = socket._httpMessage;
  if (inFlight?.req.complete === true) {
    // A request received whole before the bad bytes (pipelining) is still being answered: its
    // response goes first. Node assigns the next queued response before 'finish' reaches us.
    inFlight.once('finish', () => {
      answerClientError(socket, code);
    });
    return;
  }
  if (inFlight?.headersSent === true) {
    // The broken request's own response is half written: an error in its middle would corrupt it.
    socket.destroy();
    return;
  }
  const { status } = errorRegistry[code];
  const body = JSON.stringify(errorBody(code));
  // Closed once written: the rest of a timed-out request would otherwise still be parsed as requests.
  socket.end(
    `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}

/**
 * Errors at the HTTP parser level (malformed request line, oversized headers) and requests past the
 * header or request timeout never reach a route; Node would answer them with an empty body, so they
 * get the JSON error too, after the responses to the requests that came before them.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (answering.has(socket)) {
    return;
  }
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  answering.add(socket);
  answerClientError(socket, CLIENT_ERROR_CODES[error.code ?? ''] ?? 'BAD_REQUEST');
}

/** Turns every error, from every route and from the framework itself, into the JSON error body. */
export const errorHandler = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler(handleError);
    app.setNotFoundHandler(handleNotFound);
  },
  { name: 'error-handler', fastify: '5.x' },
);
