// The claim of due deliveries, compiled for SQLite and for PostgreSQL whatever database the run has, and
// kept in files (tests/webhooks/__snapshots__/sql/) so that a change to it shows in review; and the
// indexes it reads on the run's database.
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSqlite } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { claimDeliveriesQuery } from '../../src/webhooks/webhooks.queue.repository.js';
import { migratedDatabase } from '../helpers/database.js';
import { compilers, renderQuery } from '../helpers/sql.js';

const CLAIM = {
  owner: 'host:1234:0a1b2c3d',
  now: '2026-06-01T10:00:00.000Z',
  leaseUntil: '2026-06-01T10:00:45.000Z',
  limit: 8,
};

describe('claimDeliveriesQuery', () => {
  it('compiles as its snapshot says on SQLite and on PostgreSQL', async () => {
    for (const [database, db] of Object.entries(compilers)) {
      await expect(
        `-- The claim of up to 8 due deliveries, one per subscription\n\n${renderQuery(claimDeliveriesQuery(db, CLAIM).compile())}`,
      ).toMatchFileSnapshot(`./__snapshots__/sql/claim.${database}.sql`);
    }
  });

  it('locks the rows it takes with SKIP LOCKED on PostgreSQL only', () => {
    expect(claimDeliveriesQuery(compilers.postgres, CLAIM).compile().sql).toMatch(/for update skip locked\)/);
    expect(claimDeliveriesQuery(compilers.sqlite, CLAIM).compile().sql).not.toMatch(/for update/);
  });

  describe("on the run's database", () => {
    let db: Kysely<Database>;
    beforeAll(async () => {
      db = await migratedDatabase();
    });
    afterAll(async () => {
      await db.destroy();
    });

    it('reads the deliveries by their indexes, never the whole log', async () => {
      const compiled = claimDeliveriesQuery(db, CLAIM).compile();
      let plan: string;
      if (isSqlite(db)) {
        const explained = await db.executeQuery<{ detail: string }>({
          ...compiled,
          sql: `explain query plan ${compiled.sql}`,
        });
        plan = explained.rows.map((row) => row.detail).join('\n');
      } else {
        plan = await db.transaction().execute(async (trx) => {
          // PostgreSQL would read the empty tables whole; it is told not to, to show which indexes fit.
          await sql`set local enable_seqscan = off`.execute(trx);
          const explained = await trx.executeQuery<{ 'QUERY PLAN': string }>({
            ...compiled,
            sql: `explain ${compiled.sql}`,
          });
          return explained.rows.map((row) => row['QUERY PLAN']).join('\n');
        });
      }
      // Each read of the deliveries goes through an index: the table holds the whole log.
      expect(plan).not.toMatch(/Seq Scan on webhook_deliveries|SCAN (webhook_deliveries|d|e|f)$/m);
    });
  });
});
