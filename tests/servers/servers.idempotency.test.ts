import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely, KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChangesService } from '../../src/changes/changes.service.js';
import { writeTransaction } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { appError } from '../../src/errors.js';
import {
  ABANDONED_AFTER_MS,
  type Answer,
  KEY_LIFETIME_MS,
  PURGE_BATCH,
  type RecordAnswer,
  createIdempotencyService,
  fingerprintOf,
} from '../../src/idempotency/idempotency.service.js';
import { purgeExpiredQuery } from '../../src/idempotency/idempotency.repository.js';
import { createServersService } from '../../src/servers/servers.service.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl } from '../helpers/database.js';
import { compilers } from '../helpers/sql.js';

const UUID = '8e03978e-40d5-43e8-bc93-6894a57f9324';
/** The key as the draft writes it: a Structured Field string. */
const KEY = `"${UUID}"`;
const START = new Date('2026-06-01T10:00:00.000Z');

interface ErrorBody {
  error: string;
  code: string;
  details?: { field: string; message: string }[];
}

let clock: Date;
const now = () => clock;
const later = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

let t: TestApp;
beforeEach(async () => {
  clock = START;
  t = await buildTestApp({ now });
});
afterEach(async () => {
  await t.app.close();
});

function post(
  payload: unknown,
  headers: Record<string, string> = { 'idempotency-key': KEY },
  app: FastifyInstance = t.app,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: { ...AS_BOOTSTRAP, 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function count(db: Kysely<Database>, table: 'servers' | 'server_changes' | 'idempotency_keys'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The numbers of servers and history rows, to show what a request added. */
async function totals(db: Kysely<Database> = t.db) {
  return { servers: await count(db, 'servers'), changes: await count(db, 'server_changes') };
}

/** What a replay must repeat of an answer. */
function answerOf(res: LightMyRequestResponse) {
  return { status: res.statusCode, body: res.json<unknown>(), location: res.headers.location, etag: res.headers.etag };
}

/** A claim another request holds, written as that request's claim would be. */
async function insertClaim(key: string, ageMs: number, db: Kysely<Database> = t.db) {
  await db
    .insertInto('idempotency_keys')
    .values({
      token: 'bootstrap',
      key,
      fingerprint: fingerprintOf({ other: 'request' }),
      owner: 'another-request',
      created_at: new Date(clock.getTime() - ageMs).toISOString(),
    })
    .execute();
}

const ONE = { hostname: 'idem-01', ip: '192.0.2.1', role: 'web', tags: ['a', 'b'] };
const BATCH = [
  { hostname: 'idem-b1', ip: '192.0.2.11' },
  { hostname: 'idem-b2', ip: '192.0.2.12', tags: ['x'] },
  { hostname: 'idem-b3', ip: '2001:db8::13' },
];

describe('POST /api/v1/servers with an Idempotency-Key', () => {
  it('creates once; a retry of the same body gets the stored answer (status, body, Location, ETag), marked replayed', async () => {
    const before = await totals();
    const first = await post(ONE);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.location).toBe(`/api/v1/servers/${first.json<Server>().id}`);

    // The same content in another key order and spacing is the same body.
    const retry = await post('{ "tags": ["a", "b"],\n  "ip": "192.0.2.1", "role": "web", "hostname": "idem-01" }');
    expect(answerOf(retry)).toStrictEqual(answerOf(first));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // The key without its quotes names the same key.
    const unquoted = await post(ONE, { 'idempotency-key': UUID });
    expect(answerOf(unquoted)).toStrictEqual(answerOf(first));
    expect(unquoted.headers['idempotent-replayed']).toBe('true');

    expect(await totals()).toStrictEqual({ servers: before.servers + 1, changes: before.changes + 1 });
    const history = await t.app.inject({ method: 'GET', url: `${first.headers.location}/history` });
    expect(history.json<{ changes: unknown[] }>().changes).toHaveLength(1);
  });

  it('replays the answer as it was, even after the server changed', async () => {
    const first = await post(ONE);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: String(first.headers.location),
      headers: AS_BOOTSTRAP,
      payload: { status: 'down' },
    });
    expect(patched.headers.etag).not.toBe(first.headers.etag);
    const retry = await post(ONE);
    expect(answerOf(retry)).toStrictEqual(answerOf(first));
    expect(retry.json<Server>().status).toBe('up');
  });

  it('replays a bulk create: the same array, each server created once with one history row', async () => {
    const before = await totals();
    const first = await post(BATCH);
    expect(first.statusCode).toBe(201);
    expect(first.json<Server[]>()).toHaveLength(3);
    expect(first.headers.location).toBeUndefined();

    const retry = await post([...BATCH]);
    expect(answerOf(retry)).toStrictEqual(answerOf(first));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await totals()).toStrictEqual({ servers: before.servers + 3, changes: before.changes + 3 });
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body, and creates nothing', async () => {
    await post(ONE);
    const before = await totals();
    for (const other of [{ ...ONE, role: 'cache' }, [ONE], { ...ONE, tags: ['b', 'a'] }]) {
      const res = await post(other);
      expect(res.statusCode).toBe(422);
      expect(res.json<ErrorBody>().code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    expect(await totals()).toStrictEqual(before);
    // The stored answer is still there for the first body.
    expect((await post(ONE)).headers['idempotent-replayed']).toBe('true');
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After while another request holds the key, and leaves its claim', async () => {
    await insertClaim(UUID, 10_000);
    const before = await totals();
    for (const body of [ONE, { ...ONE, role: 'cache' }]) {
      const res = await post(body);
      expect(res.statusCode).toBe(409);
      expect(res.json<ErrorBody>().code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
      expect(res.headers['retry-after']).toBe('1');
    }
    expect(await totals()).toStrictEqual(before);
    const row = await t.db.selectFrom('idempotency_keys').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ owner: 'another-request', completed_at: null });
  });

  it('takes over a claim older than the bound for abandoned ones (its process died), whatever its body', async () => {
    await insertClaim(UUID, ABANDONED_AFTER_MS);
    const res = await post(ONE);
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const row = await t.db.selectFrom('idempotency_keys').selectAll().executeTakeFirstOrThrow();
    expect(row.owner).not.toBe('another-request');
    expect(row.fingerprint).toBe(fingerprintOf(ONE));
    expect(row.response_status).toBe(201);
    expect((await post(ONE)).headers['idempotent-replayed']).toBe('true');
  });

  it('forgets a key after 24 hours: the same key is then new, for any body', async () => {
    const first = await post(ONE);
    later(KEY_LIFETIME_MS - 1);
    expect(answerOf(await post(ONE))).toStrictEqual(answerOf(first));

    later(1);
    // Processed anew, not replayed: the host name is taken by the first create.
    const again = await post(ONE);
    expect(again.statusCode).toBe(409);
    expect(again.json<ErrorBody>().code).toBe('SERVER_CONFLICT');
    const other = await post({ hostname: 'idem-02', ip: '192.0.2.2' });
    expect(other.statusCode).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect((await post({ hostname: 'idem-02', ip: '192.0.2.2' })).headers['idempotent-replayed']).toBe('true');
  });

  it(`purges expired keys as new ones are claimed, at most ${PURGE_BATCH} per request`, async () => {
    const expired = Array.from({ length: PURGE_BATCH + 20 }, (_, i) => ({
      token: 'bootstrap',
      key: `old-${i}`,
      fingerprint: fingerprintOf(i),
      owner: `owner-${i}`,
      created_at: new Date(clock.getTime() - KEY_LIFETIME_MS - i).toISOString(),
    }));
    await t.db.insertInto('idempotency_keys').values(expired).execute();
    expect((await post(ONE)).statusCode).toBe(201);
    // The oldest went first; the new key is kept.
    const left = await t.db.selectFrom('idempotency_keys').select('key').orderBy('key').execute();
    expect(left.map((r) => r.key).sort()).toStrictEqual([UUID, ...expired.slice(0, 20).map((r) => r.key)].sort());
    expect((await post(BATCH, { 'idempotency-key': 'another' })).statusCode).toBe(201);
    expect(await count(t.db, 'idempotency_keys')).toBe(2);
  });

  it('keeps keys per token: the same key from another token is another key', async () => {
    const token = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: AS_BOOTSTRAP,
      payload: { name: 'deploy-bot', scope: 'write' },
    });
    const bot = { authorization: `Bearer ${token.json<{ secret: string }>().secret}`, 'idempotency-key': KEY };
    expect((await post(ONE)).statusCode).toBe(201);

    // Not a replay of the bootstrap token's answer: processed, and the host name is taken.
    const same = await post(ONE, bot);
    expect(same.statusCode).toBe(409);
    expect(same.json<ErrorBody>().code).toBe('SERVER_CONFLICT');
    // Not a 422 either: this token never used the key for another body.
    const own = await post({ hostname: 'bot-01', ip: '192.0.2.50' }, bot);
    expect(own.statusCode).toBe(201);
    const changes = await t.app.inject({ method: 'GET', url: `${own.headers.location}/history` });
    expect(changes.json<{ changes: { actor: string }[] }>().changes[0]?.actor).toBe('deploy-bot');
    expect((await post({ hostname: 'bot-01', ip: '192.0.2.50' }, bot)).headers['idempotent-replayed']).toBe('true');
    expect((await post(ONE)).headers['idempotent-replayed']).toBe('true');
  });

  it('stores no failed answer: after a 409 or a 400 from the create, a corrected retry with the same key runs', async () => {
    const before = await totals();
    const taken = await post({ hostname: 'web-prod-01', ip: '192.0.2.1' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json<ErrorBody>().code).toBe('SERVER_CONFLICT');
    const reserved = await post({ hostname: 'localhost', ip: '192.0.2.1' });
    expect(reserved.statusCode).toBe(400);
    expect(await count(t.db, 'idempotency_keys')).toBe(0);
    expect(await totals()).toStrictEqual(before);

    const corrected = await post(ONE);
    expect(corrected.statusCode).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    expect((await post(ONE)).headers['idempotent-replayed']).toBe('true');
  });

  it('stores nothing for a request without a key', async () => {
    expect((await post(ONE, {})).statusCode).toBe(201);
    expect(await count(t.db, 'idempotency_keys')).toBe(0);
  });

  it.each([
    ['an empty string', '""'],
    ['an unterminated string', '"abc'],
    ['two keys', '"abc", "def"'],
    ['a key with a space, unquoted', 'abc def'],
    ['a double quote inside an unquoted key', 'abc"def'],
    ['a token that is not a string', '"abc";x=1, def'],
    ['a key of 256 characters', `"${'k'.repeat(256)}"`],
    ['an unquoted key of 256 characters', 'k'.repeat(256)],
  ])('answers 400 for %s, naming the header, and creates nothing', async (_what, header) => {
    const before = await totals();
    const res = await post(ONE, { 'idempotency-key': header });
    expect(res.statusCode).toBe(400);
    const body = res.json<ErrorBody>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details?.map((d) => d.field)).toStrictEqual(['idempotency-key']);
    expect(body.details?.[0]?.message).toMatch(/^must be a string in double quotes/);
    expect(await totals()).toStrictEqual(before);
    expect(await count(t.db, 'idempotency_keys')).toBe(0);
  });

  it.each([
    ['255 characters in quotes', `"${'k'.repeat(255)}"`, 'k'.repeat(255)],
    ['255 characters without quotes', 'k'.repeat(255), 'k'.repeat(255)],
    ['escapes', '"a\\"b\\\\c d"', 'a"b\\c d'],
    ['parameters, which are ignored', '"abc";v=1', 'abc'],
  ])('accepts a key of %s', async (_what, header, key) => {
    expect((await post(ONE, { 'idempotency-key': header })).statusCode).toBe(201);
    const row = await t.db.selectFrom('idempotency_keys').select('key').executeTakeFirstOrThrow();
    expect(row.key).toBe(key);
  });

  it('ignores the header on the other routes', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/1',
      headers: { ...AS_BOOTSTRAP, 'idempotency-key': '""' },
      payload: { notes: 'x' },
    });
    expect(res.statusCode).toBe(200);
    expect(await count(t.db, 'idempotency_keys')).toBe(0);
  });

  it('is documented in the OpenAPI document: the header, the replay marker, 409 and 422', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; responses: object }>>;
    }>();
    const operation = document.paths['/api/v1/servers']?.post;
    expect(operation?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }));
    expect(operation?.responses).toHaveProperty('409');
    expect(operation?.responses).toHaveProperty('422');
    expect(operation?.responses).toHaveProperty(['201', 'headers', 'idempotent-replayed']);
  });
});

