import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/connect.js';

describe('createDatabase (SQLite)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the file and its missing folders, and sets it up not to lose data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-connect-'));
    dirs.push(dir);
    const filename = join(dir, 'nested', 'deeper', 'inventory.db');
    const db = createDatabase({ dialect: 'sqlite', filename });
    try {
      const pragma = async (name: string) =>
        Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as Record<string, unknown>)[0];
      expect(existsSync(filename)).toBe(true);
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await db.destroy();
    }
  });

  it('opens an in-memory database for :memory:', async () => {
    const db = createDatabase({ dialect: 'sqlite', filename: ':memory:' });
    try {
      const { rows } = await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(
        db,
      );
      expect(rows[0]?.file).toBe('');
    } finally {
      await db.destroy();
    }
  });
});
