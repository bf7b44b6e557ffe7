import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

type ServerBody = Server;
interface ErrorBody {
  error: string;
  code: string;
  details?: { field: string; message: string }[];
}

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.app.close();
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: { ...AS_BOOTSTRAP, ...headers },
    payload: payload as object,
  });
}
async function countServers(): Promise<number> {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/servers' })).json<{ count: number }>().count;
}
async function countChanges(): Promise<number> {
  const row = await t.db
    .selectFrom('server_changes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

describe('POST /api/v1/servers', () => {
  it('creates a server with defaults and answers 201 with Location and ETag', async () => {
    const res = await post({ hostname: 'Cache-01.Example.com', ip: '2001:DB8:0:0:0:0:0:1' });
    expect(res.statusCode).toBe(201);
    const body = res.json<ServerBody>();
    expect(body).toMatchObject({
      id: 3,
      hostname: 'cache-01.example.com',
      ip: '2001:db8::1',
      status: 'up',
      environment: null,
      role: null,
      location: null,
      os: null,
      tags: [],
      notes: null,
    });
    expect(body.created_at).toBe(body.updated_at);
    expect(res.headers.location).toBe('/api/v1/servers/3');
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);

    const fetched = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3' });
    expect(fetched.json()).toStrictEqual(body);
    expect(fetched.headers.etag).toBe(res.headers.etag);
  });

  it('stores every field it is given', async () => {
    const input = {
      hostname: 'db-02',
      ip: '192.0.2.10',
      status: 'maintenance',
      environment: 'staging',
      role: 'database',
      location: 'Zürich DC 2',
      os: 'debian-12',
      tags: ['pci', 'postgres-16', 'a.b_c-d'],
      notes: 'Line one\nLine "two"',
    };
    const res = await post(input);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject(input);
  });

  it('creates an array of servers in one go and answers 201 with the array', async () => {
    const res = await post([
      { hostname: 'a-1', ip: '192.0.2.1' },
      { hostname: 'a-2', ip: '192.0.2.2', tags: ['x'] },
      { hostname: 'a-3', ip: 'fd00::3' },
    ]);
    expect(res.statusCode).toBe(201);
    const body = res.json<ServerBody[]>();
    expect(body.map((s) => [s.id, s.hostname, s.ip])).toStrictEqual([
      [3, 'a-1', '192.0.2.1'],
      [4, 'a-2', '192.0.2.2'],
      [5, 'a-3', 'fd00::3'],
    ]);
    expect(await countServers()).toBe(5);
  });

  it('creates 1000 servers in one request', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ hostname: `bulk-${i}`, ip: `10.1.${i >> 8}.${i & 255}` }));
    const res = await post(batch);
    expect(res.statusCode).toBe(201);
    expect(res.json<ServerBody[]>()).toHaveLength(1000);
    expect(await countServers()).toBe(1002);
  });

  it.each([
    ['an empty array', []],
    [
      'more than 1000 servers',
      Array.from({ length: 1001 }, (_, i) => ({ hostname: `h${i}`, ip: `10.2.${i >> 8}.${i & 255}` })),
    ],
  ])('refuses %s with a 400 and writes nothing', async (_what, payload) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().code).toBe('VALIDATION_FAILED');
    expect(await countServers()).toBe(2);
  });

  it('names the index of every bad item of an array and writes none of them', async () => {
    const changesBefore = await countChanges();
    const res = await post([
      { hostname: 'good-1', ip: '192.0.2.1' },
      { hostname: 'bad_host', ip: '192.0.2.2' },
      { hostname: 'good-3', ip: '192.0.2.3' },
      { hostname: 'good-4', ip: '999.0.0.1', colour: 'red' },
    ]);
    expect(res.statusCode).toBe(400);
    const fields = res.json<ErrorBody>().details?.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['[1].hostname', '[3].ip', '[3].colour']));
    expect(fields).toHaveLength(3);
    expect(await countServers()).toBe(2);
    expect(await countChanges()).toBe(changesBefore);
  });

  it('refuses an array whose items clash with the store or with each other, all or nothing', async () => {
    const res = await post([
      { hostname: 'new-1', ip: '192.0.2.1' },
      { hostname: 'new-2', ip: '192.0.2.2' },
      { hostname: 'WEB-PROD-01', ip: '192.0.2.3' },
      { hostname: 'new-1', ip: '192.0.2.4' },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json<ErrorBody>()).toStrictEqual({
      error: 'Conflicts with an existing server: the fields in details are taken; choose other values',
      code: 'SERVER_CONFLICT',
      details: [
        { field: '[3].hostname', message: 'repeats item 0' },
        { field: '[2].hostname', message: 'is already used by server 1' },
      ],
    });
    expect(await countServers()).toBe(2);
  });

  it('treats host names case-insensitively and addresses by their canonical form', async () => {
    expect((await post({ hostname: 'Web-Prod-01', ip: '192.0.2.1' })).statusCode).toBe(409);
    expect((await post({ hostname: 'v6', ip: '2001:db8::1' })).statusCode).toBe(201);
    const clash = await post({ hostname: 'v6-again', ip: '2001:0DB8:0000::0001' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json<ErrorBody>().details).toStrictEqual([{ field: 'ip', message: 'is already used by server 3' }]);
  });

  it.each([
    ['hostname', 'with_underscore'],
    ['hostname', 'trailing.dot.'],
    ['hostname', '-starts-with-hyphen'],
    ['hostname', 'ends-with-hyphen-'],
    ['hostname', 'empty..label'],
    ['hostname', ''],
    ['hostname', 'has space'],
    ['hostname', 'ünicode'],
    ['hostname', `${'a'.repeat(64)}.example`],
    ['hostname', Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.') + '.ab'],
    ['hostname', 42],
    ['ip', '010.0.0.1'],
    ['ip', '10.0.0'],
    ['ip', '256.1.1.1'],
    ['ip', '10.0.0.1/24'],
    ['ip', 'fe80::1%eth0'],
    ['ip', '::ffff:10.0.0.1'],
    ['ip', '2001:db8::g'],
    ['ip', 'localhost'],
    ['status', 'broken'],
    ['status', null],
    ['hostname', '10.0.0.99'],
    ['hostname', '42'],
    ['environment', ''],
    ['environment', '   '],
    ['environment', 'eu,west'],
    ['environment', 'prod '],
    ['environment', ' prod'],
    ['environment', '(none)'],
    ['role', '__proto__'],
    ['environment', 'x'.repeat(65)],
    ['role', 'bell\u0007'],
    ['location', 'tab\there'],
    ['os', 17],
    ['tags', Array.from({ length: 33 }, (_, i) => `t${i}`)],
    ['tags', ['dup', 'dup']],
    ['tags', ['Upper']],
    ['tags', ['-lead']],
    ['tags', ['x'.repeat(64)]],
    ['tags', 'not-an-array'],
    ['notes', 'n'.repeat(4097)],
    ['id', 7],
    ['created_at', '2026-01-01T00:00:00.000Z'],
    ['updated_at', '2026-01-01T00:00:00.000Z'],
    ['nickname', 'unknown field'],
  ])('refuses %s = %j with a 400 naming the field, and writes nothing', async (field, value) => {
    const res = await post({ hostname: 'valid-host', ip: '192.0.2.50', [field]: value });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBody>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details?.some((d) => d.field === field || d.field.startsWith(`${field}[`))).toBe(true);
    expect(await countServers()).toBe(2);
  });

  it.each([
    ['hostname', Array.from({ length: 3 }, () => 'a'.repeat(63)).join('.') + '.' + 'b'.repeat(61)],
    ['hostname', 'x'],
    ['hostname', '1.2.3.4.example'],
    ['ip', '0.0.0.0'],
    ['ip', '::'],
    ['environment', 'x'.repeat(64)],
    ['location', 'Zürich — Hall B'],
    ['tags', Array.from({ length: 32 }, (_, i) => `t${i}`)],
    ['tags', ['0', 'a'.repeat(63)]],
    ['notes', 'n'.repeat(4096)],
    ['notes', null],
  ])('accepts the edge value %s = %j', async (field, value) => {
    const res = await post({ hostname: 'valid-host', ip: '192.0.2.50', [field]: value });
    expect(res.statusCode).toBe(201);
  });

  it('names every missing required field', async () => {
    const res = await post({ status: 'up' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().details).toEqual(
      expect.arrayContaining([
        { field: 'hostname', message: 'is required' },
        { field: 'ip', message: 'is required' },
      ]),
    );
  });

  it('says that read-only fields are read-only', async () => {
    const res = await post({ hostname: 'h', ip: '192.0.2.9', id: 1 });
    expect(res.json<ErrorBody>().details).toStrictEqual([{ field: 'id', message: 'is read-only' }]);
  });

  it('refuses a body that is JSON but not a server', async () => {
    for (const payload of ['"a string"', '42', 'null', '[1, 2]']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: { ...AS_BOOTSTRAP, 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      expect(res.json<ErrorBody>().code, payload).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses malformed JSON (400), a body that is not JSON (415), merge-patch on POST (415) and over 1 MiB (413)', async () => {
    const send = (contentType: string, payload: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: { ...AS_BOOTSTRAP, 'content-type': contentType },
        payload,
      });
    const malformed = await send('application/json', '{"hostname": "x",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ErrorBody>().code).toBe('INVALID_JSON');
    const text = await send('text/plain', 'hostname=x');
    expect(text.statusCode).toBe(415);
    expect(text.json<ErrorBody>().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const form = await send('application/x-www-form-urlencoded', 'hostname=x');
    expect(form.statusCode).toBe(415);
    const mergePatch = await send('application/merge-patch+json', '{"hostname":"x","ip":"192.0.2.1"}');
    expect(mergePatch.statusCode).toBe(415);
    const huge = await send(
      'application/json',
      JSON.stringify({ hostname: 'x', ip: '192.0.2.1', notes: 'n'.repeat(1_100_000) }),
    );
    expect(huge.statusCode).toBe(413);
    expect(huge.json<ErrorBody>().code).toBe('PAYLOAD_TOO_LARGE');
    expect(await countServers()).toBe(2);
  });

  it('refuses a body with a __proto__ key', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: { ...AS_BOOTSTRAP, 'content-type': 'application/json' },
      payload: '{"hostname":"p","ip":"192.0.2.1","__proto__":{"status":"down"}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().code).toBe('INVALID_JSON');
  });

  it('names the index in a one-item array too', async () => {
    const res = await post([{ hostname: 'web-prod-01', ip: '192.0.2.1' }]);
    expect(res.statusCode).toBe(409);
    expect(res.json<ErrorBody>().details).toStrictEqual([
      { field: '[0].hostname', message: 'is already used by server 1' },
    ]);
    const created = await post([{ hostname: 'solo', ip: '192.0.2.1' }]);
    expect(created.statusCode).toBe(201);
    expect(created.json<ServerBody[]>().map((s) => s.hostname)).toStrictEqual(['solo']);
  });

  it('never hands out the id of a deleted server again', async () => {
    await t.app.inject({ method: 'DELETE', url: '/api/v1/servers/2', headers: AS_BOOTSTRAP });
    const res = await post({ hostname: 'after-delete', ip: '192.0.2.1' });
    expect(res.json<ServerBody>().id).toBe(3);
  });

  it('refuses query parameters on writes', async () => {
    const res = await post({ hostname: 'q', ip: '192.0.2.1' }, {});
    expect(res.statusCode).toBe(201);
    for (const [method, url] of [
      ['POST', '/api/v1/servers?dry_run=1'],
      ['PUT', '/api/v1/servers/1?force=1'],
      ['PATCH', '/api/v1/servers/1?force=1'],
      ['DELETE', '/api/v1/servers/1?force=1'],
    ] as const) {
      const refused = await t.app.inject({
        method,
        url,
        headers: AS_BOOTSTRAP,
        ...(method === 'DELETE' ? {} : { payload: { hostname: 'web-prod-01', ip: '10.0.0.1' } }),
      });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json<ErrorBody>().details?.[0]?.message).toBe(
        'is not a known query parameter: this route takes none',
      );
    }
  });

  it('gives concurrent creates of one host name one 201 and 409s', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post({ hostname: 'contested', ip: `192.0.2.${100 + i}` })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toStrictEqual([201, ...Array<number>(9).fill(409)]);
  });
});

describe('PUT /api/v1/servers/:id', () => {
  it('replaces the server: omitted fields go back to their defaults, the ETag changes', async () => {
    const created = await post({ hostname: 'r', ip: '192.0.2.1', role: 'web', tags: ['a'], notes: 'n' });
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/servers/3',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'r2', ip: '192.0.2.2', status: 'down' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: 3,
      hostname: 'r2',
      ip: '192.0.2.2',
      status: 'down',
      role: null,
      tags: [],
      notes: null,
      created_at: created.json<ServerBody>().created_at,
    });
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers.etag).not.toBe(created.headers.etag);
    const fetched = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3' });
    expect(fetched.headers.etag).toBe(res.headers.etag);
  });

  it('changes nothing, not even the ETag or the history, when the content is the same', async () => {
    const before = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' });
    const changes = await countChanges();
    const body = before.json<ServerBody>();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/servers/1',
      headers: AS_BOOTSTRAP,
      payload: { hostname: body.hostname, ip: body.ip, status: body.status, environment: 'production', role: 'web' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe(before.headers.etag);
    expect(res.json()).toStrictEqual(body);
    expect(await countChanges()).toBe(changes);
  });

  it('requires hostname and ip', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/servers/1',
      headers: AS_BOOTSTRAP,
      payload: { status: 'up' },
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json<ErrorBody>()
        .details?.map((d) => d.field)
        .sort(),
    ).toStrictEqual(['hostname', 'ip']);
  });

  it("answers 409 for another server's host name and keeps the server's own", async () => {
    const clash = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/servers/2',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'web-prod-01', ip: '10.0.0.2' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json<ErrorBody>().details).toStrictEqual([
      { field: 'hostname', message: 'is already used by server 1' },
    ]);
    const keep = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/servers/2',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'db-prod-01', ip: '10.0.0.2', status: 'up' },
    });
    expect(keep.statusCode).toBe(200);
  });

  it('answers 404 for an unknown server and 400 for a malformed id', async () => {
    const payload = { hostname: 'x', ip: '192.0.2.1' };
    expect(
      (await t.app.inject({ method: 'PUT', url: '/api/v1/servers/999', headers: AS_BOOTSTRAP, payload })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'PUT', url: '/api/v1/servers/abc', headers: AS_BOOTSTRAP, payload })).statusCode,
    ).toBe(400);
  });
});