/** Holds a create's transaction open, after its writes, until `release()`: a request in flight. */
function holdCreates() {
  let reached!: () => void;
  let release!: () => void;
  const hit = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = new WeakSet<object>();
  const plugin: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'server_changes') {
        held.add(queryId);
      }
      return node;
    },
    transformResult: async ({ queryId, result }) => {
      if (held.has(queryId)) {
        reached();
        await released;
      }
      return result;
    },
  };
  return { plugin, hit, release };
}

describe('POST /api/v1/servers with an Idempotency-Key, two instances on one database', () => {
  let dir: string;
  let url: string;
  let apps: TestApp[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inventory-idempotency-'));
    url = await freshDatabaseUrl(join(dir, 'inventory.db'));
    apps = [];
  });
  afterEach(async () => {
    for (const app of apps) {
      await app.app.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  async function instance(options: { wrap?: KyselyPlugin } = {}): Promise<TestApp> {
    const wrap = options.wrap;
    const app = await buildTestApp({
      now,
      env: { DATABASE_URL: url },
      ...(wrap === undefined ? {} : { wrapDb: (db: Kysely<Database>) => db.withPlugin(wrap) }),
    });
    apps.push(app);
    return app;
  }

  it(`answers 409 on one instance while the first request runs on another (${dialect}), then replays its answer`, async () => {
    const hold = holdCreates();
    const a = await instance({ wrap: hold.plugin });
    const b = await instance();
    const first = post(ONE, undefined, a.app);
    await hold.hit;

    const during = await post(ONE, undefined, b.app);
    expect(during.statusCode).toBe(409);
    expect(during.json<ErrorBody>().code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
    expect(during.headers['retry-after']).toBe('1');

    hold.release();
    const done = await first;
    expect(done.statusCode).toBe(201);
    const after = await post(ONE, undefined, b.app);
    expect(answerOf(after)).toStrictEqual(answerOf(done));
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(await count(b.db, 'servers')).toBe(3);
  });

  it('replays the stored answer after a restart', async () => {
    const a = await instance();
    const first = await post(BATCH, undefined, a.app);
    expect(first.statusCode).toBe(201);
    await a.app.close();
    apps = [];

    const b = await instance();
    const retry = await post(BATCH, undefined, b.app);
    expect(answerOf(retry)).toStrictEqual(answerOf(first));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await count(b.db, 'servers')).toBe(5);
  });
});

describe('the idempotency service', () => {
  const build = ([only]: { server: Server; etag: string }[]): Answer<Server> => {
    if (only === undefined) {
      throw new Error('created nothing');
    }
    return { status: 201, headers: { etag: only.etag }, body: only.server };
  };

  it('rolls a create back when its claim was taken over as abandoned meanwhile: the key creates once', async () => {
    const idempotency = createIdempotencyService(t.db, { now });
    const servers = createServersService(t.db, createChangesService(t.db));
    const request = { token: 'bootstrap', key: UUID, body: ONE };
    const createOnce = (hostname: string, ip: string) =>
      idempotency.once<Server>(request, async (record) =>
        build(
          await servers.createServers([{ hostname, ip }], {
            actor: 'bootstrap',
            batch: false,
            onCreated: (trx, created) => record(trx, build(created)),
          }),
        ),
      );
    const before = await totals();

    const slow = idempotency.once<Server>(request, async (record) => {
      // This request stalls past the bound; meanwhile another takes the key over and creates.
      later(ABANDONED_AFTER_MS);
      const other = await createOnce('fast-01', '192.0.2.61');
      expect(other.replayed).toBe(false);
      return build(
        await servers.createServers([{ hostname: 'slow-01', ip: '192.0.2.60' }], {
          actor: 'bootstrap',
          batch: false,
          onCreated: (trx, created) => record(trx, build(created)),
        }),
      );
    });
    await expect(slow).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });

    expect(await totals()).toStrictEqual({ servers: before.servers + 1, changes: before.changes + 1 });
    const replay = await createOnce('ignored', '192.0.2.62');
    expect(replay.replayed).toBe(true);
    expect(replay.body.hostname).toBe('fast-01');
  });

  it("answers with the create's own error when the key cannot be freed; the key is taken over once abandoned", async () => {
    let failDeletes = false;
    const breaker: KyselyPlugin = {
      transformQuery: ({ node }) => {
        if (failDeletes && node.kind === 'DeleteQueryNode') {
          throw new Error('the database went away');
        }
        return node;
      },
      transformResult: ({ result }) => Promise.resolve(result),
    };
    const idempotency = createIdempotencyService(t.db.withPlugin(breaker), { now, logger: t.app.log });
    const request = { token: 'bootstrap', key: UUID, body: ONE };
    const answer: Answer<string> = { status: 201, headers: {}, body: 'created' };
    const succeed = (record: RecordAnswer<string>) =>
      writeTransaction(t.db, async (trx) => {
        await record(trx, answer);
        return answer;
      });

    const failed = idempotency.once<string>(request, () => {
      failDeletes = true;
      return Promise.reject(appError('SERVER_CONFLICT'));
    });
    await expect(failed).rejects.toMatchObject({ code: 'SERVER_CONFLICT' });
    failDeletes = false;
    expect(t.logs.entries()).toContainEqual(
      expect.objectContaining({ msg: 'could not free an idempotency key after a failed request' }),
    );

    await expect(idempotency.once<string>(request, succeed)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_IN_FLIGHT',
    });
    later(ABANDONED_AFTER_MS);
    expect(await idempotency.once<string>(request, succeed)).toStrictEqual({ ...answer, replayed: false });
    expect(await idempotency.once<string>(request, succeed)).toStrictEqual({ ...answer, replayed: true });
  });

  it('purges expired keys with one bounded statement, on both databases', () => {
    const before = '2026-01-01T00:00:00.000Z';
    expect(purgeExpiredQuery(compilers.sqlite, before, PURGE_BATCH).compile().sql).toBe(
      'delete from "idempotency_keys" where ("token", "key") in (select "token", "key" from "idempotency_keys" ' +
        'where "created_at" <= ? order by "created_at" limit ?)',
    );
    expect(purgeExpiredQuery(compilers.postgres, before, PURGE_BATCH).compile().sql).toBe(
      'delete from "idempotency_keys" where ("token", "key") in (select "token", "key" from "idempotency_keys" ' +
        'where "created_at" <= $1 order by "created_at" limit $2)',
    );
  });

  it('fingerprints the content, not its spelling', () => {
    expect(fingerprintOf(JSON.parse('{"b": [1, {"y": 2, "x": 1}], "a": "é"}'))).toBe(
      fingerprintOf({ a: '\u00e9', b: [1, { x: 1, y: 2 }] }),
    );
    expect(fingerprintOf({ a: [1, 2] })).not.toBe(fingerprintOf({ a: [2, 1] }));
    expect(fingerprintOf({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});
