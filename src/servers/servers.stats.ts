import type { Kysely } from 'kysely';
import type { Database } from '../db/types.js';

export interface CountByValue {
  value: string | null;
  count: number;
}

/** How many servers have each status (statuses without a server are absent). */
export async function countServersByStatus(db: Kysely<Database>): Promise<CountByValue[]> {
  const rows = await db
    .selectFrom('servers')
    .select((eb) => ['status as value', eb.fn.countAll<number | string | bigint>().as('count')])
    .groupBy('status')
    .execute();
  return rows.map((row) => ({ value: row.value, count: Number(row.count) }));
}

/** How many servers each environment has; `value` is null for servers without one. */
export async function countServersByEnvironment(db: Kysely<Database>): Promise<CountByValue[]> {
  const rows = await db
    .selectFrom('servers')
    .select((eb) => ['environment as value', eb.fn.countAll<number | string | bigint>().as('count')])
    .groupBy('environment')
    .execute();
  return rows.map((row) => ({ value: row.value, count: Number(row.count) }));
}
