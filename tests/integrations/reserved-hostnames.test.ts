// Host names that Ansible, or the controller's resolver, gives a meaning of their own are refused on
// every write: the Ansible feed would otherwise hand a server the controller's place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertServers } from '../../src/servers/servers.repository.js';
import { RESERVED_HOSTNAMES } from '../../src/servers/hostnames.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { serverRow } from '../helpers/servers.js';

interface ErrorBody {
  code: string;
  details?: { field: string; message: string }[];
}

const MESSAGE =
  `is reserved by Ansible or names the local machine (${RESERVED_HOSTNAMES.join(', ')}): ` + 'choose another host name';

const RESERVED = [
  'all',
  'ALL',
  'ungrouped',
  'localhost',
  'LocalHost',
  'web.localhost',
  'a.b.LOCALHOST',
  'localhost.localdomain',
  'db.localhost.localdomain',
  'localhost4',
  'localhost4.localdomain4',
  'localhost6',
  'Localhost6.Localdomain6',
  'ip6-localhost',
  'ip6-loopback',
];
const ALLOWED = [
  'all1',
  'allhosts',
  'ungrouped-2',
  'localhost-01',
  'my-localhost',
  'localhost.example',
  'localhost.localdomain.example',
  'localdomain',
  'localhost5',
  'localhost4.localdomain6',
  'ip6-localhost2',
];

let t: TestApp;
let count = 0;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(async () => {
  await t.app.close();
});

function write(method: 'POST' | 'PUT' | 'PATCH', url: string, payload: unknown) {
  return t.app.inject({
    method,
    url,
    headers: {
      ...AS_BOOTSTRAP,
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    },
    payload: JSON.stringify(payload),
  });
}

async function createOne(): Promise<{ id: number; etag: string }> {
  count += 1;
  const res = await write('POST', '/api/v1/servers', { hostname: `server-${count}`, ip: `192.0.2.${count}` });
  expect(res.statusCode).toBe(201);
  return { id: res.json<{ id: number }>().id, etag: String(res.headers.etag) };
}

async function storedState() {
  const servers = await t.db.selectFrom('servers').select(['id', 'hostname', 'version']).orderBy('id').execute();
  const changes = await t.db.selectFrom('server_changes').select('seq').execute();
  return { servers, changes: changes.length };
}

function expectRefused(res: Awaited<ReturnType<typeof write>>, field: string) {
  expect(res.statusCode).toBe(400);
  const body = res.json<ErrorBody>();
  expect(body.code).toBe('VALIDATION_FAILED');
  expect(body.details).toStrictEqual([{ field, message: MESSAGE }]);
}

describe('POST /api/v1/servers', () => {
  it.each(RESERVED)('refuses the host name %s with a 400 that says why, and writes nothing', async (hostname) => {
    const before = await storedState();
    expectRefused(await write('POST', '/api/v1/servers', { hostname, ip: '198.51.100.1' }), 'hostname');
    expect(await storedState()).toStrictEqual(before);
  });

  it.each(ALLOWED)('accepts the host name %s, which only resembles a reserved one', async (hostname) => {
    count += 1;
    const res = await write('POST', '/api/v1/servers', { hostname, ip: `198.51.101.${count}` });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('keeps the RFC 1123 message for a host name that is no host name at all', async () => {
    const res = await write('POST', '/api/v1/servers', { hostname: 'local_host', ip: '198.51.100.200' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().details).toStrictEqual([
      { field: 'hostname', message: expect.stringMatching(/^must be an RFC 1123 host name/) as unknown },
    ]);
  });

  it('refuses a batch that holds reserved host names, naming each, and writes none of the batch', async () => {
    const before = await storedState();
    const res = await write('POST', '/api/v1/servers', [
      { hostname: 'batch-ok-1', ip: '203.0.113.1' },
      { hostname: 'localhost', ip: '203.0.113.2' },
      { hostname: 'batch-ok-3', ip: '203.0.113.3' },
      { hostname: 'Ungrouped', ip: '203.0.113.4' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().details).toStrictEqual([
      { field: '[1].hostname', message: MESSAGE },
      { field: '[3].hostname', message: MESSAGE },
    ]);
    expect(await storedState()).toStrictEqual(before);
  });
});

describe('PUT /api/v1/servers/:id', () => {
  it('refuses a reserved host name and leaves the server as it was', async () => {
    const { id, etag } = await createOne();
    const before = await storedState();
    expectRefused(
      await write('PUT', `/api/v1/servers/${id}`, { hostname: 'localhost', ip: '192.0.2.250' }),
      'hostname',
    );
    expect(await storedState()).toStrictEqual(before);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}` })).headers.etag).toBe(etag);
  });
});

describe('PATCH /api/v1/servers/:id', () => {
  it.each(['all', 'LOCALHOST', 'web.localhost'])(
    'refuses the host name %s and leaves the server as it was',
    async (hostname) => {
      const { id, etag } = await createOne();
      const before = await storedState();
      expectRefused(await write('PATCH', `/api/v1/servers/${id}`, { hostname }), 'hostname');
      expect(await storedState()).toStrictEqual(before);
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}` })).headers.etag).toBe(etag);
    },
  );
});

describe('a server stored with a reserved host name before the rule', () => {
  it('can be found with the hostname filter, patched, and renamed', async () => {
    const [row] = await insertServers(t.db, [serverRow({ hostname: 'localhost', ip: '192.0.2.240' })]);
    const found = await t.app.inject({ method: 'GET', url: '/api/v1/servers?hostname=localhost' });
    expect(found.statusCode).toBe(200);
    expect(found.json<{ servers: { id: number }[] }>().servers.map((s) => s.id)).toStrictEqual([row?.id]);
    const patched = await write('PATCH', `/api/v1/servers/${row?.id}`, { role: 'legacy' });
    expect(patched.statusCode).toBe(200);
    const renamed = await write('PATCH', `/api/v1/servers/${row?.id}`, { hostname: 'legacy-01' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json<{ hostname: string }>().hostname).toBe('legacy-01');
  });
});
