import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SQLite, sqliteDriverPackage } from '../../src/db/sqlite-driver.js';

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve('tsx')).href;
const FIXTURE = fileURLToPath(new URL('../fixtures/gc-statements.ts', import.meta.url));

describe('the SQLite driver', () => {
  it('loads the better-sqlite3 major version made for the running Node.js', () => {
    const { version } = require(`${sqliteDriverPackage}/package.json`) as { version: string };
    const nodeMajor = Number(process.versions.node.split('.', 1)[0]);
    expect(version.split('.', 1)[0]).toBe(nodeMajor >= 22 ? '13' : '12');
    const db = new SQLite(':memory:');
    const row = db.prepare('select sqlite_version() as v').get() as { v: string };
    expect(row.v).toMatch(/^3\./);
    db.close();
  });

  it('survives the garbage collector finalising thousands of statements', () => {
    const result = spawnSync(process.execPath, ['--expose-gc', '--import', TSX, FIXTURE], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).not.toContain('Assertion failed');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('ok\n');
  });
});
