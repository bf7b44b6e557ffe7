import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialiseInventory } from '../../src/db/seed.js';
import type { Database } from '../../src/db/types.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import { migratedDatabase } from '../helpers/database.js';
import { serverRow } from '../helpers/servers.js';

async function servers(db: Kysely<Database>) {
  return db.selectFrom('servers').select(['id', 'hostname', 'ip', 'status']).orderBy('id').execute();
}

const SAMPLES = [
  { id: 1, hostname: 'web-prod-01', ip: '10.0.0.1', status: 'up' },
  { id: 2, hostname: 'db-prod-01', ip: '10.0.0.2', status: 'down' },
];

describe('initialiseInventory', () => {
  let db: Kysely<Database>;
  beforeEach(async () => {
    db = await migratedDatabase();
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('seeds the two sample servers into a new, empty database', async () => {
    expect(await initialiseInventory(db, { seed: true })).toStrictEqual({ seeded: true });
    expect(await servers(db)).toStrictEqual(SAMPLES);
  });

  it('seeds only once', async () => {
    await initialiseInventory(db, { seed: true });
    expect(await initialiseInventory(db, { seed: true })).toStrictEqual({ seeded: false });
    expect(await servers(db)).toStrictEqual(SAMPLES);
  });

  it('does not bring the samples back after they were deleted', async () => {
    await initialiseInventory(db, { seed: true });
    await db.deleteFrom('servers').execute();
    expect(await initialiseInventory(db, { seed: true })).toStrictEqual({ seeded: false });
    expect(await servers(db)).toStrictEqual([]);
  });

  it('does not seed with seed=false, nor on a later start with seed=true', async () => {
    expect(await initialiseInventory(db, { seed: false })).toStrictEqual({ seeded: false });
    expect(await servers(db)).toStrictEqual([]);
    expect(await initialiseInventory(db, { seed: true })).toStrictEqual({ seeded: false });
    expect(await servers(db)).toStrictEqual([]);
  });

  it('never seeds on top of existing data', async () => {
    await insertServers(db, [serverRow({ hostname: 'existing', ip: '192.0.2.1' })]);
    expect(await initialiseInventory(db, { seed: true })).toStrictEqual({ seeded: false });
    expect((await servers(db)).map((s) => s.hostname)).toStrictEqual(['existing']);
  });
});
