import type { Kysely } from 'kysely';
import { insertChanges } from '../changes/changes.repository.js';
import { defaultValues } from '../servers/server-fields.js';
import { type ServerFields, insertServers } from '../servers/servers.repository.js';
import { serverState, toServer } from '../servers/servers.mapper.js';
import { diff, valuesOf } from '../servers/servers.values.js';
import { writeTransaction } from './transaction.js';
import type { Database } from './types.js';

/** The specification's two sample servers. */
export const SAMPLE_SERVERS: readonly ServerFields[] = [
  { ...defaultValues(), hostname: 'web-prod-01', ip: '10.0.0.1', status: 'up', environment: 'production', role: 'web' },
  {
    ...defaultValues(),
    hostname: 'db-prod-01',
    ip: '10.0.0.2',
    status: 'down',
    environment: 'production',
    role: 'database',
  },
];

const INITIALISED_KEY = 'initialised_at';
/** The actor of changes the system made itself. */
export const SEED_ACTOR = 'system';

/**
 * Marks a new database as initialised and, if `seed` is set and it holds no servers, adds the
 * sample servers, all in one transaction. A database is initialised once: later starts never seed,
 * whatever INVENTORY_SEED says, so sample data never lands on top of real data or comes back after
 * someone deleted it. Safe when several processes start at once: the marker's primary key lets one win.
 */
export async function initialiseInventory(
  db: Kysely<Database>,
  { seed }: { seed: boolean },
): Promise<{ seeded: boolean }> {
  return writeTransaction(db, async (trx) => {
    const now = new Date().toISOString();
    const marked = await trx
      .insertInto('inventory_meta')
      .values({ key: INITIALISED_KEY, value: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    if (Number(marked.numInsertedOrUpdatedRows ?? 0) === 0 || !seed) {
      return { seeded: false };
    }
    const existing = await trx.selectFrom('servers').select('id').limit(1).executeTakeFirst();
    if (existing !== undefined) {
      return { seeded: false };
    }
    const rows = await insertServers(
      trx,
      SAMPLE_SERVERS.map((server) => ({ ...server, created_at: now, updated_at: now })),
    );
    // The samples' creation goes into the change feed like any other, so that a client that
    // syncs from the feed sees them.
    await insertChanges(
      trx,
      rows.map((row) => {
        const server = toServer(row);
        return {
          server_id: row.id,
          action: 'create' as const,
          at: now,
          actor: SEED_ACTOR,
          changes: JSON.stringify(diff(null, valuesOf(server))),
          server: serverState(server),
        };
      }),
    );
    return { seeded: true };
  });
}
