import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, type IncomingMessage, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLite } from '../../src/db/sqlite-driver.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

/** Servers added so that the list is far larger than the socket buffers between server and client. */
const MANY = 2000;
const NOTES = 'n'.repeat(16_000);

function addManyServers(file: string): void {
  const sqlite = new SQLite(file);
  const insert = sqlite.prepare(
    `insert into servers (hostname, ip, status, tags, notes, created_at, updated_at)
     values (?, ?, 'up', '[]', ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
  );
  sqlite.transaction(() => {
    for (let i = 0; i < MANY; i++) {
      insert.run(`bulk-${i}`, `10.1.${Math.floor(i / 250)}.${i % 250}`, NOTES);
    }
  })();
  sqlite.close();
}

/**
 * Starts an export of every server (GET /api/v1/servers?format=ndjson) on a keep-alive connection and resolves once the response has begun, with
 * the body left unread. Its own agent: Node's global one drops a connection idle for 5 s, which a
 * paused download on a busy machine can be.
 */
function startSlowDownload(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/api/v1/servers?format=ndjson`, { agent: new Agent({ keepAlive: true }) }, (res) => {
      res.pause();
      // Reported by readAll, with the server's output; not an unhandled error in between.
      res.on('error', () => undefined);
      resolve(res);
    });
    request.on('error', reject);
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (res.errored !== null) {
      reject(res.errored);
      return;
    }
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => {
      resolve(body);
    });
    res.on('error', reject);
    res.resume();
  });
}

async function waitForOutput(server: ServerProcess, text: string): Promise<void> {
  for (let i = 0; i < 200 && !server.output().includes(text); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(server.output()).toContain(text);
}

function exitCode(server: ServerProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) {
      resolve(server.child.exitCode);
    } else {
      server.child.on('exit', (code) => {
        resolve(code);
      });
    }
  });
}

describe('graceful shutdown', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'inventory-shutdown-'));
  });
  afterEach(async () => {
    if (server?.child.exitCode === null) {
      await server.stop('SIGKILL');
    }
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s, finishes the request in flight, refuses new connections, closes the database and exits 0',
    async (signal) => {
      const file = join(dir, 'inventory.db');
      const running = await startServer({ env: { DATABASE_URL: `sqlite:${file}`, SHUTDOWN_GRACE_MS: '10000' } });
      server = running;
      addManyServers(file);

      const res = await startSlowDownload(server.url);
      expect(res.statusCode).toBe(200);
      const exited = exitCode(server);
      server.child.kill(signal);

      // The response is still being sent: the process waits for it rather than exiting, and serves
      // nothing new (the connection is refused, or answered 503 if it raced the signal).
      await waitForOutput(server, '"msg":"shutting down"');
      const late = await fetch(`${server.url}/api/v1/health`).catch(() => undefined);
      expect(late?.status ?? 'refused').not.toBe(200);
      expect(server.child.exitCode).toBeNull();

      const text = await readAll(res).catch((error: unknown) => {
        throw new Error(`the download failed (${String(error)}); server output:\n${running.output()}`);
      });
      const servers = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { notes: string });
      expect(servers).toHaveLength(MANY + 2);
      expect(servers.at(-1)?.notes).toBe(NOTES);

      expect(await exited).toBe(0);
      expect(server.output()).toContain('"msg":"shutting down"');
      // The database was closed cleanly: its write-ahead log was checkpointed and removed.
      expect(existsSync(`${file}-wal`)).toBe(false);
      const sqlite = new SQLite(file);
      expect(sqlite.prepare('select count(*) as n from servers').get()).toStrictEqual({ n: MANY + 2 });
      sqlite.close();
    },
  );

  it('exits 1 when a request in flight outlasts SHUTDOWN_GRACE_MS', async () => {
    const file = join(dir, 'inventory.db');
    server = await startServer({ env: { DATABASE_URL: `sqlite:${file}`, SHUTDOWN_GRACE_MS: '500' } });
    addManyServers(file);

    const res = await startSlowDownload(server.url);
    const exited = exitCode(server);
    server.child.kill('SIGTERM');
    // The client never reads: the grace period runs out.
    expect(await exited).toBe(1);
    res.destroy();
  });
});
