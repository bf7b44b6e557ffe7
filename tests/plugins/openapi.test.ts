import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dereference } from '../helpers/openapi.js';
import { registeredRoutes, toOpenApiPath } from '../helpers/routes.js';

/** The JSON schema of a documented response. */
function jsonSchemaOf(response: unknown): OpenAPIV3_1.SchemaObject | undefined {
  const content = (response as OpenAPIV3_1.ResponseObject | undefined)?.content;
  return content?.['application/json']?.schema;
}

const DOCUMENTED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

describe('GET /api/v1/openapi.json', () => {
  let t: TestApp;
  let published: OpenAPIV3_1.Document;
  /** The document with its `$ref`s resolved, to read the schemas' keywords directly. */
  let document: OpenAPIV3_1.Document;
  beforeAll(async () => {
    // CORS on, so that its OPTIONS route is registered too and must stay out of the document.
    t = await buildTestApp({ env: { CORS_ORIGINS: 'https://inventory.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    published = res.json();
    document = dereference(published);
  });
  afterAll(async () => {
    await t.app.close();
  });

  function operations(): [string, string, OpenAPIV3_1.OperationObject][] {
    const found: [string, string, OpenAPIV3_1.OperationObject][] = [];
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
        const operation = item?.[method];
        if (operation !== undefined) {
          found.push([method.toUpperCase(), path, operation]);
        }
      }
    }
    return found;
  }

  it('answers JSON', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(document.openapi).toBe('3.1.0');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(published);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route the app registers, and only those', () => {
    const registered = registeredRoutes(t.app)
      .filter((route) => DOCUMENTED_METHODS.includes(route.method))
      // The documentation pages, their assets and `/` (which leads to them) are not part of the API.
      .filter((route) => !route.url.startsWith('/docs') && route.url !== '/')
      .map((route) => `${route.method} ${toOpenApiPath(route.url)}`)
      .sort();
    const documented = operations()
      .map(([method, path]) => `${method} ${path}`)
      .sort();
    expect(registered).toContain('GET /api/v1/servers/{id}');
    expect(documented).toStrictEqual(registered);
  });

  it('gives every operation an operationId, tags, a 2xx response and the error responses', () => {
    const ids = new Set<string>();
    for (const [method, path, operation] of operations()) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(operation.operationId ?? ''), where).toBe(false);
      ids.add(operation.operationId ?? '');
      expect(operation.tags?.length, where).toBeGreaterThan(0);
      const statuses = Object.keys(operation.responses ?? {});
      expect(
        statuses.some((status) => status.startsWith('2')),
        where,
      ).toBe(true);
      expect(statuses, where).toContain('500');
      expect(statuses, where).toContain('503');
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const schema = jsonSchemaOf(operation.responses?.[status]);
        expect(schema?.required, `${where} ${status}`).toStrictEqual(['error', 'code']);
      }
    }
  });

  it('documents the 401 and 429 of a token that is sent on every operation, the probes included', () => {
    // The rate limit spares the probes and /metrics; a bad token meets the failed-authentication throttle
    // (429) on any route, since a token that is sent is always checked.
    const get = (path: string) => document.paths?.[path]?.get?.responses ?? {};
    for (const path of [
      '/api/v1/servers',
      '/api/v1/servers/{id}',
      '/api/v1/health',
      '/api/v1/health/ready',
      '/metrics',
    ]) {
      expect(get(path), path).toHaveProperty('401');
      expect(get(path), path).toHaveProperty('429');
    }
    for (const [method, path, operation] of operations()) {
      expect(Object.keys(operation.responses ?? {}), `${method} ${path}`).toEqual(
        expect.arrayContaining(['401', '429']),
      );
    }
  });

  it('declares the bearer security scheme', () => {
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents the servers with their schema, path parameter and examples', () => {
    const getServer = document.paths?.['/api/v1/servers/{id}']?.get;
    expect(getServer?.operationId).toBe('getServer');
    const [idParam] = (getServer?.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    expect(idParam).toMatchObject({ name: 'id', in: 'path', required: true });
    expect((idParam?.schema as OpenAPIV3_1.SchemaObject | undefined)?.pattern).toMatch(/^\^/);
    const server = jsonSchemaOf(getServer?.responses['200']);
    expect(Object.keys(server?.properties ?? {})).toContain('hostname');
    expect(server?.properties?.hostname).toMatchObject({ examples: ['web-prod-01'] });
    expect(server?.properties?.environment).toMatchObject({ type: ['string', 'null'] });
  });

  it('keeps GET /api/v1/health documented with its exact body', () => {
    const health = jsonSchemaOf(document.paths?.['/api/v1/health']?.get?.responses['200']);
    expect(health).toMatchObject({
      properties: { status: { enum: ['OK'] }, version: { enum: ['1.0'] } },
      required: ['status', 'version'],
      additionalProperties: false,
    });
  });
});

describe('GET /docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('serves the interactive documentation with its assets from the package, no CDN', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui-bundle.js');
    // Every script and stylesheet is local: nothing is loaded from another host.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);

    // Every asset the page names loads, whether the page is asked for with a trailing slash or without.
    for (const pageUrl of ['/docs/', '/docs']) {
      const html = (await t.app.inject({ method: 'GET', url: pageUrl })).body;
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, asset = '']) => asset);
      expect(assets, pageUrl).toEqual(
        expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/), expect.stringMatching(/\.css$/)]),
      );
      for (const asset of assets) {
        const url = new URL(asset, `http://localhost${pageUrl}`).pathname;
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(200);
        expect(res.body.length, url).toBeGreaterThan(0);
      }
    }
    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
  });

  it('is where / leads with the console off', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs/');
    expect((await t.app.inject({ method: 'GET', url: res.headers.location })).statusCode).toBe(200);
  });

  it('answers a missing asset with 404 ROUTE_NOT_FOUND as JSON, for GET and HEAD', async () => {
    for (const url of ['/docs/static/missing.js', '/docs/missing.js', '/docs/static/theme/x.css']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await t.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.headers['content-type'], `${method} ${url}`).toBe('application/json; charset=utf-8');
        expect(res.headers.allow, `${method} ${url}`).toBeUndefined();
      }
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.json(), url).toStrictEqual({
        error: 'Route not found: the API is under /api/v1, its routes are listed at /docs',
        code: 'ROUTE_NOT_FOUND',
      });
    }
  });

  it('still answers another method on an asset with 405 and the methods it has', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/docs/static/swagger-ui.css' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('sends static/index.html to the page in one redirect, whatever its query', async () => {
    for (const url of ['/docs/static/index.html', '/docs/static/index.html?x', '/docs/static/index.html?a=1&b=/']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await t.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(302);
        expect(res.headers.location, `${method} ${url}`).toBe('/docs/');
      }
    }
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
  });

  it('does not ask the public validator service about the document', async () => {
    const initializer = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain('"validatorUrl":null');
  });

  it('lets the page run its own scripts, and nothing from elsewhere', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('points the page at the same document', async () => {
    const fromDocs = await t.app.inject({ method: 'GET', url: '/docs/json' });
    const fromApi = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(fromDocs.json()).toStrictEqual(fromApi.json());
  });
});
