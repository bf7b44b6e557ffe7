import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { appError } from '../errors.js';

export const MERGE_PATCH = 'application/merge-patch+json';

/**
 * Request bodies are JSON: application/json everywhere, application/merge-patch+json for PATCH
 * (RFC 7396). Anything else, plain text included, is a 415. Both go through Fastify's JSON parser,
 * which refuses __proto__ and constructor.prototype keys.
 */
export const bodyParsers = fp(
  (app: FastifyInstance) => {
    app.removeContentTypeParser('text/plain');
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser(MERGE_PATCH, { parseAs: 'string' }, (request, body, done) => {
      if (request.method !== 'PATCH') {
        done(appError('UNSUPPORTED_MEDIA_TYPE'), undefined);
        return;
      }
      void parseJson(request, body.toString(), done);
    });
  },
  { name: 'body-parsers', fastify: '5.x' },
);
