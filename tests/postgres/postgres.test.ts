import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import { databaseFailure } from '../../src/db/errors.js';
import { migrateToLatest, pendingMigrations } from '../../src/db/migrator.js';
import { migrations } from '../../src/db/migrations/index.js';
import { writeTransaction } from '../../src/db/transaction.js';
import { insertChanges, listChanges } from '../../src/changes/changes.repository.js';
import type { Database } from '../../src/db/types.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { createSchema, dialect, freshDatabaseUrl, schemaUrl } from '../helpers/database.js';

// What only PostgreSQL has: a pool, TLS and timeouts from the URL, several replicas on one database.
// The rest of the suite runs on PostgreSQL as it does on SQLite (TEST_DATABASE_URL).
describe.runIf(dialect === 'postgres')('PostgreSQL', () => {
  const opened: Kysely<Database>[] = [];
  const open = (url: string, env: Record<string, string> = {}) => {
    const db = createDatabase(loadConfig({ DATABASE_URL: url, ...env }).database);
    opened.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.destroy()));
  });

  it('applies the migrations once when several replicas start at once (the migrator takes an advisory lock)', async () => {
    const url = await freshDatabaseUrl();
    const replicas = Array.from({ length: 4 }, () => open(url));
    const results = await Promise.all(replicas.map((db) => migrateToLatest(db)));
    const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success');
    expect(applied.map((r) => r.migrationName).sort()).toStrictEqual(Object.keys(migrations).sort());
    expect(await pendingMigrations(open(url))).toStrictEqual([]);
  });

  it("keeps its migration bookkeeping in its own schema, whatever another schema's holds", async () => {
    // Another schema of the same database, migrated already: its kysely_migration must not count.
    const other = await freshDatabaseUrl();
    await migrateToLatest(open(other));
    const url = await freshDatabaseUrl();
    expect(await pendingMigrations(open(url))).toStrictEqual(Object.keys(migrations));
    await migrateToLatest(open(url));
    const { rows } = await sql<{ n: string }>`select count(*) as n from servers`.execute(open(url));
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('takes TLS settings from the URL: sslmode=require refuses a server without TLS, sslmode=disable connects', async () => {
    const schema = await createSchema();
    const withMode = (mode: string) => {
      const url = new URL(schemaUrl(schema));
      url.searchParams.set('sslmode', mode);
      return url.toString();
    };
    const { rows } = await sql<{ ssl: string }>`show ssl`.execute(open(withMode('disable')));
    // This machine's server has TLS off; on one with it on, require would connect instead.
    expect(rows[0]?.ssl).toBe('off');
    await expect(sql`select 1`.execute(open(withMode('require')))).rejects.toThrow(/does not support SSL/);
  });

  it('cancels a statement past DATABASE_STATEMENT_TIMEOUT_MS, as a timeout the API answers with 503', async () => {
    const db = open(await freshDatabaseUrl(), { DATABASE_STATEMENT_TIMEOUT_MS: '100' });
    const started = Date.now();
    const error: unknown = await sql`select pg_sleep(5)`.execute(db).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4000);
    expect((error as { code?: string }).code).toBe('57014');
    expect(databaseFailure(error)).toBe('timeout');
  });

  it('survives a connection killed in the middle of a query and of a transaction: the request fails, the process stays', async () => {
    const url = await freshDatabaseUrl();
    const reported: string[] = [];
    const db = createDatabase(loadConfig({ DATABASE_URL: url }).database, {
      onConnectionError: (error) => reported.push(error.message),
    });
    opened.push(db);
    const admin = open(url);
    /** Terminates the backend running the statement marked `victim` once it runs, as a restart would. */
    const terminate = async (victim: string) => {
      for (let i = 0; i < 100; i++) {
        const { rows } = await sql<{ pid: number }>`
          select pid from pg_stat_activity where query like ${`%${victim}%`} and pid <> pg_backend_pid()
        `.execute(admin);
        const pid = rows[0]?.pid;
        if (pid !== undefined) {
          await sql`select pg_terminate_backend(${pid})`.execute(admin);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${victim} never ran`);
    };

    const query = sql`select pg_sleep(10) /* victim-query */`.execute(db).catch((e: unknown) => e);
    await terminate('victim-query');
    expect(databaseFailure(await query)).toBe('unavailable');

    const transaction = writeTransaction(db, async (trx) => {
      await sql`select pg_sleep(10) /* victim-transaction */`.execute(trx);
    }).catch((e: unknown) => e);
    await terminate('victim-transaction');
    expect(databaseFailure(await transaction)).toBe('unavailable');

    // The pool dropped the dead connections and opens new ones.
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toStrictEqual([{ one: 1 }]);
    expect(reported.length).toBeGreaterThan(0);
  });

  it('keeps at most DATABASE_POOL_MAX connections per process, queueing the rest', async () => {
    const db = open(await freshDatabaseUrl(), { DATABASE_POOL_MAX: '3' });
    const pids = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db);
        return rows[0]?.pid;
      }),
    );
    expect(pids).not.toContain(undefined);
    expect(new Set(pids).size).toBe(3);
  });

  it('makes change-feed sequence numbers visible in order: a later write waits for an earlier one to commit', async () => {
    const url = await freshDatabaseUrl();
    const [first, second, reader] = [open(url), open(url), open(url)];
    await migrateToLatest(reader);
    const change = (serverId: number) => ({
      server_id: serverId,
      action: 'create' as const,
      at: '2026-01-01T00:00:00.000Z',
      actor: 'test',
      changes: '{}',
      server: '{}',
    });
    let inserted!: () => void;
    const firstInserted = new Promise<void>((resolve) => (inserted = resolve));
    let commit!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (commit = resolve));
    // The first writer takes seq 1 and holds its transaction open.
    const firstDone = writeTransaction(first, async (trx) => {
      await insertChanges(trx, [change(1)]);
      inserted();
      await firstMayCommit;
    });
    await firstInserted;
    let secondCommitted = false;
    const secondDone = writeTransaction(second, (trx) => insertChanges(trx, [change(2)])).then(() => {
      secondCommitted = true;
    });
    // Long enough for the second writer to commit if nothing held it back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A poller reading now must not find seq 2 while seq 1 may still appear: it would skip seq 1.
    expect(await listChanges(reader, 0, 100)).toStrictEqual([]);
    expect(secondCommitted).toBe(false);
    commit();
    await Promise.all([firstDone, secondDone]);
    expect((await listChanges(reader, 0, 100)).map((c) => [c.seq, c.server_id])).toStrictEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  describe('two replicas on one database', () => {
    const apps: TestApp[] = [];
    afterAll(async () => {
      await Promise.all(apps.map((t) => t.app.close()));
    });

    it('serves a poller every change, once and in order, while both replicas write at once', async () => {
      const url = await freshDatabaseUrl();
      const a = await buildTestApp({ seed: false, env: { DATABASE_URL: url } });
      const b = await buildTestApp({ seed: false, env: { DATABASE_URL: url } });
      apps.push(a, b);
      const seen: number[] = [];
      let after = 0;
      const poll = async () => {
        const res = await a.app.inject({ method: 'GET', url: `/api/v1/changes?after=${after}&limit=1000` });
        expect(res.statusCode).toBe(200);
        const { changes } = res.json<{ changes: { seq: number }[] }>();
        for (const change of changes) {
          seen.push(change.seq);
          after = change.seq;
        }
        return changes.length;
      };
      const state = { writing: true };
      // A client that syncs as fast as it can, remembering only the last seq it processed.
      const poller = (async () => {
        while (state.writing) {
          await poll();
        }
      })();
      const writes = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          (i % 2 === 0 ? a : b).app.inject({
            method: 'POST',
            url: '/api/v1/servers',
            headers: AS_BOOTSTRAP,
            payload: { hostname: `feed-${i}`, ip: `10.9.${i >> 8}.${i & 255}`, status: 'up' },
          }),
        ),
      );
      state.writing = false;
      await poller;
      let more = await poll();
      while (more > 0) {
        more = await poll();
      }
      expect(writes.map((w) => w.statusCode)).toStrictEqual(Array<number>(150).fill(201));
      const all = await a.db.selectFrom('server_changes').select('seq').orderBy('seq').execute();
      expect(all).toHaveLength(150);
      // Every change, once, in order: none became visible after a later one had been read.
      expect(seen).toStrictEqual(all.map((r) => r.seq));
    });
  });
});
