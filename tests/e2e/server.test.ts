import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLite } from '../../src/db/sqlite-driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServerProcess, runMain, startServer } from '../helpers/server-process.js';

interface ListBody {
  servers: { id: number; hostname: string }[];
  count: number;
}

describe('the server process', () => {
  const dirs: string[] = [];
  const running: ServerProcess[] = [];
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'inventory-e2e-'));
    dirs.push(dir);
    return dir;
  }
  afterEach(async () => {
    for (const server of running.splice(0)) {
      if (server.child.exitCode === null) {
        await server.stop('SIGKILL');
      }
    }
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function start(env: Record<string, string>, cwd?: string): Promise<ServerProcess> {
    const server = await startServer(cwd === undefined ? { env } : { env, cwd });
    running.push(server);
    return server;
  }

  it('creates data/inventory.db under its working directory by default and serves the samples over HTTP', async () => {
    const cwd = tempDir();
    const server = await start({}, cwd);
    expect(existsSync(join(cwd, 'data', 'inventory.db'))).toBe(true);

    const health = await fetch(`${server.url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toStrictEqual({ status: 'OK', version: '1.0' });

    const list = await fetch(`${server.url}/api/v1/servers`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as ListBody;
    expect(body.count).toBe(2);
    expect(body.servers.map((s) => s.hostname)).toStrictEqual(['web-prod-01', 'db-prod-01']);

    const missing = await fetch(`${server.url}/api/v1/servers/999`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toStrictEqual({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });

    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('keeps its data across a restart and does not seed a second time', async () => {
    const dir = tempDir();
    const file = join(dir, 'inventory.db');
    const env = { DATABASE_URL: `sqlite:${file}` };

    const first = await start(env);
    expect(((await (await fetch(`${first.url}/api/v1/servers`)).json()) as ListBody).count).toBe(2);
    expect(await first.stop('SIGTERM')).toBe(0);

    // Change the data while the server is down: one sample goes, a new server comes.
    const sqlite = new SQLite(file);
    sqlite.prepare('delete from servers where id = 2').run();
    sqlite
      .prepare(
        `insert into servers (hostname, ip, status, tags, created_at, updated_at)
         values ('cache-01', '10.0.0.3', 'maintenance', '["redis"]', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      )
      .run();
    sqlite.close();

    const second = await start(env);
    const body = (await (await fetch(`${second.url}/api/v1/servers`)).json()) as ListBody;
    expect(body.count).toBe(2);
    expect(body.servers.map((s) => [s.id, s.hostname])).toStrictEqual([
      [1, 'web-prod-01'],
      [3, 'cache-01'],
    ]);
    const cache = await (await fetch(`${second.url}/api/v1/servers/3`)).json();
    expect(cache).toMatchObject({ id: 3, ip: '10.0.0.3', status: 'maintenance', tags: ['redis'] });
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('starts empty with INVENTORY_SEED=false', async () => {
    const server = await start({ DATABASE_URL: `sqlite:${join(tempDir(), 'inventory.db')}`, INVENTORY_SEED: 'false' });
    expect(await (await fetch(`${server.url}/api/v1/servers`)).json()).toStrictEqual({
      servers: [],
      count: 0,
      next: null,
    });
  });

  it('refuses to start on a bad configuration, naming the variable, with a non-zero exit code', async () => {
    const run = runMain({ env: { PORT: 'eighty', DATABASE_URL: 'postgres://app:hunter2@db/inventory' } });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('PORT must be an integer from 0 to 65535');
    expect(run.output()).not.toContain('hunter2');
  });

  it('exits non-zero when PostgreSQL cannot be reached, without printing the URL or its password', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const run = runMain({ env: { DATABASE_URL: 'postgresql://inventory:hunter2@127.0.0.1:1/inventory', PORT: '0' } });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('could not open and migrate the database');
    expect(run.output()).toContain('ECONNREFUSED');
    expect(run.output()).not.toContain('hunter2');
  });

  it('exits non-zero when the database cannot be opened', async () => {
    const dir = tempDir();
    // A directory where the database file should be.
    const run = runMain({ env: { DATABASE_URL: `sqlite:${dir}`, PORT: '0' } });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('could not open and migrate the database');
  });
});
