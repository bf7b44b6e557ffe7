// The server's state in each change (`server`): every write path records the server exactly as
// GET /api/v1/servers/{id} answers it after the change (before it, for a delete), on the database the
// suite runs on. Changes recorded before the column existed answer null.
import type { Kysely, KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { applyRequests } from '../helpers/apply.js';
import { type TestApp, buildTestApp, writeAsBootstrap } from '../helpers/build-test-app.js';

interface ChangeBody {
  seq: number;
  server_id: number;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  server: Record<string, unknown> | null;
}

let t: TestApp;
/** Queries run since the last reset, and the reads among them, counted by a plugin on the app's database. */
let queries = 0;
let reads = 0;
const counting: KyselyPlugin = {
  transformQuery(args) {
    queries += 1;
    reads += args.node.kind === 'SelectQueryNode' ? 1 : 0;
    return args.node;
  },
  transformResult(args) {
    return Promise.resolve(args.result);
  },
};
const { applied } = applyRequests(() => t.app);

beforeEach(async () => {
  t = await buildTestApp({ wrapDb: (db) => db.withPlugin(counting) });
});
afterEach(async () => {
  await t.app.close();
});

const write = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  writeAsBootstrap(t.app, method, url, payload);

/** GET /api/v1/servers/{id}'s body as sent: the text the changes must hold. */
async function served(id: number): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

/** The changes after `after`, as the feed answers them. */
async function feed(after = 0): Promise<ChangeBody[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/changes?after=${after}&limit=1000` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ changes: ChangeBody[] }>().changes;
}

/** The last seq of the feed. */
async function lastSeq(): Promise<number> {
  return (await feed()).at(-1)?.seq ?? 0;
}

/** The stored state of each change after `after`, by seq: the column's own text. */
async function storedStates(after: number): Promise<Map<number, string | null>> {
  const rows = await t.db
    .selectFrom('server_changes')
    .select(['seq', 'server'])
    .where('seq', '>', after)
    .orderBy('seq')
    .execute();
  return new Map(rows.map((row) => [row.seq, row.server]));
}

/** Asserts that the changes after `after` are these, each holding exactly `state` of its server. */
async function expectStates(after: number, expected: { id: number; action: string; state: string }[]) {
  const changes = await feed(after);
  expect(changes.map((c) => [c.server_id, c.action])).toStrictEqual(expected.map((e) => [e.id, e.action]));
  const stored = await storedStates(after);
  for (const [i, change] of changes.entries()) {
    const state = expected[i]?.state ?? '';
    // The column holds the very text GET answered; the feed gives it back as the same object.
    expect(stored.get(change.seq), `seq ${change.seq}`).toBe(state);
    expect(change.server, `seq ${change.seq}`).toStrictEqual(JSON.parse(state));
  }
}

const CUSTOM = { name: 'rack', type: 'string' };

describe("the server's state in each change", () => {
  it('records the sample servers as GET answers them', async () => {
    const changes = await feed();
    expect(changes.map((c) => c.action)).toStrictEqual(['create', 'create']);
    for (const change of changes) {
      expect(JSON.stringify(change.server)).toBe(await served(change.server_id));
    }
  });

  it('records a create, a PUT and a PATCH with the server after, tags and custom fields included', async () => {
    await write('POST', '/custom-fields', CUSTOM);
    const start = await lastSeq();
    await write('POST', '/servers', {
      hostname: 'st-1',
      ip: '192.0.2.10',
      tags: ['b', 'a'],
      custom_fields: { rack: 'R1' },
    });
    const created = await served(3);
    await write('PUT', '/servers/3', { hostname: 'st-1', ip: '192.0.2.11', status: 'down', tags: ['c'] });
    const replaced = await served(3);
    await write('PATCH', '/servers/3', { notes: 'n', custom_fields: { rack: 'R2' } });
    const patched = await served(3);
    expect(JSON.parse(patched)).toMatchObject({ tags: ['c'], custom_fields: { rack: 'R2' }, notes: 'n' });
    await expectStates(start, [
      { id: 3, action: 'create', state: created },
      { id: 3, action: 'update', state: replaced },
      { id: 3, action: 'update', state: patched },
    ]);
  });

  it('records a delete with the server as it was before it', async () => {
    await write('PATCH', '/servers/2', { tags: ['db'], location: 'eu-1' });
    const before = await served(2);
    const start = await lastSeq();
    await write('DELETE', '/servers/2');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/servers/2' })).statusCode).toBe(404);
    await expectStates(start, [{ id: 2, action: 'delete', state: before }]);
    // The history route answers it too.
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/servers/2/history' });
    expect(history.json<{ changes: ChangeBody[] }>().changes.at(-1)?.server).toStrictEqual(JSON.parse(before));
  });

  it('records each server of a bulk create, without a query per server', async () => {
    const start = await lastSeq();
    const servers = Array.from({ length: 300 }, (_, i) => ({
      hostname: `bulk-${i}`,
      ip: `10.9.${i >> 8}.${i & 255}`,
      tags: i % 2 === 0 ? ['even'] : [],
    }));
    queries = 0;
    await write('POST', '/servers', servers);
    // A few statements per chunk of rows, whatever the number of servers.
    expect(queries).toBeLessThan(30);
    const states = await Promise.all(servers.map((_, i) => served(3 + i)));
    await expectStates(
      start,
      states.map((state, i) => ({ id: 3 + i, action: 'create', state })),
    );
  });

  it("records an apply's creates, updates and deletes: after, after and before", async () => {
    await applied({
      source: 'sync',
      servers: [
        { hostname: 'ap-1', ip: '192.0.2.21' },
        { hostname: 'ap-2', ip: '192.0.2.22' },
      ],
    });
    const gone = await served(4);
    const start = await lastSeq();
    await applied({
      source: 'sync',
      prune: true,
      servers: [
        { hostname: 'ap-1', ip: '192.0.2.21', status: 'down', tags: ['x'] },
        { hostname: 'ap-3', ip: '192.0.2.23' },
      ],
    });
    await expectStates(start, [
      { id: 4, action: 'delete', state: gone },
      { id: 3, action: 'update', state: await served(3) },
      { id: 5, action: 'create', state: await served(5) },
    ]);

    // The same apply with thirty times the servers reads no more: no server is read again for its state.
    const readsOf = async (source: string, n: number, net: number) => {
      const servers = Array.from({ length: 2 * n }, (_, i) => ({
        hostname: `${source}-${i}`,
        ip: `10.${net}.0.${i + 1}`,
      }));
      await applied({ source, servers });
      reads = 0;
      await applied({
        source,
        prune: true,
        servers: [
          ...servers.slice(0, n).map((server) => ({ ...server, status: 'down' })),
          ...servers.slice(0, n).map((server, i) => ({ hostname: `${source}-new-${i}`, ip: `10.${net}.1.${i + 1}` })),
        ],
      });
      return reads;
    };
    expect(await readsOf('few', 2, 8)).toBe(await readsOf('many', 60, 9));
  });

  it('records the servers a forced delete of a custom field rewrites, with their state after, in pages', async () => {
    await write('POST', '/custom-fields', CUSTOM);
    const servers = Array.from({ length: 120 }, (_, i) => ({
      hostname: `cf-${i}`,
      ip: `10.7.0.${i + 1}`,
      ...(i % 3 === 0 ? {} : { custom_fields: { rack: `R${i}` } }),
    }));
    await write('POST', '/servers', servers);
    const start = await lastSeq();
    queries = 0;
    await write('DELETE', '/custom-fields/rack?force=true');
    expect(queries).toBeLessThan(30);
    const holding = servers.flatMap((s, i) => (s.custom_fields === undefined ? [] : [3 + i]));
    const states = await Promise.all(holding.map((id) => served(id)));
    for (const state of states) {
      expect(JSON.parse(state)).toMatchObject({ custom_fields: {} });
    }
    await expectStates(
      start,
      holding.map((id, i) => ({ id, action: 'update', state: states[i] ?? '' })),
    );
  });

  it('records the servers a required field with a default fills, with their state after', async () => {
    const start = await lastSeq();
    await write('POST', '/custom-fields', {
      name: 'tier',
      type: 'enum',
      choices: ['a', 'b'],
      required: true,
      default: 'a',
    });
    const states = [await served(1), await served(2)];
    expect(JSON.parse(states[0] ?? '')).toMatchObject({ custom_fields: { tier: 'a' } });
    await expectStates(start, [
      { id: 1, action: 'update', state: states[0] ?? '' },
      { id: 2, action: 'update', state: states[1] ?? '' },
    ]);
  });

  it('answers null for changes recorded before the state was kept, in the feed and the history', async () => {
    // As the previous revision writes them during a rolling update: without the column.
    const raw = t.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await raw
      .insertInto('server_changes')
      .values({ server_id: 1, action: 'update', at: '2026-01-01T00:00:00.000Z', actor: 'old', changes: '{}' })
      .execute();
    const last = (await feed()).at(-1);
    expect(last).toMatchObject({ server_id: 1, actor: 'old', server: null });
    const history = await t.app.inject({ method: 'GET', url: '/api/v1/servers/1/history' });
    const changes = history.json<{ changes: ChangeBody[] }>().changes;
    expect(changes.map((c) => c.server === null)).toStrictEqual([false, true]);
  });
});

// The type of `server_changes.server` on insert is a string: a write that forgets the state does not
// compile (checked by `tsc`, which runs over the tests too).
export function forgetsTheState(db: Kysely<Database>) {
  return (
    db
      .insertInto('server_changes')
      // @ts-expect-error server is required on insert
      .values({ server_id: 1, action: 'create', at: '', actor: '', changes: '{}' })
  );
}
