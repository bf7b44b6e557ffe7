// The migration that stores custom values as jsonb on PostgreSQL (nothing on SQLite), and the
// previous revision's SQL beside it, as during a rolling update or after a rollback of the pods.
import { readFileSync, readdirSync } from 'node:fs';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDefinitions, setServersValues } from '../../src/custom-fields/custom-fields.repository.js';
import { missingExpression, valueExpression } from '../../src/custom-fields/custom-fields.sql.js';
import { parseValues } from '../../src/custom-fields/custom-fields.values.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { findServerById } from '../../src/servers/servers.repository.js';
import { databaseMigratedTo, dialect, migrationBefore } from '../helpers/database.js';

const THIS = '2026_12_01_130000_store_custom_values_as_jsonb_on_postgres';
const BEFORE = migrationBefore(THIS);
const AT = '2026-01-01T00:00:00.000Z';

/** Values as the text column held them (compact, keys in name order), one server each. */
const STORED = [
  '{"pci":true,"rack":"R1","u":8}',
  '{}',
  '{"rack":"R2, \\"B\\"","u":1.5}',
  '{"pci":false,"rack":"R1","u":3}',
  '{"rack":"naïve\\n","u":10}',
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const raw = (db: Kysely<Database>) => db as unknown as Kysely<any>;

/**
 * The database as the previous revision left it: three definitions (rack, u, pci) with the indexes
 * it made for them on the text column, the index of a field deleted since (id 7), and servers.
 */
async function previousState(db: Kysely<Database>): Promise<void> {
  await raw(db)
    .insertInto('custom_fields')
    .values(
      [
        ['rack', 'string'],
        ['u', 'integer'],
        ['pci', 'boolean'],
      ].map(([name, type]) => ({ name, type, spec: '{}', created_at: AT, updated_at: AT })),
    )
    .execute();
  if (!isSqlite(db)) {
    const value = (name: string) => `(custom_fields::jsonb ->> '${name}')`;
    const missing = (name: string) => `(case when ${value(name)} is null then 1 else 0 end)`;
    for (const [id, expression] of [
      [1, `${missing('rack')}, (coalesce(${value('rack')}, '') collate "C"), id`],
      [2, `${missing('u')}, coalesce((${value('u')})::numeric, 0), id`],
      [3, `${missing('pci')}, (case ${value('pci')} when 'true' then 1 else 0 end), id`],
      [7, `${missing('gone')}, (coalesce(${value('gone')}, '') collate "C"), id`],
    ] as const) {
      await sql.raw(`create index servers_cf_${id}_idx on servers (${expression})`).execute(db);
    }
  }
  await raw(db)
    .insertInto('servers')
    .values(
      STORED.map((custom_fields, i) => ({
        hostname: `old-0${i}`,
        ip: `10.9.0.${i + 1}`,
        ip_key: Buffer.from([4, 10, 9, 0, i + 1]),
        status: i % 2 === 0 ? 'up' : 'down',
        tags: '[]',
        custom_fields,
        created_at: AT,
        updated_at: AT,
      })),
    )
    .execute();
  await raw(db).updateTable('server_counts').set({ total: STORED.length }).where('scope', '=', 'all').execute();
}

/** The type of servers.custom_fields. */
async function columnType(db: Kysely<Database>): Promise<string> {
  const query = isSqlite(db)
    ? sql<{ type: string }>`select type from pragma_table_info('servers') where name = 'custom_fields'`
    : sql<{ type: string }>`select data_type as type from information_schema.columns
        where table_schema = current_schema() and table_name = 'servers' and column_name = 'custom_fields'`;
  return (await query.execute(db)).rows[0]?.type.toLowerCase() ?? '';
}

/** The fields' indexes on servers (servers_cf_*) and their definitions, by name. */
async function fieldIndexes(db: Kysely<Database>): Promise<Record<string, string>> {
  const query = isSqlite(db)
    ? sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
        where type = 'index' and tbl_name = 'servers'`
    : sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes
        where tablename = 'servers' and schemaname = current_schema()`;
  const rows = (await query.execute(db)).rows.filter((row) => row.name.startsWith('servers_cf_'));
  return Object.fromEntries(rows.map((row) => [row.name, row.definition]));
}

/** Each server's custom values as its column holds them, by id. */
async function storedText(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('servers').select(['custom_fields']).orderBy('id').execute();
  return rows.map((row) => row.custom_fields);
}

describe(`migration ${THIS}`, () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = await databaseMigratedTo(BEFORE);
    await previousState(db);
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('makes the column jsonb on PostgreSQL with every value and field index, and gives the text back going down', async () => {
    const indexesBefore = await fieldIndexes(db);

    await migrateToLatest(db);
    expect(await columnType(db)).toBe(isSqlite(db) ? 'text' : 'jsonb');
    for (const [i, text] of STORED.entries()) {
      const values = parseValues((await findServerById(db, i + 1))?.custom_fields ?? '');
      expect(values).toStrictEqual(JSON.parse(text));
      expect(Object.keys(values)).toStrictEqual(Object.keys(JSON.parse(text) as object));
    }
    const indexes = await fieldIndexes(db);
    if (isSqlite(db)) {
      expect(indexes).toStrictEqual(indexesBefore);
    } else {
      // The deleted field's index is gone; the definitions' are on the jsonb column, without a cast.
      expect(Object.keys(indexes).sort()).toStrictEqual(['servers_cf_1_idx', 'servers_cf_2_idx', 'servers_cf_3_idx']);
      for (const definition of Object.values(indexes)) {
        expect(definition).toMatch(/custom_fields ->> '(rack|u|pci)'/);
        expect(definition).not.toMatch(/::jsonb/);
      }
      const { rows } = await sql<{ value: string }>`select column_default as value from information_schema.columns
        where table_schema = current_schema() and table_name = 'servers' and column_name = 'custom_fields'`.execute(db);
      expect(rows).toStrictEqual([{ value: "'{}'::jsonb" }]);
    }

    // The code's expressions read the migrated column: an exact value and a range.
    const definitions = await listDefinitions(db);
    const rack = definitions.find((d) => d.name === 'rack');
    const u = definitions.find((d) => d.name === 'u');
    if (rack === undefined || u === undefined) {
      throw new Error('the definitions are missing');
    }
    const exact = await db
      .selectFrom('servers')
      .select('id')
      .where(missingExpression(db, rack), '=', 0)
      .where(valueExpression(db, rack), '=', 'R1')
      .orderBy('id')
      .execute();
    expect(exact.map((row) => row.id)).toStrictEqual([1, 4]);
    const ranged = await db
      .selectFrom('servers')
      .select('id')
      .where(missingExpression(db, u), '=', 0)
      .where(valueExpression(db, u), '>=', 3)
      .orderBy('id')
      .execute();
    expect(ranged.map((row) => row.id)).toStrictEqual([1, 4, 5]);

    expect((await (await createMigrator(db)).migrateTo(BEFORE)).error).toBeUndefined();
    expect(await columnType(db)).toBe('text');
    expect(await storedText(db)).toStrictEqual(STORED);
    // The deleted field's index is not made again (the start would drop it anyway).
    const kept = Object.entries(indexesBefore).filter(([name]) => isSqlite(db) || name !== 'servers_cf_7_idx');
    expect(await fieldIndexes(db)).toStrictEqual(Object.fromEntries(kept));
  });

  it.skipIf(dialect === 'sqlite')(
    'makes the indexes that the current code and the previous revision both filter through (PostgreSQL)',
    async () => {
      await migrateToLatest(db);
      const [u] = (await listDefinitions(db)).filter((d) => d.name === 'u');
      if (u === undefined) {
        throw new Error('the definition is missing');
      }
      const current = db
        .selectFrom('servers')
        .select('id')
        .where(missingExpression(db, u), '=', 0)
        .where(valueExpression(db, u), '>=', 3)
        .compile().sql;
      const previous = current.replaceAll('custom_fields ->>', 'custom_fields::jsonb ->>');
      expect(previous).not.toBe(current);
      for (const query of [current, previous]) {
        // Five rows would be read whole: the plan is asked to use an index wherever one fits.
        const plan = await db.transaction().execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          return (await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query}`, [0, 3]))).rows;
        });
        expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/servers_cf_2_idx/);
      }
    },
  );
});

/** The statements of an SQL snapshot (see tests/helpers/sql.ts), each with its `-- n: value` parameters. */
function statementsOf(text: string): CompiledQuery[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line !== ''))
    .filter((lines) => lines.some((line) => !line.startsWith('--')))
    .map((lines) => {
      const body = lines.filter((line) => !line.startsWith('--')).join('\n');
      const parameters = lines.flatMap((line) => {
        const literal = /^-- \d+: (.*)$/.exec(line)?.[1];
        if (literal === undefined) {
          return [];
        }
        return [
          literal.startsWith("'") ? literal.slice(1, -1).replaceAll("''", "'") : (JSON.parse(literal) as unknown),
        ];
      });
      return CompiledQuery.raw(body.replace(/;$/, ''), parameters);
    });
}

const PREVIOUS = new URL('./fixtures/previous-revision/', import.meta.url);

describe.skipIf(dialect === 'sqlite')(`the previous revision beside migration ${THIS} (PostgreSQL)`, () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = await databaseMigratedTo(BEFORE);
    await previousState(db);
  });
  afterEach(async () => {
    await db.destroy();
  });

  /** Every row each of the previous revision's list statements gives, custom values parsed. */
  async function previousReads(): Promise<Record<string, unknown[][]>> {
    const results: Record<string, unknown[][]> = {};
    for (const file of readdirSync(PREVIOUS).sort()) {
      const statements = statementsOf(readFileSync(new URL(file, PREVIOUS), 'utf8'));
      results[file] = [];
      for (const statement of statements) {
        const { rows } = await db.executeQuery<Record<string, unknown>>(statement);
        results[file].push(
          rows.map((row) =>
            typeof row.custom_fields === 'string' ? { ...row, custom_fields: parseValues(row.custom_fields) } : row,
          ),
        );
      }
    }
    return results;
  }

  it("gives the same answers to the previous revision's list statements (its SQL snapshots) on the jsonb column", async () => {
    const before = await previousReads();
    expect(Object.keys(before)).toHaveLength(7);
    // Not vacuous: the filters and sorts find servers.
    expect(Object.values(before).every((results) => results.some((rows) => rows.length > 0))).toBe(true);

    await migrateToLatest(db);
    expect(await columnType(db)).toBe('jsonb');
    expect(await previousReads()).toStrictEqual(before);
  });

  it("takes the previous revision's writes of a server (bound values) on the jsonb column", async () => {
    await migrateToLatest(db);
    // As the previous revision's insertServers and updateServer bind them: JSON text, as parameters.
    const inserted = await raw(db)
      .insertInto('servers')
      .values({
        hostname: 'new-01',
        ip: '10.9.1.1',
        ip_key: Buffer.from([4, 10, 9, 1, 1]),
        status: 'up',
        tags: '[]',
        custom_fields: '{"rack":"R9","u":4}',
        created_at: AT,
        updated_at: AT,
      })
      .returning(['id', 'custom_fields'])
      .executeTakeFirstOrThrow();
    expect(parseValues(inserted.custom_fields as string)).toStrictEqual({ rack: 'R9', u: 4 });
    await raw(db).updateTable('servers').set({ custom_fields: '{"pci":true}' }).where('id', '=', 2).execute();
    expect(parseValues((await findServerById(db, 2))?.custom_fields ?? '')).toStrictEqual({ pci: true });
  });

  it("refuses the bulk rewrite of a revision before the cast (so that one is released first), and takes this revision's on either column", async () => {
    const rewrite = (cast: boolean) =>
      sql`update servers set custom_fields = ${cast ? sql`cast(v.custom_fields as jsonb)` : sql`v.custom_fields`}
        from (select column1 as id, column2 as custom_fields from (values (cast(${1} as integer), ${'{"u":9}'})) as rows) as v
        where servers.id = v.id`;
    // Before the migration: the text column takes both; this revision's leaves jsonb's text.
    await rewrite(false).execute(db);
    await setServersValues(db, [{ id: 3, custom_fields: { rack: 'R3', u: 2 } }], AT);
    expect(parseValues((await findServerById(db, 3))?.custom_fields ?? '')).toStrictEqual({ rack: 'R3', u: 2 });

    await migrateToLatest(db);
    await expect(rewrite(false).execute(db)).rejects.toMatchObject({ code: '42804' });
    await rewrite(true).execute(db);
    await setServersValues(db, [{ id: 4, custom_fields: { pci: true, u: 5 } }], AT);
    expect(parseValues((await findServerById(db, 1))?.custom_fields ?? '')).toStrictEqual({ u: 9 });
    expect(parseValues((await findServerById(db, 4))?.custom_fields ?? '')).toStrictEqual({ pci: true, u: 5 });

    // Going down gives the column the compact text in name order, whoever wrote it.
    expect((await (await createMigrator(db)).migrateTo(BEFORE)).error).toBeUndefined();
    expect(await storedText(db)).toStrictEqual([
      '{"u":9}',
      STORED[1],
      '{"rack":"R3","u":2}',
      '{"pci":true,"u":5}',
      STORED[4],
    ]);
  });
});
