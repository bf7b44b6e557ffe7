import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appError } from '../../src/errors.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { HEALTH_REQUEST, openConnection, parseResponses, within } from '../helpers/raw-http.js';

const SECRET_SQL = "SELECT * FROM servers WHERE token = 's3cr3t'";

/** Test-only routes that reach the error paths the product's routes cannot reach yet. */
function addProbeRoutes(app: FastifyInstance): void {
  app.get('/probe/crash', () => {
    throw new Error(`SQLITE_ERROR: near "FROM": syntax error in ${SECRET_SQL}`);
  });
  app.get('/probe/not-found', () => {
    throw appError('SERVER_NOT_FOUND');
  });
  app.post(
    '/probe/echo',
    {
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            items: Type.Optional(Type.Array(Type.Object({ port: Type.Integer() }, { additionalProperties: false }))),
          },
          { additionalProperties: false },
        ),
      },
    },
    (request) => request.body,
  );
}

describe('the error handler', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ extend: addProbeRoutes });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns 404 ROUTE_NOT_FOUND as JSON for an unknown path', async () => {
    for (const url of ['/nope', '/api/v1/nope', '/api/v2/servers', '/api/v1/servers/1/extra', '/api']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toBe('application/json; charset=utf-8');
      expect(res.json(), url).toStrictEqual({
        error: 'Route not found: the API is under /api/v1, its routes are listed at /docs',
        code: 'ROUTE_NOT_FOUND',
      });
    }
  });

  it('answers a malformed percent-encoding in the path with the JSON 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/%ZZ' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({
      error: 'Malformed request: send well-formed HTTP/1.1 with a percent-encoded UTF-8 path',
      code: 'BAD_REQUEST',
      details: [{ field: 'path', message: 'must be percent-encoded UTF-8 (holds a malformed escape such as %FF)' }],
    });
  });

  it('answers a path segment over 100 characters with a 400 that says so', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers/${'1'.repeat(101)}` });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ details: unknown }>().details).toStrictEqual([
      { field: 'path', message: 'has a segment longer than 100 characters; no id or name is that long' },
    ]);
  });

  it('returns 404 ROUTE_NOT_FOUND for any method on an unknown path', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ code: string }>().code).toBe('ROUTE_NOT_FOUND');
  });

  it.each([
    ['PUT', '/api/v1/servers', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/servers', 'GET, HEAD, POST'],
    ['POST', '/api/v1/servers/1', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['POST', '/api/v1/servers/abc', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['DELETE', '/api/v1/servers/1/history', 'GET, HEAD'],
    ['POST', '/api/v1/changes', 'GET, HEAD'],
    ['PUT', '/api/v1/health', 'GET, HEAD'],
  ] as const)('returns 405 with an Allow header for %s %s', async (method, url, allow) => {
    const res = await t.app.inject({ method, url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({
      error: 'Method not allowed: the Allow header lists the methods of this route',
      code: 'METHOD_NOT_ALLOWED',
    });
  });

  it('turns a domain error into its registered status and body', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/probe/not-found' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toStrictEqual({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });
  });

  it('answers an internal failure with a bare 500 and logs the cause instead', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/probe/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR' });
    expect(res.body).not.toMatch(/SELECT|SQLITE|s3cr3t|at .*\.ts/);

    const logged = t.logs.entries().find((entry) => entry.msg === 'request failed');
    expect(logged).toBeDefined();
    const err = logged?.err as { message: string; stack: string };
    expect(err.message).toContain('SQLITE_ERROR');
    expect(err.stack).toContain('error-handler.test.ts');
  });

  it('answers 400 INVALID_JSON for a malformed JSON body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x",\n  "items": [1 2]}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toStrictEqual({
      error: 'Request body is not valid JSON: details say where it breaks',
      code: 'INVALID_JSON',
      details: [{ field: 'body', message: "is not valid JSON: expected ',' or ']' at line 2, column 15, found \"2\"" }],
    });
  });

  it('answers 400 INVALID_JSON naming a refused prototype key, which is valid JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x", "__proto__": {"admin": true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ details: unknown }>().details).toStrictEqual([
      { field: 'body', message: 'holds a "__proto__" or "constructor": {"prototype": ...} key, which is refused' },
    ]);
  });

  it('answers 400 INVALID_JSON for an empty JSON body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toStrictEqual({
      error: 'Request body is not valid JSON: details say where it breaks',
      code: 'INVALID_JSON',
      details: [{ field: 'body', message: 'is empty: send a JSON value, such as an object' }],
    });
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'text/csv' },
      payload: 'name\nx\n',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toStrictEqual({
      error:
        'Unsupported media type: send the body as JSON with Content-Type: application/json ' +
        '(PATCH also takes application/merge-patch+json, /servers/apply application/x-ndjson and text/csv)',
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over 1 MiB', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toStrictEqual({
      error:
        'Request body is too large: send at most 1 MiB (16 MiB to /servers/apply), or split a batch into several requests',
      code: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('names every bad field of a body, with array indexes, in one 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: { extra: true, items: [{ port: 1 }, { port: 'x', colour: 'red' }] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; details: { field: string; message: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details).toEqual(
      expect.arrayContaining([
        { field: 'name', message: 'is required' },
        { field: 'extra', message: 'is not a known field; known fields are name, items' },
        { field: 'items[1].colour', message: 'is not a known field; known fields are port' },
        { field: 'items[1].port', message: 'must be an integer' },
      ]),
    );
    expect(body.details).toHaveLength(4);
  });

  it('logs no Authorization header', async () => {
    await t.app.inject({
      method: 'GET',
      url: '/probe/crash',
      headers: { authorization: 'Bearer inv_topsecretvalue' },
    });
    expect(t.logs.text()).not.toContain('inv_topsecretvalue');
  });
});

describe('the error handler on a database failure', () => {
  it('answers 500 without the driver message and logs it', async () => {
    const { app, db, logs } = await buildTestApp();
    await db.destroy();
    const res = await app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toStrictEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR' });
    expect(logs.entries().some((entry) => entry.msg === 'request failed')).toBe(true);
    await app.close();
  });
});

describe('the error handler when the database is out of reach or too slow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      extend: (app) => {
        app.get<{ Querystring: { code?: string; message?: string } }>('/probe/db', (request) => {
          const { code, message = 'connect ECONNREFUSED 10.1.2.3:5432 password=s3cr3t' } = request.query;
          throw Object.assign(new Error(message), code === undefined ? {} : { code });
        });
      },
    });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each([
    ['ECONNREFUSED', undefined, 'DATABASE_UNAVAILABLE'],
    ['ECONNRESET', undefined, 'DATABASE_UNAVAILABLE'],
    ['57P01', 'terminating connection due to administrator command', 'DATABASE_UNAVAILABLE'],
    ['57P03', 'the database system is starting up', 'DATABASE_UNAVAILABLE'],
    ['08006', 'connection failure', 'DATABASE_UNAVAILABLE'],
    ['53300', 'sorry, too many clients already', 'DATABASE_UNAVAILABLE'],
    [undefined, 'Connection terminated unexpectedly', 'DATABASE_UNAVAILABLE'],
    [undefined, 'Client has encountered a connection error and is not queryable', 'DATABASE_UNAVAILABLE'],
    ['25006', 'cannot execute INSERT in a read-only transaction', 'DATABASE_UNAVAILABLE'],
    ['40P01', 'deadlock detected', 'DATABASE_UNAVAILABLE'],
    ['0A000', 'cached plan must not change result type', 'DATABASE_UNAVAILABLE'],
    [undefined, 'Query read timeout', 'DATABASE_TIMEOUT'],
    ['57014', 'canceling statement due to statement timeout', 'DATABASE_TIMEOUT'],
    ['55P03', 'canceling statement due to lock timeout', 'DATABASE_TIMEOUT'],
    [undefined, 'timeout exceeded when trying to connect', 'DATABASE_TIMEOUT'],
    ['SQLITE_BUSY', 'database is locked', 'DATABASE_TIMEOUT'],
  ])(
    'answers code %s / %s with 503 %s and Retry-After, without the driver message',
    async (code, message, expected) => {
      const query = new URLSearchParams({
        ...(code === undefined ? {} : { code }),
        ...(message === undefined ? {} : { message }),
      });
      const res = await t.app.inject({ method: 'GET', url: `/probe/db?${query.toString()}` });
      expect(res.statusCode).toBe(503);
      expect(res.json<{ code: string }>().code).toBe(expected);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).not.toContain('s3cr3t');
    },
  );

  it.each([
    ['23505', 'duplicate key value violates unique constraint'],
    ['42P01', 'relation "servers" does not exist'],
    ['SQLITE_ERROR', 'no such table: servers'],
    ['08P01', 'invalid message format'],
    ['0A000', 'FOR UPDATE is not allowed with aggregate functions'],
  ])('still answers other database errors (%s) with a bare 500', async (code, message) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/probe/db?code=${code}&message=${encodeURIComponent(message)}`,
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toStrictEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR' });
    expect(res.headers['retry-after']).toBeUndefined();
  });
});

