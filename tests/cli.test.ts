import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SQLite } from '../src/db/sqlite-driver.js';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', TSX, CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run cli', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-cli-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrate applies the migrations, then reports the schema up to date, and seeds nothing', () => {
    const file = join(dir, 'migrate.db');
    const first = cli(['migrate'], { DATABASE_URL: `sqlite:${file}` });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied 2026_11_27_180000_create_servers$/m);

    const second = cli(['migrate'], { DATABASE_URL: `sqlite:${file}` });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('Database schema is up to date.\n');

    const sqlite = new SQLite(file, { readonly: true });
    try {
      expect(sqlite.prepare('select count(*) as n from servers').get()).toStrictEqual({ n: 0 });
    } finally {
      sqlite.close();
    }
  });

  it('help prints the usage and exits 0', () => {
    const result = cli(['help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run cli -- <command>');
  });

  it('exits 2 with the usage for no command or an unknown one', () => {
    expect(cli([]).code).toBe(2);
    const unknown = cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command: frobnicate');
  });

  it('exits 1 naming the variable on a bad configuration', () => {
    const result = cli(['migrate'], { DATABASE_URL: 'postgres://u:hunter2@h/db' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL: PostgreSQL is not supported yet');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('exits 1 on an unknown option', () => {
    const result = cli(['migrate', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Unknown option '--force'");
  });
});
