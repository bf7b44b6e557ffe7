// The SQL of GET /api/v1/changes's page, compiled for SQLite and for PostgreSQL whatever database the
// run has, and kept in files (tests/changes/__snapshots__/sql/<case>.<database>.sql) so that a change
// to the query shows in review; each is also held against what the API runs on the run's database.
// Update them with `CI= npx vitest run tests/changes/changes.sql.test.ts -u` (on both databases).
import { type KyselyPlugin, type RootOperationNode, createQueryId } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangesPage, listChangesPageQuery } from '../../src/changes/changes.repository.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';
import { compilers, renderQuery } from '../helpers/sql.js';

const CASES: { name: string; url: string; page: ChangesPage }[] = [
  { name: 'changes-after', url: '/api/v1/changes?after=2&limit=3', page: { after: 2, order: 'asc', limit: 3 } },
  {
    name: 'changes-desc-before',
    url: '/api/v1/changes?order=desc&before=5&limit=2',
    page: { after: 0, before: 5, order: 'desc', limit: 2 },
  },
  {
    name: 'changes-after-before',
    url: '/api/v1/changes?after=1&before=4&order=desc',
    page: { after: 1, before: 4, order: 'desc', limit: 100 },
  },
];

describe('the SQL of GET /api/v1/changes', () => {
  let t: TestApp;
  /** The statements the app ran, as Kysely's tree: compiled afterwards by the run's database. */
  let ran: RootOperationNode[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node }) => {
      ran.push(node);
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };

  beforeAll(async () => {
    t = await buildTestApp({ wrapDb: (db) => db.withPlugin(recorder) });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each(CASES)('$name: compiles as its snapshot says on SQLite and on PostgreSQL', async ({ name, url, page }) => {
    for (const [database, db] of Object.entries(compilers)) {
      await expect(`-- GET ${url}\n\n${renderQuery(listChangesPageQuery(db, page).compile())}`).toMatchFileSnapshot(
        `./__snapshots__/sql/${name}.${database}.sql`,
      );
    }
  });

  it.each(CASES)(`$name: is what the API runs on the run's database (${dialect})`, async ({ url, page }) => {
    ran = [];
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const executor = t.db.getExecutor();
    const actual = ran
      .map((node) => renderQuery(executor.compileQuery(node, createQueryId())))
      .filter((text) => text.includes('"server_changes"'));
    expect(actual).toStrictEqual([renderQuery(listChangesPageQuery(t.db, page).compile())]);
  });
});
