import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { appError } from '../errors.js';

export const MERGE_PATCH = 'application/merge-patch+json';

/** The charset parameter of a Content-Type, lowercase and unquoted; undefined without one. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return match === null ? undefined : (match[1] ?? match[2] ?? '').toLowerCase();
}

/**
 * A JSON body as text: UTF-8 (RFC 8259 8.1), or refused. Node would decode invalid bytes to U+FFFD
 * and store the result without a word, and a body declared in another charset would be read wrongly.
 */
function bodyText(request: FastifyRequest, body: Buffer): string {
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
        void parseJson(request, text, done);
      };
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parser('application/json'));
    app.addContentTypeParser(MERGE_PATCH, { parseAs: 'buffer' }, parser(MERGE_PATCH));
  },
  { name: 'body-parsers', fastify: '5.x' },
);
