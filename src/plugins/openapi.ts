import swagger from '@fastify/swagger';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { OpenAPIV3_1 } from 'openapi-types';
import Type from 'typebox';
import { errorResponses } from '../shared/schemas.js';
import { BEARER, addLayerResponses, documentedRoute, publishQueryPatterns } from './openapi/operations.js';
import { liftTitledSchemas, publishTypeSwitches, stripValidatorKeywords } from './openapi/schemas.js';

/**
 * Where the documentation page's assets are: in the installed @fastify/swagger-ui package, or, in
 * the bundled build (which carries no node_modules), in `static/` beside the bundle.
 */
function docsAssets(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')), 'static');
  } catch {
    return fileURLToPath(new URL('./static', import.meta.url));
  }
}

/** Where the document is served; `/docs` shows it. */
export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * The document as the tools that read it need it: the answers of the HTTP layer added, only
 * OpenAPI's own keywords in the schemas, unions as unions, and each titled schema a named component.
 */
function finishDocument(document: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  addLayerResponses(document);
  publishQueryPatterns(document);
  stripValidatorKeywords(document);
  publishTypeSwitches(document);
  liftTitledSchemas(document);
  return document;
}

/**
 * What the document holds besides the route schemas, which changes while the app runs (the custom
 * fields' definitions): the document is rendered again when, and only when, its version changes.
 */
export interface DocumentExtension {
  /** A value that changes whenever what `extend` adds changes: asked on every request, so one small query. */
  version(): Promise<string>;
  /** The document with what it adds, as a new object: `base` is shared and must not change. */
  extend(base: Readonly<OpenAPIV3_1.Document>): Promise<OpenAPIV3_1.Document>;
}

/**
 * The OpenAPI 3.1 document, generated from the route schemas (register this plugin before the routes:
 * it collects them as they are added), served at `GET /api/v1/openapi.json`, and the interactive
 * documentation at `/docs`, whose scripts and styles come from the installed package (no CDN).
 */
export interface OpenApiOptions {
  /** Whether reads need a token (INVENTORY_AUTH_READS): the document says so in their `security`. */
  authReads: boolean;
  /** What the document holds besides the routes' schemas, if anything. */
  extension?: DocumentExtension;
}

/** A rendering of the document: the object, its JSON, and the extension's version it was made at. */
interface Rendered {
  version: string;
  document: OpenAPIV3_1.Document;
  json: string;
}

export const openapi = fp<OpenApiOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'inventory-api',
          version: '1.0',
          description:
            "The operations team's server inventory. Every response is JSON; every error is " +
            '`{"error", "code", "details"?}` with a stable `code`.',
          license: { name: 'MIT', identifier: 'MIT' },
        },
        // Relative to where the document is served: the API answers on the same host and port.
        servers: [{ url: '/', description: 'The server that serves this document' }],
        tags: [
          { name: 'servers', description: 'The inventory of servers' },
          { name: 'health', description: 'Liveness and readiness' },
          { name: 'tokens', description: "API tokens: administration, and the caller's own token" },
          {
            name: 'custom-fields',
            description: 'Custom fields: the attributes a team defines for its servers, their types and rules',
          },
          { name: 'webhooks', description: 'Webhooks: signed deliveries of server events to a URL, and their log' },
          { name: 'operations', description: 'Metrics and this document' },
        ],
        components: {
          securitySchemes: {
            [BEARER]: {
              type: 'http',
              scheme: 'bearer',
              description:
                'An API token: `Authorization: Bearer <token>`. Scopes: read < write < admin; each operation ' +
                'names the one it needs in `x-required-scope`. Reads need a token only when the server runs ' +
                'with INVENTORY_AUTH_READS=true, and list it as optional otherwise. The probes and this ' +
                'document are open; a token that is sent is checked everywhere.',
            },
          },
        },
      },
      transform: documentedRoute(options.authReads),
      transformObject: (documentObject) =>
        'openapiObject' in documentObject
          ? finishDocument(documentObject.openapiObject as OpenAPIV3_1.Document)
          : documentObject.swaggerObject,
    });

    // The routes' schemas are fixed once the app is ready: @fastify/swagger renders them once. The
    // extension's part is rendered on top when its version changes, which each request asks (one small
    // query) rather than trusting a cache that another replica's change would leave stale.
    let rendered: Rendered | undefined;
    let rendering: { version: string; done: Promise<Rendered> } | undefined;
    const render = async (version: string): Promise<Rendered> => {
      const base = app.swagger() as OpenAPIV3_1.Document;
      const document = options.extension === undefined ? base : await options.extension.extend(base);
      return { version, document, json: JSON.stringify(document) };
    };
    const latest = async (): Promise<Rendered> => {
      const version = (await options.extension?.version()) ?? '';
      if (rendered?.version === version) {
        return rendered;
      }
      // Requests that arrive during a rendering wait for it rather than render the same again.
      if (rendering?.version !== version) {
        const done = render(version).then(
          (made) => {
            rendered = made;
            return made;
          },
          (error: unknown) => {
            // The next request tries again.
            if (rendering?.done === done) {
              rendering = undefined;
            }
            throw error;
          },
        );
        rendering = { version, done };
      }
      return rendering.done;
    };
    const current = async (): Promise<Rendered> => {
      try {
        return await latest();
      } catch (error) {
        // The database is away: the last rendering describes the API better than an error does.
        if (rendered === undefined) {
          throw error;
        }
        app.log.warn(
          { err: error },
          'the OpenAPI document is served as last rendered: the definitions could not be read',
        );
        return rendered;
      }
    };
    /** The page's copy of the document, which swagger-ui serves at /docs/json and /docs/yaml. */
    let forPage: OpenAPIV3_1.Document | undefined;

    // swagger-ui redirects static/index.html to the page by rewriting a URL that ends with it: with a
    // query string nothing is rewritten and the redirect points to itself, forever.
    app.addHook('onRoute', (route) => {
      if (route.url === `${DOCS_PREFIX}/static/index.html`) {
        route.handler = (_request, reply) => reply.redirect(`${DOCS_PREFIX}/`);
      }
    });
    await app.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      baseDir: docsAssets(),
      // swagger-ui's own policy, less upgrade-insecure-requests, which would break the page over plain
      // HTTP on a developer's machine.
      staticCSP: true,
      transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;/, ''),
      // No call to the public validator service: the page works offline.
      uiConfig: { deepLinking: true, validatorUrl: null },
      // The page reads the document the API serves, custom fields and all (not the routes' alone).
      uiHooks: {
        onRequest: (request, _reply, done) => {
          const url = request.routeOptions.url ?? '';
          if (!url.endsWith('/json') && !url.endsWith('/yaml')) {
            done();
            return;
          }
          current().then(
            (made) => {
              forPage = made.document;
              done();
            },
            (error: unknown) => {
              done(error as Error);
            },
          );
        },
      },
      transformSpecification: (document) => forPage ?? document,
      // Served as it is: the renderings are never changed once made.
      transformSpecificationClone: false,
    });

    app.get(
      OPENAPI_PATH,
      {
        schema: {
          operationId: 'getOpenApiDocument',
          tags: ['operations'],
          summary: 'This OpenAPI 3.1 document',
          response: {
            200: Type.Object(
              { openapi: Type.String(), info: Type.Object({}), paths: Type.Object({}) },
              { additionalProperties: true, description: 'The OpenAPI 3.1 document of this API' },
            ),
            ...errorResponses(),
          },
        },
      },
      async (_request, reply) => reply.type('application/json; charset=utf-8').send((await current()).json),
    );
  },
  { name: 'openapi', fastify: '5.x' },
);
