// The query plans of the custom fields' filters and sorts, on the database the suite runs on: each
// reads the field's own index (custom-fields.sql.ts), a filter as a range of it, a sort in its order.
import { type Compilable, type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDefinitions } from '../../src/custom-fields/custom-fields.repository.js';
import { indexName, missingExpression, valueExpression } from '../../src/custom-fields/custom-fields.sql.js';
import type { Definition } from '../../src/custom-fields/custom-fields.values.js';
import type { Database } from '../../src/db/types.js';
import { encodeCursor } from '../../src/servers/query/cursor.js';
import { parseListing } from '../../src/servers/query/parsing.js';
import { countMatching } from '../../src/servers/query/sql.js';
import { insertServers, listServersQuery } from '../../src/servers/servers.repository.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { defineFields } from '../helpers/custom-fields.js';
import { dialect } from '../helpers/database.js';
import { serverRow } from '../helpers/servers.js';

const SERVERS = 5000;

let t: TestApp;
let definitions: Definition[];
const index = (name: string) => indexName(definitions.find((d) => d.name === name) ?? { id: 0 });

beforeAll(async () => {
  t = await buildTestApp({ seed: false });
  await defineFields(t.app, [
    { name: 'rack', type: 'string' },
    { name: 'u', type: 'integer' },
    { name: 'tier', type: 'enum', choices: ['gold', 'silver', 'bronze'] },
  ]);
  definitions = await listDefinitions(t.db);
  // One server in ten without values; each rack and each u held by 1% of the servers.
  const rows = Array.from({ length: SERVERS }, (_, i) =>
    serverRow({
      hostname: `plan-${i}`,
      ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
      custom_fields:
        i % 10 === 0 ? {} : { rack: `R${i % 100}`, u: i % 100, tier: ['gold', 'silver', 'bronze'][i % 3] ?? 'gold' },
    }),
  );
  await insertServers(t.db, rows);
  // The planner's statistics, as a server gathers them (SQLite when it opens the file, PostgreSQL's autovacuum).
  await sql`analyze`.execute(t.db);
});
afterAll(async () => {
  await t.app.close();
});

/**
 * The plan of a query, a line per step. SQLite's are indented by depth, so that a step of a subquery
 * is told from one of the statement. PostgreSQL plans without sequential scans, as with many more rows.
 */
