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

  it('locks the deliveries it takes (not the subscriptions) with SKIP LOCKED on PostgreSQL only', () => {
    expect(claimDeliveriesQuery(compilers.postgres, CLAIM).compile().sql).toMatch(/for update of "d" skip locked\)/);
    expect(claimDeliveriesQuery(compilers.sqlite, CLAIM).compile().sql).not.toMatch(/for update/);
  });

  describe("on the run's database", () => {
    let db: Kysely<Database>;
    beforeAll(async () => {
      db = await migratedDatabase();
      // A backlog: three subscriptions with 600 deliveries each, the first half of them sent, as a burst
      // of writes leaves them; the planner's statistics of it on PostgreSQL, as autovacuum gathers them.
      const at = '2026-06-01T09:00:00.000Z';
      for (const id of [1, 2, 3]) {
        await db
          .insertInto('webhooks')
          .values({
            id,
            url: `https://hooks.example.com/${id}`,
            events: '["server.updated"]',
            filter: '',
            active: 1,
            secret: 'whsec_AAAA',
            after_seq: 0,
            created_at: at,
            updated_at: at,
            created_by: 'bootstrap',
            updated_by: 'bootstrap',
          })
          .execute();
        const rows = Array.from({ length: 600 }, (_, i) => ({
          webhook_id: id,
          event_type: 'server.updated' as const,
          message_id: `msg_${i + 1}_${id}`,
          seq: i + 1,
          body: '{}',
          status: i < 300 ? ('succeeded' as const) : ('pending' as const),
          next_attempt_at: i < 300 ? null : at,
          created_at: at,
        }));
        for (let start = 0; start < rows.length; start += 100) {
          await db
            .insertInto('webhook_deliveries')
            .values(rows.slice(start, start + 100))
            .execute();
        }
      }
      if (!isSqlite(db)) {
        await sql`analyze webhooks`.execute(db);
        await sql`analyze webhook_deliveries`.execute(db);
      }
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
      // And by subscription, through the partial indexes, which hold the pending and the leased deliveries
      // only: a claim, made after every attempt, does not read the backlog of every subscription.
      expect(plan).toMatch(/webhook_deliveries_pending_webhook_id_seq_idx/);
      expect(plan).toMatch(/webhook_deliveries_leased_webhook_id_idx/);
      expect(plan).not.toMatch(/webhook_deliveries_status_next_attempt_at_idx/);
    });
  });
});
