// Each definition's index on the servers' values, beyond the transaction of the definition's change:
// dropped with a deleted field (after the commit, on PostgreSQL), and swept at start when a process
// stopped in between. On the database the suite runs on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { dropOrphanValueIndexes } from '../../src/custom-fields/custom-fields.indexes.js';
import { createDatabase } from '../../src/db/connect.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl, migratedDatabase } from '../helpers/database.js';
import { startServer } from '../helpers/server-process.js';
import { withClient } from '../setup/postgres.js';

/** The custom fields' indexes on servers, by name, with their SQL: the test's own schema only on PostgreSQL. */
async function valueIndexes(db: Kysely<Database>): Promise<Record<string, string>> {
  const query = isSqlite(db)
    ? sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
        where type = 'index' and tbl_name = 'servers' and name like 'servers_cf_%'`
    : sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes
        where tablename = 'servers' and schemaname = current_schema() and indexname like 'servers_cf_%'`;
  return Object.fromEntries((await query.execute(db)).rows.map((row) => [row.name, row.definition]));
}

/** The id the store gave a definition (the API does not show it). */
async function idOf(db: Kysely<Database>, name: string): Promise<number> {
  return (await db.selectFrom('custom_fields').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** An index by hand on servers, named as a definition's, as a crash would leave one. */
async function strayIndex(db: Kysely<Database>, id: number): Promise<string> {
  const name = `servers_cf_${id}_idx`;
  await sql`create index ${sql.id(name)} on servers (hostname)`.execute(db);
  return name;
}

/** Polls `condition` every 20 ms until it holds, for at most `ms`. */
async function until(condition: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`not within ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let t: TestApp;
let url: string;
const open: TestApp[] = [];
async function app(env: Record<string, string> = {}): Promise<TestApp> {
  url = await freshDatabaseUrl();
  t = await buildTestApp({ env: { DATABASE_URL: url, ...env } });
  open.push(t);
  return t;
}
afterEach(async () => {
  for (const each of open.splice(0)) {
    await each.app.close();
  }
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${path}`, headers: AS_BOOTSTRAP, ...(payload ? { payload } : {}) });
async function define(body: object): Promise<void> {
  const res = await call('POST', '/custom-fields', body);
  expect(res.statusCode, res.body).toBe(201);
}

describe('DELETE /api/v1/custom-fields/{name}', () => {
  it("drops the field's index, whether servers held values or not", async () => {
    await app();
    await define({ name: 'rack', type: 'string' });
    await define({ name: 'u', type: 'integer' });
    expect((await call('PATCH', '/servers/1', { custom_fields: { rack: 'R1' } })).statusCode).toBe(200);
    const [rack, u] = [await idOf(t.db, 'rack'), await idOf(t.db, 'u')];
    expect(Object.keys(await valueIndexes(t.db)).sort()).toEqual([`servers_cf_${rack}_idx`, `servers_cf_${u}_idx`]);

    expect((await call('DELETE', '/custom-fields/u')).statusCode).toBe(204);
    expect(Object.keys(await valueIndexes(t.db))).toEqual([`servers_cf_${rack}_idx`]);
    expect((await call('DELETE', '/custom-fields/rack?force=true')).statusCode).toBe(204);
    expect(await valueIndexes(t.db)).toEqual({});
  });

  it.runIf(dialect === 'postgres')(
    'on PostgreSQL, drops it after the commit: reads of servers go on while the drop waits for an open one',
    async () => {
      await app();
      await define({ name: 'rack', type: 'string' });
      await call('PATCH', '/servers/1', { custom_fields: { rack: 'R1' } });
      const index = `servers_cf_${await idOf(t.db, 'rack')}_idx`;
      await withClient(url, async (reader) => {
        await reader.query('begin');
        await reader.query('select count(*) from servers');
        const deleting = call('DELETE', '/custom-fields/rack?force=true');
        // Committed: in the transaction, DROP INDEX would have waited for the reader, and held it all.
        await until(async () => (await call('GET', '/custom-fields/rack')).statusCode === 404);
        const list = await call('GET', '/servers?sort=hostname');
        expect(list.statusCode).toBe(200);
        expect(list.json<{ count: number }>().count).toBe(2);
        expect(Object.keys(await valueIndexes(t.db))).toEqual([index]);
        await reader.query('commit');
        expect((await deleting).statusCode).toBe(204);
      });
      expect(await valueIndexes(t.db)).toEqual({});
    },
  );

  it.runIf(dialect === 'postgres')(
    'on PostgreSQL, a drop that times out is logged, the deletion stands, and the sweep drops the index',
    async () => {
      // The lock timeout follows the statement timeout (src/db/connect.ts).
      await app({ DATABASE_STATEMENT_TIMEOUT_MS: '1000' });
      await define({ name: 'rack', type: 'string' });
      const index = `servers_cf_${await idOf(t.db, 'rack')}_idx`;
      await withClient(url, async (reader) => {
        await reader.query('begin');
        await reader.query('select count(*) from servers');
        expect((await call('DELETE', '/custom-fields/rack')).statusCode).toBe(204);
        await reader.query('commit');
      });
      expect((await call('GET', '/custom-fields/rack')).statusCode).toBe(404);
      expect(t.logs.entries()).toContainEqual(
        expect.objectContaining({
          level: 40,
          index,
          field: 'rack',
          msg: 'could not drop the index of a deleted custom field: the next start drops it',
        }),
      );
      // Left behind (marked invalid by the interrupted drop) until the sweep. Checked and swept with
      // the default timeouts: on a busy machine the catalog query alone can outlast the app's 1 s.
      const db = createDatabase(loadConfig({ DATABASE_URL: url }).database);
      try {
        expect(Object.keys(await valueIndexes(db))).toEqual([index]);
        expect(await dropOrphanValueIndexes(db)).toEqual([index]);
        expect(await valueIndexes(db)).toEqual({});
      } finally {
        await db.destroy();
      }
    },
  );
});

describe('POST /api/v1/custom-fields', () => {
  it('never reuses an id, and makes its index even where one of that name was left behind', async () => {
    await app();
    await define({ name: 'rack', type: 'string' });
    const first = await idOf(t.db, 'rack');
    expect((await call('DELETE', '/custom-fields/rack')).statusCode).toBe(204);
    await define({ name: 'shelf', type: 'string' });
    // Not reused: AUTOINCREMENT on SQLite, an identity on PostgreSQL.
    expect(await idOf(t.db, 'shelf')).toBe(first + 1);

    // A stray index named as the next definition's own, on another column.
    const stray = await strayIndex(t.db, first + 2);
    await define({ name: 'zone', type: 'string' });
    expect(await idOf(t.db, 'zone')).toBe(first + 2);
    const definition = (await valueIndexes(t.db))[stray];
    expect(definition).toMatch(/zone/);
    expect(definition).not.toMatch(/hostname/);
    expect((await call('PATCH', '/servers/1', { custom_fields: { zone: 'eu' } })).statusCode).toBe(200);
    const listed = await call('GET', '/servers?cf_zone=eu');
    expect(listed.json<{ servers: { id: number }[] }>().servers.map((server) => server.id)).toEqual([1]);
  });
});

describe('dropOrphanValueIndexes (at start)', () => {
  it('drops the indexes named as a definition that is gone, and no other, in its own database only', async () => {
    await app();
    await define({ name: 'rack', type: 'string' });
    const kept = `servers_cf_${await idOf(t.db, 'rack')}_idx`;
    const stray = await strayIndex(t.db, 77);
    await sql`create index servers_cf_x_idx on servers (ip)`.execute(t.db);
    // Another database (another schema of the same one on PostgreSQL), with a stray index of its own.
    const other = await migratedDatabase(loadConfig({ DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await strayIndex(other, 77);

      expect(await dropOrphanValueIndexes(t.db)).toEqual([stray]);
      expect(Object.keys(await valueIndexes(t.db)).sort()).toEqual([kept, 'servers_cf_x_idx']);
      expect(Object.keys(await valueIndexes(other))).toEqual([stray]);
      expect(await dropOrphanValueIndexes(t.db)).toEqual([]);
    } finally {
      await other.destroy();
    }
  });

  it('runs when the server starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-cf-'));
    try {
      const databaseUrl = dialect === 'sqlite' ? `sqlite:${join(dir, 'inventory.db')}` : await freshDatabaseUrl();
      const db = await migratedDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database);
      const stray = await strayIndex(db, 5);
      await db.destroy();

      const server = await startServer({ env: { DATABASE_URL: databaseUrl } });
      try {
        expect(server.output()).toContain('dropped the indexes of deleted custom fields');
      } finally {
        expect(await server.stop()).toBe(0);
      }
      const after = await migratedDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database);
      try {
        expect(Object.keys(await valueIndexes(after))).not.toContain(stray);
      } finally {
        await after.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
