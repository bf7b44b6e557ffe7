// Named prepared statements on PostgreSQL (src/db/prepared.ts, the pool in src/db/connect.ts): a compiled
// query's SQL is parsed once per connection; after a migration changed a column it reads, it runs again
// unnamed outside a transaction, fails a transaction with a 503, and its connection is closed either way.
// The limit on registered texts is in prepared.limit.test.ts, whose file starts with none registered.
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compiledQuery } from '../../src/db/compiled.js';
import { databaseFailure, stalePreparedStatement } from '../../src/db/errors.js';
import { preparedStatementName } from '../../src/db/prepared.js';
import type { Database } from '../../src/db/types.js';
import { SERVER_COLUMNS } from '../../src/servers/servers.repository.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect, migratedDatabase } from '../helpers/database.js';

describe('stalePreparedStatement', () => {
  const stale = {
    code: '0A000',
    message: 'cached plan must not change result type',
    routine: 'RevalidateCachedQuery',
  };

  it("tells PostgreSQL's refusal of a stale statement from other 0A000 errors, in any language", () => {
    expect(stalePreparedStatement(Object.assign(new Error(stale.message), stale))).toBe(true);
    // A server whose messages are in another language: the routine still says it.
    expect(stalePreparedStatement({ ...stale, message: 'le plan en cache ne doit pas modifier le type' })).toBe(true);
    expect(
      stalePreparedStatement({ code: '0A000', message: 'FOR UPDATE is not allowed', routine: 'CheckSelectLocking' }),
    ).toBe(false);
    expect(stalePreparedStatement({ ...stale, code: '42P01' })).toBe(false);
    // A pooler that lost the connection's statement, or has one of that name already.
    expect(stalePreparedStatement({ code: '26000', message: 'prepared statement "inv_x" does not exist' })).toBe(true);
    expect(stalePreparedStatement({ code: '42P05', message: 'prepared statement "inv_x" already exists' })).toBe(true);
    expect(stalePreparedStatement(stale.message)).toBe(false);
    expect(stalePreparedStatement(null)).toBe(false);
  });

  it('counts as the database being unavailable (503, retry), not as a bug of the request', () => {
    expect(databaseFailure(stale)).toBe('unavailable');
    expect(databaseFailure({ code: '0A000', message: 'FOR UPDATE is not allowed', routine: 'x' })).toBeNull();
  });
});

interface Prepared {
  name: string;
  statement: string;
  runs: number;
}

/** The named statements of the connection `db` runs on, with how often each ran. */
async function preparedOn(db: Kysely<Database>): Promise<Prepared[]> {
  const { rows } = await sql<Prepared>`
    select name, statement, (generic_plans + custom_plans)::int as runs
    from pg_prepared_statements order by name
  `.execute(db);
  return rows;
}

async function backendPid(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  return rows[0]?.pid ?? -1;
}

