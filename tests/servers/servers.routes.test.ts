import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertServers } from '../../src/servers/servers.repository.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { DEFAULT_FIELDS } from '../helpers/servers.js';

const SERVER_KEYS = [
  'created_at',
  'custom_fields',
  'environment',
  'hostname',
  'id',
  'ip',
  'location',
  'managed_by',
  'notes',
  'os',
  'role',
  'status',
  'tags',
  'updated_at',
];
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface ServerBody {
  id: number;
  hostname: string;
  ip: string;
  status: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

describe('GET /api/v1/servers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns the sample servers in full, ordered by id, with their count', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json<{ servers: ServerBody[]; count: number }>();
    expect(Object.keys(body).sort()).toStrictEqual(['count', 'next', 'servers']);
    expect(body.count).toBe(2);
    expect(body.servers).toHaveLength(2);
    for (const server of body.servers) {
      // A list gives what was observed of a server beside its fields.
      expect(Object.keys(server).sort()).toStrictEqual([...SERVER_KEYS, 'last_seen_at'].sort());
      expect(server.tags).toStrictEqual([]);
      expect(server.created_at).toMatch(RFC3339_UTC);
      expect(server.updated_at).toMatch(RFC3339_UTC);
      expect(new Date(server.created_at).toISOString()).toBe(server.created_at);
    }
    expect(body.servers[0]).toMatchObject({ id: 1, hostname: 'web-prod-01', ip: '10.0.0.1', status: 'up' });
    expect(body.servers[1]).toMatchObject({ id: 2, hostname: 'db-prod-01', ip: '10.0.0.2', status: 'down' });
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('accepts a trailing slash', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/' });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ count: number }>().count).toBe(2);
  });

  it('refuses an unknown query parameter with a 400 naming it, instead of listing everything', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?stauts=up' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toStrictEqual({
      error: 'Request validation failed: fix the fields listed in details',
      code: 'VALIDATION_FAILED',
      details: [
        {
          field: 'stauts',
          message:
            'is not a known query parameter; this route takes status, environment, role, location, os, hostname, ' +
            'ip, tag, managed_by, cidr, q, updated_since, last_seen_before, last_seen_after, sort, limit, offset, ' +
            'cursor, format',
        },
      ],
    });
  });
});

describe('GET /api/v1/servers with stored data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns an empty list and a count of 0 for an empty inventory', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({ servers: [], count: 0, next: null });
  });

  it('returns every stored field, tags as an array, and counts every server', async () => {
    const at = '2026-01-02T03:04:05.678Z';
    const common = { ...DEFAULT_FIELDS, created_at: at, updated_at: at };
    await insertServers(t.db, [
      { ...common, hostname: 'zeta', ip: '192.0.2.9', status: 'maintenance', environment: null, tags: [] },
      {
        ...common,
        hostname: 'alpha',
        ip: '2001:db8::1',
        status: 'decommissioned',
        environment: 'staging',
        role: 'cache',
        location: 'par-1',
        os: 'debian-12',
        tags: ['pci', 'edge'],
        notes: 'rack 4, "left" side',
      },
      { ...common, hostname: 'mid', ip: '192.0.2.10', status: 'up', environment: 'production', tags: [] },
    ]);

    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    const body = res.json<{ servers: ServerBody[]; count: number }>();
    expect(body.count).toBe(3);
    expect(body.servers.map((s) => s.hostname)).toStrictEqual(['zeta', 'alpha', 'mid']);
    expect(body.servers.map((s) => s.id)).toStrictEqual([1, 2, 3]);
    expect(body.servers[1]).toStrictEqual({
      id: 2,
      hostname: 'alpha',
      ip: '2001:db8::1',
      status: 'decommissioned',
      environment: 'staging',
      role: 'cache',
      location: 'par-1',
      os: 'debian-12',
      tags: ['pci', 'edge'],
      notes: 'rack 4, "left" side',
      managed_by: null,
      custom_fields: {},
      created_at: at,
      updated_at: at,
      last_seen_at: null,
    });
  });
});

describe('GET /api/v1/servers/:id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('returns the server with every field', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2' });
    expect(res.statusCode).toBe(200);
    const body = res.json<ServerBody>();
    expect(Object.keys(body).sort()).toStrictEqual(SERVER_KEYS);
    expect(body).toMatchObject({ id: 2, hostname: 'db-prod-01', ip: '10.0.0.2', status: 'down', tags: [] });
  });

  it('returns 404 with the JSON error for an unknown id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/999' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });
  });

  it('treats the largest storable id as a valid id (404, not 400)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2147483647' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ code: string }>().code).toBe('SERVER_NOT_FOUND');
  });

  it.each([
    ['abc', 'abc'],
    ['zero', '0'],
    ['a negative number', '-1'],
    ['a fraction', '1.5'],
    ['a trailing zero fraction', '1.0'],
    ['one past the largest storable id', '2147483648'],
    ['a number too large for any integer type', '99999999999999999999999'],
    ['hexadecimal', '0x10'],
    ['an exponent', '1e3'],
    ['a leading zero', '01'],
    ['a leading space', '%201'],
    ['a plus sign', '+1'],
    ['SQL', '1%20OR%201%3D1'],
  ])('returns 400 with the JSON error for an id that is %s', async (_what, id) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toStrictEqual({
      error: 'Request validation failed: fix the fields listed in details',
      code: 'VALIDATION_FAILED',
      details: [{ field: 'id', message: 'must be a positive integer no larger than 2147483647' }],
    });
  });

  it('refuses an unknown query parameter', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1?verbose=1' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ details: unknown }>().details).toStrictEqual([
      { field: 'verbose', message: 'is not a known query parameter: this route takes none' },
    ]);
  });
});
