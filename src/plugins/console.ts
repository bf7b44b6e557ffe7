import fastifyStatic from '@fastify/static';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DOCS_PREFIX } from './openapi.js';

/**
 * The console's policy: its own scripts, styles and API calls only; no inline script or style, no
 * frame, no base or form target elsewhere. The API's answers keep theirs (protection.ts).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Where the built assets are served; their names carry a hash of their content. */
export const CONSOLE_ASSETS_PREFIX = '/ui/assets/';
/** Hashed names change with the content: a browser may keep a file for a year without asking again. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** The page itself is asked again every time, so that a new build's asset names are seen at once. */
export const PAGE_CACHE_CONTROL = 'no-cache';
/** The console's own addresses, which its router shows (web/src/router.ts): each answers the same page. */
export const CONSOLE_PAGES = [
  '/',
  '/servers',
  '/servers/new',
  '/servers/:id(^\\d+$)',
  '/overview',
  '/activity',
  '/admin',
] as const;

/**
 * Where the built console is: web/dist/ from the sources (src/plugins/ or dist/plugins/), or ui/ beside
 * the bundle (the image's payload, scripts/payload.ts).
 */
export function consoleDir(): string {
  const beside = fileURLToPath(new URL('./ui', import.meta.url));
  return existsSync(join(beside, 'index.html')) ? beside : fileURLToPath(new URL('../../web/dist', import.meta.url));
}

/** `/` leads to the documentation: with UI_ENABLED=false, or while the console is not built. */
export function rootToDocs(app: FastifyInstance): void {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(`${DOCS_PREFIX}/`));
}

/**
 * The page as it is now on disk. A build (npm run build:web) replaces index.html and deletes the
 * assets the old one named, while a server may be running: the page is read again whenever its
 * modification time or size changes. A stat per page request costs about 2 µs (statSync of
 * index.html, measured on a 2-core development machine); the read happens only after a build. While a
 * build has removed the file, the last page read is served.
 */
export function currentPage(file: string): () => Buffer {
  let stamp = '';
  let page = Buffer.alloc(0);
  return () => {
    try {
      const { mtimeMs, size } = statSync(file);
      const now = `${String(mtimeMs)}:${String(size)}`;
      if (now !== stamp) {
        page = readFileSync(file);
        stamp = now;
      }
    } catch {
      // Between a build's removal and its new page: the last one stays.
    }
    return page;
  };
}

export interface ConsoleOptions {
  /** The built console: index.html and assets/ (see consoleDir). */
  dir: string;
}

/**
 * The web console: its page at `/` and at each of its own addresses, with a strict
 * Content-Security-Policy, and its content-hashed assets under /ui/assets/. An asset that is not
 * there is the API's JSON 404.
 */
export const consolePlugin = fp<ConsoleOptions>(
  async (app: FastifyInstance, { dir }) => {
    const indexFile = join(dir, 'index.html');
    if (!existsSync(indexFile)) {
      app.log.warn({ dir }, 'the web console is not built (npm run build:web): / leads to /docs');
      rootToDocs(app);
      return;
    }
    const page = currentPage(indexFile);
    for (const url of CONSOLE_PAGES) {
      app.get(url, { schema: { hide: true } }, (_request, reply) =>
        reply
          .header('content-security-policy', CONSOLE_CSP)
          .header('cache-control', PAGE_CACHE_CONTROL)
          .type('text/html; charset=utf-8')
          .send(page()),
      );
    }
    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: CONSOLE_ASSETS_PREFIX,
      // The docs' registration decorates the reply already.
      decorateReply: false,
      index: false,
      dotfiles: 'ignore',
      cacheControl: false,
      // The build writes each text asset's .br and .gz forms (web/precompress.ts): sent to a browser
      // that accepts them, with Vary: Accept-Encoding; the file itself otherwise.
      preCompressed: true,
      setHeaders: (response) => {
        void response.header('cache-control', ASSET_CACHE_CONTROL);
      },
    });
  },
  { name: 'console', fastify: '5.x' },
);
