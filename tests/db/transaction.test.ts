// rowsTransaction's commits that do not wait for the disk (`durable: false`), on the database the suite
// runs on: the setting holds inside the transaction only, whether it commits or fails, and what it wrote
// is committed like any other transaction's.
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSqlite, rowsTransaction } from '../../src/db/transaction.js';
import type { Database } from '../../src/db/types.js';
import { dialect, migratedDatabase } from '../helpers/database.js';

let db: Kysely<Database>;
beforeAll(async () => {
  db = await migratedDatabase();
});
afterAll(async () => {
  await db.destroy();
});

/** How this connection (or transaction) waits for the disk at commit: SQLite's level, PostgreSQL's setting. */
async function syncSetting(on: Kysely<Database>): Promise<string> {
  if (isSqlite(on)) {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(on);
    return ['off', 'normal', 'full', 'extra'][rows[0]?.synchronous ?? -1] ?? 'unknown';
  }
  const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(on);
  return rows[0]?.synchronous_commit ?? 'unknown';
}

async function lastSeq(): Promise<number | undefined> {
  return (await db.selectFrom('webhook_state').select('last_seq').where('id', '=', 1).executeTakeFirst())?.last_seq;
}

const DURABLE = dialect === 'sqlite' ? 'full' : 'on';
const NOT_DURABLE = dialect === 'sqlite' ? 'normal' : 'off';

describe('rowsTransaction', () => {
  it('commits without waiting for the disk with durable: false, inside the transaction only', async () => {
    expect(await syncSetting(db)).toBe(DURABLE);
    const inside = await rowsTransaction(
      db,
      async (trx) => {
        await trx.updateTable('webhook_state').set({ last_seq: 41 }).where('id', '=', 1).execute();
        return syncSetting(trx);
      },
      { durable: false },
    );
    expect(inside).toBe(NOT_DURABLE);
    expect(await syncSetting(db)).toBe(DURABLE);
    expect(await lastSeq()).toBe(41);
  });

  it('puts the setting back and writes nothing when the work fails', async () => {
    await expect(
      rowsTransaction(
        db,
        async (trx) => {
          await trx.updateTable('webhook_state').set({ last_seq: 42 }).where('id', '=', 1).execute();
          throw new Error('refused');
        },
        { durable: false },
      ),
    ).rejects.toThrow('refused');
    expect(await syncSetting(db)).toBe(DURABLE);
    expect(await lastSeq()).toBe(41);
  });

  it('waits for the disk by default', async () => {
    expect(await rowsTransaction(db, (trx) => syncSetting(trx))).toBe(DURABLE);
  });
});
