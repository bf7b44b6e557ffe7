import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SQLite } from '../src/db/sqlite-driver.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helpers/build-test-app.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The command-line tool's sources compiled once into one file (its packages left to node_modules,
 * which the file resolves from inside it), and run with node: as `npm run cli` runs them, without
 * compiling every source again on each of the many runs below (about 2 s each through tsx).
 */
let compiled = '';
beforeAll(async () => {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'cli-test-'));
  compiled = join(dir, 'cli.mjs');
  await build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    outfile: compiled,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  return () => {
    rmSync(dir, { recursive: true, force: true });
  };
});

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [compiled, ...args], {
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

  it('token create prints the secret last, once, and the API accepts it; revoke takes it back', async () => {
    const file = join(dir, 'tokens.db');
    const env = { DATABASE_URL: `sqlite:${file}` };
    const created = cli(
      ['token', 'create', '--name', 'deploy-bot', '--scope', 'write', '--expires-in-days', '30'],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const secret = lines[lines.length - 1] ?? '';
    expect(secret).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toContain('Created write token "deploy-bot"');

    const listed = cli(['token', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^deploy-bot\s+write\s+active\s/m);
    expect(listed.stdout).not.toContain(secret);

    const t = await buildTestApp({ env: { DATABASE_URL: `sqlite:${file}`, INVENTORY_SEED: 'false' } });
    const write = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: { authorization: `Bearer ${secret}` },
        payload: { hostname: `h${Date.now()}`, ip: '192.0.2.1' },
      });
    try {
      expect((await write()).statusCode).toBe(201);
      const revoked = cli(['token', 'revoke', 'deploy-bot'], env);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toBe('Revoked token "deploy-bot".\n');
      expect((await write()).statusCode).toBe(401);
    } finally {
      await t.app.close();
    }
    expect(cli(['token', 'list'], env).stdout).toMatch(/^deploy-bot\s+write\s+revoked\s/m);
  });

  it('creates an admin token, rotates a token with a grace period, and records who did it', async () => {
    const file = join(dir, 'admin.db');
    const env = { DATABASE_URL: `sqlite:${file}` };
    const created = cli(['token', 'create', '--name', 'ops', '--scope', 'admin'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created admin token "ops"');
    const first = created.stdout.trimEnd().split('\n').at(-1) ?? '';

    const rotated = cli(['token', 'rotate', 'ops', '--grace-seconds', '3600'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^Rotated token "ops"; the previous secret works until \d{4}-\d\d-\d\dT/);
    const second = rotated.stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(second).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect(cli(['token', 'list'], env).stdout).toMatch(/^ops\s+admin\s+active\s/m);

    const t = await buildTestApp({ env: { DATABASE_URL: `sqlite:${file}`, INVENTORY_SEED: 'false' } });
    try {
      for (const secret of [first, second]) {
        const res = await t.app.inject({
          method: 'GET',
          url: '/api/v1/tokens/events',
          headers: { authorization: `Bearer ${secret}` },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json<{ events: { action: string; actor: string }[] }>().events).toMatchObject([
          { action: 'create', actor: '(cli)' },
          { action: 'rotate', actor: '(cli)' },
        ]);
      }
    } finally {
      await t.app.close();
    }
    const again = cli(['token', 'rotate', 'ops'], env);
    expect(again.stdout).toContain('the previous secret no longer works');
  });

  it.each([
    [['token', 'create', '--name', 'x', '--scope', 'owner'], 2, '--scope must be read, write or admin (got "owner")'],
    [['token', 'create', '--scope', 'read'], 2, 'token create needs --name NAME'],
    [['token', 'create', '--name', 'x'], 2, 'token create needs --scope read|write|admin'],
    [
      ['token', 'create', '--name', 'x', '--scope', 'read', 'extra'],
      2,
      'token create takes no other argument (got "extra")',
    ],
    [['token', 'create', '--name', 'x', '--scope', 'read', '--expires-in-days', '0'], 2, '--expires-in-days'],
    [['token', 'create', '--name', 'bad name', '--scope', 'read'], 1, 'name: a token name is'],
    [['token', 'create', '--name', 'bootstrap', '--scope', 'read'], 1, 'name: the name "bootstrap" is reserved'],
    [['token', 'revoke', 'nobody'], 1, 'Token not found: '],
    [['token', 'revoke', 'nobody'], 1, '  name: no token is named "nobody"'],
    [['token', 'revoke'], 2, 'token revoke needs the NAME'],
    [['token', 'rotate'], 2, 'token rotate needs the NAME'],
    [['token', 'rotate', 'nobody'], 1, 'Token not found: '],
    [['token', 'rotate', 'x', '--grace-seconds', '604801'], 2, '--grace-seconds must be a whole number'],
    [['token', 'rotate', 'x', '--grace-seconds', '-1'], 1, "Option '--grace-seconds"],
    [['token', 'frob'], 2, 'Unknown token command: frob'],
  ])('token %j exits %i with a clear message', (args, code, message) => {
    const result = cli(args, { DATABASE_URL: `sqlite:${join(dir, 'errors.db')}` });
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
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
    const result = cli(['migrate'], { DATABASE_URL: 'postgres://u:hunter2@h/db?sslmode=sometimes' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("DATABASE_URL's sslmode must be one of");
    expect(result.stderr).not.toContain('hunter2');
  });

  it('exits 1 on an unknown option', () => {
    const result = cli(['migrate', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Unknown option '--force'");
  });
});
