// The limit on the SQL texts run as named prepared statements (src/db/prepared.ts), in a file of its own:
// it starts with none registered (each test file has its own modules) and fills them all.
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledQuery } from '../../src/db/compiled.js';
import { PREPARED_STATEMENTS_MAX, preparedStatementName, registerPreparedStatement } from '../../src/db/prepared.js';
import type { Database } from '../../src/db/types.js';
import { dialect, migratedDatabase } from '../helpers/database.js';

describe('registerPreparedStatement', () => {
  const texts = Array.from({ length: PREPARED_STATEMENTS_MAX + 1 }, (_, i) => `select ${i} as filler`);
  let names: (string | undefined)[];
  beforeAll(() => {
    names = texts.map((text) => registerPreparedStatement(text));
  });

  it('names each of the first PREPARED_STATEMENTS_MAX texts, apart and the same each time, and no more', () => {
    const first = names.slice(0, PREPARED_STATEMENTS_MAX);
    expect(first.every((name) => name !== undefined && /^inv_[0-9a-f]{16}$/.test(name))).toBe(true);
    expect(new Set(first).size).toBe(PREPARED_STATEMENTS_MAX);
    expect(texts.map((text) => preparedStatementName(text))).toStrictEqual(names);
    expect(registerPreparedStatement(texts[0] ?? '')).toBe(names[0]);
    expect(names[PREPARED_STATEMENTS_MAX]).toBeUndefined();
    expect(registerPreparedStatement('select 1 as another')).toBeUndefined();
    expect(preparedStatementName('select 1 as another')).toBeUndefined();
  });

  describe.runIf(dialect === 'postgres')('on PostgreSQL', () => {
    let db: Kysely<Database>;
    beforeAll(async () => {
      db = await migratedDatabase();
      await db.insertInto('server_counts').values({ scope: 'rack', total: 10 }).execute();
    });
    afterAll(async () => {
      await db.destroy();
    });

    it('runs a compiled query past the limit unnamed, with its rows, and a registered text named', async () => {
      const byScope = compiledQuery<[scope: string], { total: number }>(1, (on, scope) =>
        on.selectFrom('server_counts').select('total').where('scope', '=', scope),
      );
      await db.connection().execute(async (connection) => {
        expect((await byScope(connection, 'rack')).rows).toStrictEqual([{ total: 10 }]);
        await sql.raw(texts[1] ?? '').execute(connection);
        const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(connection);
        expect(rows).toStrictEqual([{ name: names[1] }]);
      });
    });
  });
});
