// Queries compiled once (src/db/compiled.ts), on the database the suite runs on: the same rows as the
// query built each time, one compilation per database (transactions included), and a query whose
// parameters are not each bound once, in order, refused at its first run.
import type { Kysely, KyselyPlugin, QueryResult, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledQuery } from '../../src/db/compiled.js';
import type { Database } from '../../src/db/types.js';
import { migratedDatabase } from '../helpers/database.js';

let db: Kysely<Database>;
beforeAll(async () => {
  db = await migratedDatabase();
  await db
    .insertInto('server_counts')
    .values(['rack', 'lot', 'owner'].map((scope, i) => ({ scope, total: (i + 1) * 10 })))
    .execute();
});
afterAll(async () => {
  await db.destroy();
});

interface Scope {
  scope: string;
}

describe('compiledQuery', () => {
  it("answers what the query built each time answers, for each call's values, compiling once", async () => {
    let builds = 0;
    const atLeast = compiledQuery<[scope: string, least: number], Scope>(2, (on, scope, least) => {
      builds++;
      return on
        .selectFrom('server_counts')
        .select('scope')
        .where('scope', '=', scope)
        .where('total', '>=', least as unknown as number);
    });
    for (const [scope, least] of [
      ['rack', 5],
      ['lot', 20],
      ['owner', 31],
      ['none', 0],
    ] as const) {
      const built = await db
        .selectFrom('server_counts')
        .select('scope')
        .where('scope', '=', scope)
        .where('total', '>=', least)
        .execute();
      expect((await atLeast(db, scope, least)).rows).toEqual(built);
    }
    expect((await atLeast(db, 'owner', 31)).rows).toEqual([]);
    expect((await atLeast(db, 'owner', 30)).rows).toEqual([{ scope: 'owner' }]);
    await db.transaction().execute(async (trx) => {
      expect((await atLeast(trx, 'lot', 20)).rows).toEqual([{ scope: 'lot' }]);
    });
    expect(builds).toBe(1);
  });

  it('is a query of its own for the plugins that observe queries, at every run (the metrics time each)', async () => {
    const started: string[] = [];
    const ended: string[] = [];
    const observer: KyselyPlugin = {
      transformQuery({ node, queryId }) {
        started.push(queryId.queryId);
        return node;
      },
      transformResult({ result, queryId }): Promise<QueryResult<UnknownRow>> {
        ended.push(queryId.queryId);
        return Promise.resolve(result);
      },
    };
    const observed = db.withPlugin(observer);
    const byScope = compiledQuery<[scope: string], Scope>(1, (on, scope) =>
      on.selectFrom('server_counts').select('scope').where('scope', '=', scope),
    );
    expect((await byScope(observed, 'rack')).rows).toEqual([{ scope: 'rack' }]);
    expect((await byScope(observed, 'lot')).rows).toEqual([{ scope: 'lot' }]);
    // Compiling ran transformQuery once more, for the first run's tree.
    expect(new Set(ended).size).toBe(2);
    expect(ended.every((id) => started.includes(id))).toBe(true);
  });

  it('keeps one compilation per database', async () => {
    const other = await migratedDatabase();
    try {
      let builds = 0;
      const byScope = compiledQuery<[scope: string], Scope>(1, (on, scope) => {
        builds++;
        return on.selectFrom('server_counts').select('scope').where('scope', '=', scope);
      });
      expect((await byScope(db, 'rack')).rows).toEqual([{ scope: 'rack' }]);
      expect((await byScope(other, 'rack')).rows).toEqual([]);
      expect(builds).toBe(2);
    } finally {
      await other.destroy();
    }
  });

  it('refuses a query that binds a parameter twice, out of order, or binds a value of its own', async () => {
    const twice = compiledQuery<[scope: string], Scope>(1, (on, scope) =>
      on.selectFrom('server_counts').select('scope').where('scope', '=', scope).where('scope', '<>', scope),
    );
    const swapped = compiledQuery<[scope: string, least: number], Scope>(2, (on, scope, least) =>
      on
        .selectFrom('server_counts')
        .select('scope')
        .where('total', '>=', least as unknown as number)
        .where('scope', '=', scope),
    );
    const ownValue = compiledQuery<[scope: string], Scope>(1, (on, scope) =>
      on.selectFrom('server_counts').select('scope').where('total', '>=', 0).where('scope', '=', scope),
    );
    await expect(twice(db, 'rack')).rejects.toThrow(/bind each of its 1 parameters once, in order/);
    await expect(swapped(db, 'rack', 0)).rejects.toThrow(/bind each of its 2 parameters once, in order/);
    await expect(ownValue(db, 'rack')).rejects.toThrow(/bind each of its 1 parameters once, in order/);
  });
});
