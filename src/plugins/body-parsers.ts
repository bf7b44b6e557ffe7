import { isUtf8 } from 'node:buffer';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { appError } from '../errors.js';
import { findJsonSyntaxError } from '../shared/json-syntax.js';

export const MERGE_PATCH = 'application/merge-patch+json';

/** The charset parameter of a Content-Type, lowercase and unquoted; undefined without one. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return match === null ? undefined : (match[1] ?? match[2] ?? '').toLowerCase();
}

/**
 * A body as text: UTF-8 (RFC 8259 8.1 for JSON; the only charset the other text bodies are taken in), or refused. Node would decode invalid bytes to U+FFFD
 * and store the result without a word, and a body declared in another charset would be read wrongly.
 */
export function bodyText(request: FastifyRequest, body: Buffer): string {
  const charset = charsetOf(request.headers['content-type']);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw appError('UNSUPPORTED_MEDIA_TYPE', [
      { field: 'content-type', message: `charset must be utf-8, or left out (got ${JSON.stringify(charset)})` },
    ]);
  }
  if (!isUtf8(body)) {
    throw appError('INVALID_ENCODING');
  }
  return body.toString('utf8');
}

/**
 * The parser's error with what to fix: where the JSON breaks and what was expected there, or which
 * key is refused. The parser itself says only "not valid JSON".
 */
function explained(error: FastifyError, text: string): Error {
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return appError('INVALID_JSON', [{ field: 'body', message: 'is empty: send a JSON value, such as an object' }]);
  }
  if (error.code !== 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return error;
  }
  const syntax = findJsonSyntaxError(text);
  const message =
    syntax === null
      ? // Valid JSON that the parser refused: a key that would reach an object's prototype.
        'holds a "__proto__" or "constructor": {"prototype": ...} key, which is refused'
      : `is not valid JSON: expected ${syntax.expected} at line ${syntax.line}, column ${syntax.column}, found ${syntax.found}`;
  return appError('INVALID_JSON', [{ field: 'body', message }]);
}

/**
 * Request bodies are JSON: application/json everywhere, application/merge-patch+json for PATCH
 * (RFC 7396). Anything else, plain text included, is a 415. Both go through Fastify's JSON parser,
 * which refuses __proto__ and constructor.prototype keys, after the bytes are checked to be UTF-8.
 */
export const bodyParsers = fp(
  (app: FastifyInstance) => {
    app.removeContentTypeParser(['text/plain', 'application/json']);
    const parseJson = app.getDefaultJsonParser('error', 'error');
    const parser =
      (mediaType: string) =>
      (request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void) => {
        if (mediaType === MERGE_PATCH && request.method !== 'PATCH') {
          done(appError('UNSUPPORTED_MEDIA_TYPE'), undefined);
          return;
        }
        let text: string;
        try {
          text = bodyText(request, body);
        } catch (error) {
          done(error as Error, undefined);
          return;
        }
        void parseJson(request, text, (error, parsed) => {
          done(error === null ? null : explained(error as FastifyError, text), parsed);
        });
      };
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parser('application/json'));
    app.addContentTypeParser(MERGE_PATCH, { parseAs: 'buffer' }, parser(MERGE_PATCH));
  },
  { name: 'body-parsers', fastify: '5.x' },
);
