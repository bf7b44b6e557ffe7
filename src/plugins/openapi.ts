import swagger from '@fastify/swagger';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { OpenAPIV3_1 } from 'openapi-types';
import Type from 'typebox';
import { errorRegistry } from '../errors.js';
import { ErrorResponse, errorResponses } from '../shared/schemas.js';
import { PRESSURE_EXEMPT, RATE_LIMIT_EXEMPT } from './protection.js';

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

type Operation = OpenAPIV3_1.OperationObject;

function errorResponse(description: string): OpenAPIV3_1.ResponseObject {
  return {
    description,
    content: { 'application/json': { schema: JSON.parse(JSON.stringify(ErrorResponse)) as OpenAPIV3_1.SchemaObject } },
  };
}

/**
 * Adds the answers that come from the HTTP layer rather than from a route: 429 from the rate limit,
 * 503 from overload protection or during shutdown. A route's own schema does not list them.
 */
function addLayerResponses(document: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as (Operation | undefined)[]) {
      if (operation?.responses === undefined) {
        continue;
      }
      if (!RATE_LIMIT_EXEMPT.has(path)) {
        operation.responses['429'] ??= errorResponse(
          `${errorRegistry.RATE_LIMITED.message} (RATE_LIMITED): over RATE_LIMIT_PER_MINUTE; see Retry-After`,
        );
      }
      operation.responses['503'] ??= errorResponse(
        PRESSURE_EXEMPT.has(path)
          ? 'The server is shutting down (SERVICE_UNAVAILABLE)'
          : 'The server is overloaded (OVERLOADED, with Retry-After) or shutting down (SERVICE_UNAVAILABLE)',
      );
    }
  }
  return document;
}

/**
 * The OpenAPI 3.1 document, generated from the route schemas (register this plugin before the routes:
 * it collects them as they are added), served at `GET /api/v1/openapi.json`, and the interactive
 * documentation at `/docs`, whose scripts and styles come from the installed package (no CDN).
 */
export const openapi = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'inventory-api',
          version: '1.0',
          description:
            "The operations team's server inventory. Every response is JSON; every error is " +
            '`{"error", "code", "details"?}` with a stable `code`.',
        },
        tags: [
          { name: 'servers', description: 'The inventory of servers' },
          { name: 'health', description: 'Liveness and readiness' },
          { name: 'operations', description: 'Metrics and this document' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description: 'An API token: `Authorization: Bearer <token>`',
            },
          },
        },
      },
      transformObject: (documentObject) =>
        'openapiObject' in documentObject
          ? addLayerResponses(documentObject.openapiObject as OpenAPIV3_1.Document)
          : documentObject.swaggerObject,
    });

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
    });

    // The address a person types first leads to the documentation (a web console may take it later).
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(`${DOCS_PREFIX}/`));

    let document: string | undefined;
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
      async (_request, reply) => {
        // Routes are fixed once the app is ready, so one rendering serves every request.
        document ??= JSON.stringify(app.swagger());
        return reply.type('application/json; charset=utf-8').send(document);
      },
    );
  },
  { name: 'openapi', fastify: '5.x' },
);