describe('PATCH /api/v1/servers/:id', () => {
  function patch(payload: unknown, headers: Record<string, string> = {}, id = 1) {
    return t.app.inject({
      method: 'PATCH',
      url: `/api/v1/servers/${id}`,
      headers: { ...AS_BOOTSTRAP, 'content-type': 'application/merge-patch+json', ...headers },
      payload: JSON.stringify(payload),
    });
  }

  it('applies a merge patch: absent fields stay, null clears, arrays are replaced', async () => {
    await patch({ tags: ['a', 'b'], notes: 'hello', location: 'par-1' });
    const res = await patch({ notes: null, tags: ['c'], status: 'maintenance' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      hostname: 'web-prod-01',
      ip: '10.0.0.1',
      status: 'maintenance',
      environment: 'production',
      location: 'par-1',
      tags: ['c'],
      notes: null,
    });
    const cleared = await patch({ tags: null });
    expect(cleared.json<ServerBody>().tags).toStrictEqual([]);
  });

  it('answers with the new ETag, the one a GET then gives', async () => {
    const res = await patch({ role: 'api' });
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    const fetched = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' });
    expect(fetched.headers.etag).toBe(res.headers.etag);
  });

  it('refuses a malformed (400), empty (400) or oversized (413) merge-patch body', async () => {
    const send = (payload: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/1',
        headers: { ...AS_BOOTSTRAP, 'content-type': 'application/merge-patch+json; charset=utf-8' },
        payload,
      });
    const malformed = await send('{"notes": ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ErrorBody>().code).toBe('INVALID_JSON');
    const empty = await send('');
    expect(empty.statusCode).toBe(400);
    expect(empty.json<ErrorBody>().code).toBe('INVALID_JSON');
    const huge = await send(JSON.stringify({ notes: 'n'.repeat(1_100_000) }));
    expect(huge.statusCode).toBe(413);
    const poisoned = await send('{"__proto__": {"notes": "x"}}');
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json<ErrorBody>().code).toBe('INVALID_JSON');
  });

  it('accepts application/json too', async () => {
    const res = await patch({ os: 'debian-13' }, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json<ServerBody>().os).toBe('debian-13');
  });

  it('moves updated_at and keeps created_at', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).json<ServerBody>();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = (await patch({ role: 'api' })).json<ServerBody>();
    expect(after.created_at).toBe(before.created_at);
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
  });

  it.each([
    ['hostname', null],
    ['ip', null],
    ['status', null],
    ['ip', '1.2.3'],
    ['id', 1],
    ['extra', true],
  ])('refuses %s = %j', async (field, value) => {
    const res = await patch({ [field]: value });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().details?.map((d) => d.field)).toContain(field);
  });

  it("answers 409 when the patch takes another server's address", async () => {
    const res = await patch({ ip: '10.0.0.2' });
    expect(res.statusCode).toBe(409);
  });

  it('answers 404 for an unknown server', async () => {
    expect((await patch({ notes: 'x' }, {}, 999)).statusCode).toBe(404);
  });
});