describe('the error handler on malformed HTTP', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('no port');
    }
    port = address.port;
  });
  afterAll(async () => {
    await t.app.close();
  });

  function rawRequest(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.end(request);
      });
      let response = '';
      socket.setEncoding('utf8');
      socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
      socket.on('data', (chunk: string) => (response += chunk));
      socket.on('end', () => {
        resolve(response);
      });
      socket.on('error', reject);
    });
  }

  it('answers a request line that is not HTTP with a JSON 400', async () => {
    const response = await rawRequest('THIS IS NOT HTTP\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toStrictEqual({
      error: 'Malformed request: send well-formed HTTP/1.1 with a percent-encoded UTF-8 path',
      code: 'BAD_REQUEST',
    });
  });

  it('answers oversized headers with a JSON 431', async () => {
    const response = await rawRequest(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toStrictEqual({
      error: 'Request headers are too large: send at most 16 KiB of headers',
      code: 'HEADERS_TOO_LARGE',
    });
  });

  it('answers the requests that came before garbage on one connection first, then the JSON 400', async () => {
    const connection = await openConnection(port);
    // One write, so that the parser meets the garbage while the valid requests are still being answered.
    connection.socket.write(
      `${HEALTH_REQUEST}GET /api/v1/servers/1 HTTP/1.1\r\nHost: localhost\r\n\r\nTHIS IS NOT HTTP\r\n\r\n`,
    );
    await within(5000, connection.closed, 'the server closing the connection');
    const [health, server, refused, ...others] = parseResponses(connection.received());
    expect(health?.status).toBe(200);
    expect(JSON.parse(health?.body ?? '')).toStrictEqual({ status: 'OK', version: '1.0' });
    expect(server?.status).toBe(200);
    expect(JSON.parse(server?.body ?? '')).toMatchObject({ id: 1, hostname: 'web-prod-01' });
    expect(refused?.status).toBe(400);
    expect(refused?.headers.connection).toBe('close');
    expect(JSON.parse(refused?.body ?? '')).toStrictEqual({
      error: 'Malformed request: send well-formed HTTP/1.1 with a percent-encoded UTF-8 path',
      code: 'BAD_REQUEST',
    });
    expect(others).toStrictEqual([]);
  });

  it('answers nothing more after a request that asked to close the connection', async () => {
    const connection = await openConnection(port);
    connection.socket.write(
      'GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nTHIS IS NOT HTTP\r\n\r\n',
    );
    await within(5000, connection.closed, 'the server closing the connection');
    expect(parseResponses(connection.received()).map((response) => response.status)).toStrictEqual([200]);
  });

  it('answers a real client over TCP with the same JSON errors', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/servers/abc`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
