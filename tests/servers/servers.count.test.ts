import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/connect.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { countServers } from '../../src/servers/servers.repository.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseConfig } from '../helpers/database.js';

// The unfiltered listing's `count` comes from the stored count (server_counts), not count(*):
// these tests hold it to the real number of rows through every kind of write, failed ones included.

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.app.close();
});

const server = (n: number) => ({ hostname: `count-${n}`, ip: `192.0.2.${n}` });

async function listedCount(): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
  expect(res.statusCode).toBe(200);
  return res.json<{ count: number }>().count;
}

async function rowCount(): Promise<number> {
  const { n } = await t.db
    .selectFrom('servers')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  // PostgreSQL's count is a bigint, which the driver gives as a string.
  return Number(n);
}

/** Makes every insert into the change feed fail, with a trigger. */
async function failChangeInserts(db: Kysely<Database>): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`create trigger fail_changes before insert on server_changes begin select raise(abort, 'injected'); end`.execute(
      db,
    );
    return;
  }
  await sql`create function fail_changes() returns trigger language plpgsql as $$ begin raise exception 'injected'; end $$`.execute(
    db,
  );
  await sql`create trigger fail_changes before insert on server_changes for each row execute function fail_changes()`.execute(
    db,
  );
}

async function allowChangeInserts(db: Kysely<Database>): Promise<void> {
  await sql
    .raw(dialect === 'sqlite' ? 'drop trigger fail_changes' : 'drop trigger fail_changes on server_changes')
    .execute(db);
}

/** The listed count, after checking that it is the number of rows. */
async function exactCount(): Promise<number> {
  const listed = await listedCount();
  expect(listed).toBe(await rowCount());
  return listed;
}

function write(method: 'POST' | 'DELETE', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url,
    headers: AS_BOOTSTRAP,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

describe('GET /api/v1/servers count without filters', () => {
  it('stays exact across single creates, batch creates and deletes', async () => {
    expect(await exactCount()).toBe(2);
    expect((await write('POST', '/api/v1/servers', server(10))).statusCode).toBe(201);
    expect(await exactCount()).toBe(3);
    const batch = await write(
      'POST',
      '/api/v1/servers',
      Array.from({ length: 50 }, (_, i) => server(100 + i)),
    );
    expect(batch.statusCode).toBe(201);
    expect(await exactCount()).toBe(53);
    const ids = batch.json<{ id: number }[]>().map(({ id }) => id);
    for (const id of ids.slice(0, 20)) {
      expect((await write('DELETE', `/api/v1/servers/${id}`)).statusCode).toBe(204);
    }
    expect(await exactCount()).toBe(33);
    // Deleting what is already gone changes nothing.
    expect((await write('DELETE', `/api/v1/servers/${ids[0] ?? 0}`)).statusCode).toBe(404);
    expect(await exactCount()).toBe(33);
  });

  it('does not move when a batch is refused, in whole, for one conflicting item', async () => {
    const res = await write('POST', '/api/v1/servers', [
      server(20),
      server(21),
      { hostname: 'web-prod-01', ip: '192.0.2.22' },
    ]);
    expect(res.statusCode).toBe(409);
    expect(await exactCount()).toBe(2);
  });

  it('rolls back with a create or a delete that fails after the rows were written', async () => {
    // The change feed's insert comes after the servers' rows and the count: make it fail.
    await failChangeInserts(t.db);
    expect((await write('POST', '/api/v1/servers', server(30))).statusCode).toBe(500);
    expect((await write('POST', '/api/v1/servers', [server(31), server(32)])).statusCode).toBe(500);
    expect((await write('DELETE', '/api/v1/servers/1')).statusCode).toBe(500);
    expect(await exactCount()).toBe(2);
    await allowChangeInserts(t.db);
    expect((await write('DELETE', '/api/v1/servers/1')).statusCode).toBe(204);
    expect(await exactCount()).toBe(1);
  });

  it('reads the stored count when nothing is filtered, and counts the matching rows otherwise', async () => {
    // A stored count set apart from the rows shows which one each listing reads.
    await t.db.updateTable('server_counts').set({ total: 1000 }).execute();
    expect(await listedCount()).toBe(1000);
    const filtered = await t.app.inject({ method: 'GET', url: '/api/v1/servers?status=up' });
    expect(filtered.json<{ count: number }>().count).toBe(1);
  });

  it('reads the stored count beside any unfiltered page, and counts on its own for an empty page or without one', async () => {
    await t.db.updateTable('server_counts').set({ total: 1000 }).execute();
    const page = async (query: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers${query}` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ servers: { hostname: string }[]; count: number; next: string | null }>();
    };
    const first = await page('?sort=-hostname&limit=1');
    expect(first).toMatchObject({ servers: [{ hostname: 'web-prod-01' }], count: 1000 });
    const second = await page(`?sort=-hostname&limit=1&cursor=${first.next ?? ''}`);
    expect(second).toMatchObject({ servers: [{ hostname: 'db-prod-01' }], count: 1000, next: null });
    expect(await page('?offset=1')).toMatchObject({ servers: [{ hostname: 'db-prod-01' }], count: 1000 });
    // Past the end no row carries the count: it is read on its own.
    expect(await page('?offset=5')).toStrictEqual({ servers: [], count: 1000, next: null });
    // Without a stored count, the rows are counted.
    await t.db.deleteFrom('server_counts').execute();
    expect(await page('')).toMatchObject({ count: 2 });
    expect(await page('?offset=5')).toMatchObject({ servers: [], count: 2 });
  });
});

describe('migration 2026_11_27_210000_create_server_counts', () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = createDatabase(await freshDatabaseConfig());
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('backfills the count of the servers that exist before it', async () => {
    await (await createMigrator(db)).migrateTo('2026_11_27_200000_add_ip_key_tags_and_list_indexes');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the older schema has them
    const raw = db as unknown as Kysely<any>;
    for (let i = 1; i <= 3; i++) {
      await raw
        .insertInto('servers')
        .values({
          hostname: `old-${i}`,
          ip: `192.0.2.${i}`,
          status: 'up',
          tags: '[]',
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
          ip_key: Buffer.from([4, 192, 0, 2, i]),
        })
        .execute();
    }
    await migrateToLatest(db);
    expect(await countServers(db)).toBe(3);
  });
});
