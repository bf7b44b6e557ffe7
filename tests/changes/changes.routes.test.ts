import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';

interface ChangeBody {
  seq: number;
  server_id: number;
  action: string;
  at: string;
  actor: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
  // Create 3, update it twice, delete server 2.
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: AS_BOOTSTRAP,
    payload: { hostname: 'feed-1', ip: '192.0.2.1', tags: ['a'] },
  });
  await t.app.inject({
    method: 'PATCH',
    url: '/api/v1/servers/3',
    headers: AS_BOOTSTRAP,
    payload: { status: 'down', tags: ['a', 'b'] },
  });
  await t.app.inject({ method: 'PATCH', url: '/api/v1/servers/3', headers: AS_BOOTSTRAP, payload: { notes: 'n' } });
  await t.app.inject({ method: 'DELETE', url: '/api/v1/servers/2', headers: AS_BOOTSTRAP });
});
afterEach(async () => {
  await t.app.close();
});

async function feed(query = ''): Promise<ChangeBody[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes${query}` });
  expect(res.statusCode).toBe(200);
  return res.json<{ changes: ChangeBody[] }>().changes;
}

describe('GET /api/v1/servers/:id/history', () => {
  it("lists a server's changes oldest first, with actor and from/to of each changed field", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3/history' });
    expect(res.statusCode).toBe(200);
    const changes = res.json<{ changes: ChangeBody[] }>().changes;
    expect(changes.map((c) => [c.action, c.actor, c.server_id])).toStrictEqual([
      ['create', 'bootstrap', 3],
      ['update', 'bootstrap', 3],
      ['update', 'bootstrap', 3],
    ]);
    expect(changes[0]?.changes).toStrictEqual({
      hostname: { from: null, to: 'feed-1' },
      ip: { from: null, to: '192.0.2.1' },
      status: { from: null, to: 'up' },
      tags: { from: null, to: ['a'] },
    });
    expect(changes[1]?.changes).toStrictEqual({
      status: { from: 'up', to: 'down' },
      tags: { from: ['a'], to: ['a', 'b'] },
    });
    expect(changes[2]?.changes).toStrictEqual({ notes: { from: null, to: 'n' } });
    const seqs = changes.map((c) => c.seq);
    expect([...seqs].sort((a, b) => a - b)).toStrictEqual(seqs);
  });

  it('still answers after the server is deleted, ending with the delete', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2/history' });
    expect(res.statusCode).toBe(200);
    const changes = res.json<{ changes: ChangeBody[] }>().changes;
    expect(changes.map((c) => c.action)).toStrictEqual(['create', 'delete']);
    expect(changes[0]?.actor).toBe('system');
    expect(changes[1]?.changes.hostname).toStrictEqual({ from: 'db-prod-01', to: null });
  });

  it('answers an empty history for a server that exists but has none (added outside the API)', async () => {
    await t.db.deleteFrom('server_changes').where('server_id', '=', 1).execute();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1/history' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({ changes: [] });
  });

  it('answers 404 for a server that never existed and 400 for a malformed id', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/servers/999/history' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toStrictEqual({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/x/history' })).statusCode).toBe(400);
  });
});

describe('GET /api/v1/changes', () => {
  it('lists every change of the inventory in seq order, deletes and the seeded servers included', async () => {
    const changes = await feed();
    expect(changes.map((c) => [c.server_id, c.action])).toStrictEqual([
      [1, 'create'],
      [2, 'create'],
      [3, 'create'],
      [3, 'update'],
      [3, 'update'],
      [2, 'delete'],
    ]);
    expect(changes.map((c) => c.seq)).toStrictEqual([1, 2, 3, 4, 5, 6]);
  });

  it('pages with after and limit, so that a poller misses nothing', async () => {
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = await feed(`?after=${after}&limit=4`);
      if (page.length === 0) {
        break;
      }
      expect(page.length).toBeLessThanOrEqual(4);
      seen.push(...page.map((c) => c.seq));
      after = page[page.length - 1]?.seq ?? after;
    }
    expect(seen).toStrictEqual([1, 2, 3, 4, 5, 6]);
    expect(await feed('?after=6')).toStrictEqual([]);
    expect(await feed('?after=99')).toStrictEqual([]);
  });

  it('lists the latest first with order=desc, and pages back with before', async () => {
    expect((await feed('?order=desc&limit=4')).map((c) => c.seq)).toStrictEqual([6, 5, 4, 3]);
    expect((await feed('?order=desc&before=3&limit=4')).map((c) => c.seq)).toStrictEqual([2, 1]);
    expect(await feed('?order=desc&before=1')).toStrictEqual([]);
    // The bounds together, in either order; asc stays the default.
    expect((await feed('?after=2&before=6&order=desc')).map((c) => c.seq)).toStrictEqual([5, 4, 3]);
    expect((await feed('?after=2&before=6')).map((c) => c.seq)).toStrictEqual([3, 4, 5]);
    expect((await feed('?before=3&order=asc')).map((c) => c.seq)).toStrictEqual([1, 2]);
  });

  it.each([
    '?after=-1',
    '?after=abc',
    '?after=1.5',
    '?limit=0',
    '?limit=1001',
    '?limit=x',
    '?since=3',
    '?before=0',
    '?before=2147483648',
    '?order=newest',
  ])('refuses %s with a 400', async (query) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['?after=10&before=5', 'at least 12 with after=10'],
    ['?after=5&before=6', 'at least 7 with after=5'],
    ['?after=3&before=1&order=desc', 'at least 5 with after=3'],
  ])('refuses %s, bounds with no seq between them, naming before', async (query, bound) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'before', message: `must be greater than after + 1 (${bound}): no seq lies between them` }],
    });
    // One seq between them is a page; before=1 alone (after 0) is the empty page before the first change.
    expect((await feed('?after=5&before=7')).map((c) => c.seq)).toStrictEqual([6]);
    expect(await feed('?after=0&before=1')).toStrictEqual([]);
  });

  it.each([
    ['/api/v1/changes?order=desc&order=asc', 'order', 2],
    ['/api/v1/changes?limit=5&limit=6&limit=7', 'limit', 3],
    ['/api/v1/changes?before=3&before=4', 'before', 2],
    // The same for every route's parameters that take one value.
    ['/api/v1/servers?sort=id&sort=hostname', 'sort', 2],
  ])('says that %s gives a parameter more than once', async (url, field, times) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field, message: `was given ${String(times)} times: give it once` }],
    });
  });
});