async function planOf(db: Kysely<Database>, query: Compilable): Promise<string> {
  const compiled = query.compile();
  if (dialect === 'sqlite') {
    const { rows } = await db.executeQuery<{ id: number; parent: number; detail: string }>({
      ...compiled,
      sql: `explain query plan ${compiled.sql}`,
    });
    const depth = new Map<number, number>([[0, -1]]);
    return rows
      .map(({ id, parent, detail }) => {
        const d = (depth.get(parent) ?? -1) + 1;
        depth.set(id, d);
        return `${'  '.repeat(d)}${detail}`;
      })
      .join('\n');
  }
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>({ ...compiled, sql: `explain ${compiled.sql}` });
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

function listing(query: string, after?: unknown[]) {
  const parsed = parseListing(Object.fromEntries(new URLSearchParams(query)), definitions);
  if (after === undefined) {
    return parsed;
  }
  const cursor = encodeCursor(parsed, after);
  return parseListing(Object.fromEntries(new URLSearchParams(`${query}&cursor=${cursor}`)), definitions);
}

const page = (query: string, after?: unknown[]) => planOf(t.db, listServersQuery(t.db, listing(query, after), 101));
const count = (query: string) => planOf(t.db, countMatching(t.db, listing(query).filters));

/** A step that reads the index, with the condition it reads it by. */
function readsIndex(plan: string, name: string, condition: RegExp): void {
  const lines = plan.split('\n');
  const step =
    dialect === 'sqlite'
      ? new RegExp(`INDEX ${name} `)
      : new RegExp(`(Index (Only )?Scan (Backward )?using|Bitmap Index Scan on) ${name} `);
  const at = lines.findIndex((line) => step.test(line));
  expect(at, plan).toBeGreaterThanOrEqual(0);
  // SQLite names the condition on the step's line, PostgreSQL on the next.
  expect(lines[dialect === 'sqlite' ? at : at + 1], plan).toMatch(condition);
}

/**
 * The sorts of a plan that order more than the ties of a run of equal values (the ids, a few rows
 * that stop at the limit): a full sort, or one whose rows come presorted by the missing flag alone,
 * which is every server with a value.
 */
function wideSorts(plan: string): string[] {
  const lines = plan.split('\n');
  if (dialect === 'sqlite') {
    return lines.filter((line) => /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART|LAST \d+ TERMS)/.test(line));
  }
  return lines.filter(
    (line, i) =>
      /(^|->\s+)Sort\s+\(cost/.test(line) ||
      (line.includes('Incremental Sort') &&
        lines
          .slice(i, i + 3)
          .join('\n')
          .includes('Presorted Key: (CASE WHEN')),
  );
}

describe('the plans of the custom fields filters', () => {
  const equality =
    dialect === 'sqlite'
      ? /\(<expr>=\? AND <expr>=\?\)/
      : /Index Cond: \(\(CASE WHEN .* = 0\) AND \(.* = 'R7'::text\)\)/;
  const range =
    dialect === 'sqlite'
      ? /\(<expr>=\? AND <expr>>\? AND <expr><\?\)/
      : /Index Cond: \(\(CASE WHEN .* = 0\) AND \(.* >= '10'::numeric\) AND \(.* <= '11'::numeric\)\)/;

  it('reads an exact value as one range of the field index', async () => {
    readsIndex(await page('cf_rack=R7'), index('rack'), equality);
    readsIndex(await count('cf_rack=R7'), index('rack'), equality);
  });

  it('reads a range of values as one range of the field index', async () => {
    readsIndex(await page('cf_u__gte=10&cf_u__lte=11'), index('u'), range);
    readsIndex(await count('cf_u__gte=10&cf_u__lte=11'), index('u'), range);
  });

  it('reads "no value" as a range of the index too', async () => {
    const missing = dialect === 'sqlite' ? /\(<expr>=\?\)/ : /Index Cond: \(CASE WHEN .* = 1\)/;
    readsIndex(await count('cf_tier__empty=true'), index('tier'), missing);
  });
});

describe('the plans of the custom sorts', () => {
  // Each part (with a value, without) reads the index from its missing flag on, in order (descending:
  // backwards, the ids of a run of equal values sorted as it goes): the only wide sort is the
  // statement's, of the two parts' rows (at most two pages).
  const part = dialect === 'sqlite' ? /\(<expr>=\?\)/ : /Index Cond: \(CASE WHEN .* = [01]\)/;

  it.each([
    ['cf_u', 'u'],
    ['-cf_u', 'u'],
    ['cf_rack', 'rack'],
    ['-cf_rack', 'rack'],
    ['cf_tier', 'tier'],
  ])('sort=%s reads both parts in the index order', async (sort, field) => {
    const plan = await page(`sort=${sort}`);
    readsIndex(plan, index(field), part);
    expect(
      plan.split('\n').filter((line) => line.includes(`${index(field)} `)),
      plan,
    ).toHaveLength(2);
    const sorts = wideSorts(plan);
    expect(sorts, plan).toHaveLength(1);
    // The statement's own sort: at the top of the plan, not inside a part.
    expect(sorts[0], plan).toMatch(dialect === 'sqlite' ? /^USE/ : /^ {2}-> {2}Sort/);
  });

  it('reads a cursor page as a range of the index', async () => {
    const plan = await page('sort=-cf_u', [[0, 40], 1234]);
    readsIndex(
      plan,
      index('u'),
      dialect === 'sqlite'
        ? /\(<expr>=\? AND <expr><\?\)/
        : /Index Cond: \(\(CASE WHEN .* = 0\) AND \(.* <= '40'::numeric\)\)/,
    );
    expect(wideSorts(plan), plan).toHaveLength(1);
    const absent = await page('sort=-cf_u', [[1, 0], 1234]);
    readsIndex(absent, index('u'), dialect === 'sqlite' ? /\(<expr>=\?/ : /Index Cond: \(\(CASE WHEN .* = 1\)/);
    expect(wideSorts(absent), absent).toHaveLength(0);
  });

  it('would show a full sort: the checks above can fail', async () => {
    // The same order in one query, without the two parts: every server with a value is sorted.
    const u = definitions.find((d) => d.name === 'u') ?? { name: 'u', type: 'integer' as const };
    const plan = await planOf(
      t.db,
      t.db
        .selectFrom('servers')
        .selectAll()
        .orderBy(missingExpression(t.db, u))
        .orderBy(valueExpression(t.db, u), 'desc')
        .orderBy('id')
        .limit(101),
    );
    expect(wideSorts(plan), plan).toHaveLength(1);
    expect(plan).not.toMatch(/present/);
  });
});