describe('DELETE /api/v1/servers/:id', () => {
  it('answers 204, then 404 for the server, and keeps its history', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/servers/2', headers: AS_BOOTSTRAP });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/2' })).statusCode).toBe(404);
    const again = await t.app.inject({ method: 'DELETE', url: '/api/v1/servers/2', headers: AS_BOOTSTRAP });
    expect(again.statusCode).toBe(404);
    expect(again.json<ErrorBody>().code).toBe('SERVER_NOT_FOUND');
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2/history' });
    expect(history.statusCode).toBe(200);
    expect(history.json<{ changes: { action: string }[] }>().changes.map((c) => c.action)).toStrictEqual([
      'create',
      'delete',
    ]);
    expect(await countServers()).toBe(1);
  });
});

describe('conditional requests', () => {
  async function etag(id = 1): Promise<string> {
    const value = (await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}` })).headers.etag;
    if (typeof value !== 'string') {
      throw new Error('no ETag');
    }
    return value;
  }

  it('GET answers 304 without a body for a current If-None-Match, 200 otherwise', async () => {
    const current = await etag();
    for (const header of [current, `W/${current}`, `"nope", ${current}`, '*']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1', headers: { 'if-none-match': header } });
      expect(res.statusCode, header).toBe(304);
      expect(res.body, header).toBe('');
      expect(res.headers.etag, header).toBe(current);
    }
    const stale = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers/1',
      headers: { 'if-none-match': '"1-0"' },
    });
    expect(stale.statusCode).toBe(200);
  });

  it('gives every server its own ETag, and a new one after every change', async () => {
    const one = await etag(1);
    expect(await etag(2)).not.toBe(one);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/servers/1', headers: AS_BOOTSTRAP, payload: { notes: 'x' } });
    const two = await etag(1);
    expect(two).not.toBe(one);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/servers/1', headers: AS_BOOTSTRAP, payload: { notes: 'y' } });
    expect(await etag(1)).not.toBe(two);
  });

  it.each(['PUT', 'PATCH', 'DELETE'] as const)(
    '%s with a stale If-Match answers 412 and writes nothing',
    async (method) => {
      const current = await etag();
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/servers/1',
        headers: AS_BOOTSTRAP,
        payload: { notes: 'moved on' },
      });
      const changes = await countChanges();
      const res = await t.app.inject({
        method,
        url: '/api/v1/servers/1',
        headers: { ...AS_BOOTSTRAP, 'if-match': current },
        ...(method === 'DELETE' ? {} : { payload: { hostname: 'web-prod-01', ip: '10.0.0.1', notes: 'mine' } }),
      });
      expect(res.statusCode).toBe(412);
      expect(res.json<ErrorBody>().code).toBe('PRECONDITION_FAILED');
      expect(await countChanges()).toBe(changes);
      const now = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).json<ServerBody>();
      expect(now.notes).toBe('moved on');
    },
  );

  it.each(['PUT', 'PATCH', 'DELETE'] as const)('%s with the current If-Match (or *) goes ahead', async (method) => {
    for (const header of [await etag(), '*']) {
      const res = await t.app.inject({
        method,
        url: '/api/v1/servers/1',
        headers: { ...AS_BOOTSTRAP, 'if-match': header },
        ...(method === 'DELETE' ? {} : { payload: { hostname: 'web-prod-01', ip: '10.0.0.1', notes: header } }),
      });
      expect(res.statusCode).toBe(method === 'DELETE' ? 204 : 200);
      if (method === 'DELETE') {
        break;
      }
    }
  });

  it('answers 412 to If-Match on a server that does not exist, 404 without it', async () => {
    for (const header of ['*', '"999-1"']) {
      const res = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/servers/999',
        headers: { ...AS_BOOTSTRAP, 'if-match': header },
      });
      expect(res.statusCode, header).toBe(412);
    }
    const plain = await t.app.inject({ method: 'DELETE', url: '/api/v1/servers/999', headers: AS_BOOTSTRAP });
    expect(plain.statusCode).toBe(404);
  });

  it('never matches a weak ETag in If-Match', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/1',
      headers: { ...AS_BOOTSTRAP, 'if-match': `W/${await etag()}` },
      payload: { notes: 'x' },
    });
    expect(res.statusCode).toBe(412);
  });

  it('lets exactly one of many concurrent updates carrying the same If-Match win', async () => {
    const current = await etag();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject({
          method: 'PATCH',
          url: '/api/v1/servers/1',
          headers: { ...AS_BOOTSTRAP, 'if-match': current },
          payload: { notes: `writer ${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const winner = results.find((r) => r.statusCode === 200)?.json<ServerBody>().notes;
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).json<ServerBody>().notes).toBe(winner);
  });
});