describe.runIf(dialect === 'postgres')('named prepared statements on PostgreSQL', () => {
  describe('compiledQuery', () => {
    let db: Kysely<Database>;
    beforeAll(async () => {
      db = await migratedDatabase();
      await db
        .insertInto('server_counts')
        .values(['rack', 'lot'].map((scope, i) => ({ scope, total: (i + 1) * 10 })))
        .execute();
    });
    afterAll(async () => {
      await db.destroy();
    });

    it('runs as a statement named after its SQL, parsed once per connection, with the rows of the query built each time', async () => {
      const byScope = compiledQuery<[scope: string], { scope: string; total: number }>(1, (on, scope) =>
        on.selectFrom('server_counts').select(['scope', 'total']).where('scope', '=', scope),
      );
      const built = (on: Kysely<Database>, scope: string) =>
        on.selectFrom('server_counts').select(['scope', 'total']).where('scope', '=', scope);
      const text = built(db, '').compile().sql;
      // Read before the text is registered (at the compiled query's first run), so unnamed.
      const scopes = ['rack', 'lot', 'none'];
      const unnamed: { scope: string; total: number }[][] = [];
      for (const scope of scopes) {
        unnamed.push(await built(db, scope).execute());
      }
      expect(unnamed).toStrictEqual([[{ scope: 'rack', total: 10 }], [{ scope: 'lot', total: 20 }], []]);
      expect(preparedStatementName(text)).toBeUndefined();
      await db.connection().execute(async (connection) => {
        for (const [i, scope] of scopes.entries()) {
          expect((await byScope(connection, scope)).rows).toStrictEqual(unnamed[i]);
        }
        // Every other text ran unnamed: one named statement, run thrice.
        expect(await preparedOn(connection)).toStrictEqual([
          { name: preparedStatementName(text), statement: text, runs: 3 },
        ]);
        // The same text built anew is the registered one: it runs as the same statement.
        await built(connection, 'rack').execute();
        expect((await preparedOn(connection))[0]?.runs).toBe(4);
      });
      expect(preparedStatementName(text)).toMatch(/^inv_[0-9a-f]{16}$/);
    });
  });

  describe('GET /api/v1/servers/:id and PATCH after a migration changed a column the statement reads', () => {
    let t: TestApp;
    let id: number;
    /** The name of GET /servers/{id}'s statement, registered at its first run. */
    const name = () =>
      preparedStatementName(t.db.selectFrom('servers').select(SERVER_COLUMNS).where('id', '=', id).compile().sql);
    // An app of its own for each test (its schema changes), on one connection: the test's own queries
    // run where the app's did.
    beforeEach(async () => {
      t = await buildTestApp({ env: { DATABASE_POOL_MAX: '1' } });
      ({ id } = await t.db.selectFrom('servers').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow());
    });
    afterEach(async () => {
      await t.app.close();
    });

    const get = () => t.app.inject({ method: 'GET', url: `/api/v1/servers/${id}`, headers: AS_BOOTSTRAP });
    /** A GET that prepares the statement on the one connection, whose pid it returns. */
    const prepare = async () => {
      expect((await get()).statusCode).toBe(200);
      expect((await preparedOn(t.db)).map((p) => p.name)).toContain(name());
      return backendPid(t.db);
    };
    // The notes' type with another length: the statement's result type changes (0A000 on its next run).
    const migrate = () => sql`alter table servers alter column notes type varchar(4000)`.execute(t.db);

    it('answers GET with the server: the statement runs again unnamed, and its connection is closed', async () => {
      const before = await get();
      const pid = await prepare();
      await migrate();
      const after = await get();
      expect(after.statusCode, after.body).toBe(200);
      expect(after.json()).toStrictEqual(before.json());
      expect(after.headers.etag).toBe(before.headers.etag);
      // A new connection, which prepares the statement afresh at the next GET.
      expect(await backendPid(t.db)).not.toBe(pid);
      expect((await get()).statusCode).toBe(200);
      expect((await preparedOn(t.db)).find((p) => p.name === name())?.runs).toBe(1);
    });

    it('answers a PATCH, whose transaction the stale statement aborted, with a bare 503 that a retry passes', async () => {
      const notes = async () =>
        (await t.db.selectFrom('servers').select('notes').where('id', '=', id).executeTakeFirstOrThrow()).notes;
      const was = await notes();
      const patch = () =>
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/servers/${id}`,
          headers: AS_BOOTSTRAP,
          payload: { notes: 'after the migration' },
        });
      const pid = await prepare();
      await migrate();
      const refused = await patch();
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toStrictEqual({
        error: 'The database is unavailable; retry later',
        code: 'DATABASE_UNAVAILABLE',
      });
      expect(refused.headers['retry-after']).toBe('5');
      expect(await notes()).toBe(was);
      expect(await backendPid(t.db)).not.toBe(pid);
      const retried = await patch();
      expect(retried.statusCode, retried.body).toBe(200);
      expect(await notes()).toBe('after the migration');
    });
  });
});
