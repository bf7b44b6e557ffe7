import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config.js';
import { quickStartCommands } from '../helpers/docs-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The README's address; the test serves on a free port instead and writes that one into the commands. */
const README_ADDRESS = '127.0.0.1:5000';
const SERVER_LOG = join(ROOT, 'server.log');

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/api/v1/health`).then(
    () => true,
    () => false,
  );
}

describe('the quick start of README.md', () => {
  const { commands, skipped } = quickStartCommands(README);
  const dir = mkdtempSync(join(tmpdir(), 'inventory-quickstart-'));
  const logBefore = existsSync(SERVER_LOG) ? readFileSync(SERVER_LOG) : undefined;
  let groupLeader: number | undefined;

  afterAll(() => {
    // If a step failed before `kill %1`: bash's process group, and the server, whose job has a process
    // group of its own (job control); the server's log lines carry its pid.
    const pids = existsSync(SERVER_LOG)
      ? [...readFileSync(SERVER_LOG, 'utf8').matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]))
      : [];
    for (const target of [...(groupLeader === undefined ? [] : [-groupLeader]), ...new Set(pids)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (logBefore === undefined) {
      rmSync(SERVER_LOG, { force: true });
    } else {
      writeFileSync(SERVER_LOG, logBefore);
    }
  });

  it('leaves out only the lines that fetch the code and install it', () => {
    // A test runs in this checkout with its node_modules: cloning and `npm ci` again would take minutes.
    expect(skipped).toStrictEqual([
      'git clone https://github.com/your-org/inventory-api.git && cd inventory-api',
      'npm ci',
    ]);
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });

  it('runs command by command, from the start of the server to a first authenticated write, its reads and its stop', async () => {
    const port = await freePort();
    expect(commands.some((c) => c.includes(README_ADDRESS))).toBe(true);
    // One bash runs the commands in order, as a reader pastes them into one terminal; a marker before
    // each tells the outputs apart, and `set -e` stops at the first command that fails. `set -m` turns
    // on job control, as a terminal has it: the background job gets a process group of its own, which
    // `kill %1` signals whole (npm, its shell and the server), as it does in a terminal.
    const script = [
      'set -euo pipefail -m',
      ...commands.flatMap((command, index) => [
        `printf '\\n@@ quickstart %d @@\\n' ${index}`,
        command.replaceAll(README_ADDRESS, `127.0.0.1:${port}`),
      ]),
      `printf '\\n@@ quickstart end @@\\n'`,
    ].join('\n');
    // A fresh shell's environment: none of the server's variables, but the free port and a database
    // of the test's own (the README's default, data/inventory.db, is the reader's).
    const variables = new Set(Object.keys(EnvSchema.properties));
    const env: Record<string, string | undefined> = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !variables.has(name)),
    );
    Object.assign(env, { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'inventory.db')}` });

    const bash = spawn('bash', ['-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groupLeader = bash.pid;
    let stdout = '';
    let stderr = '';
    bash.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    bash.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => bash.on('exit', resolve));
    const log = existsSync(SERVER_LOG) ? readFileSync(SERVER_LOG, 'utf8') : '(no server.log)';
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}\nserver.log:\n${log}`).toBe(0);

    // The output of each command, by the command's first words.
    const outputs = stdout.split(/\n@@ quickstart (?:\d+|end) @@\n/).slice(1);
    expect(outputs).toHaveLength(commands.length + 1);
    const outputOf = (start: string) => {
      const index = commands.findIndex((c) => c.startsWith(start));
      expect(index, `a command starting with ${start}`).toBeGreaterThan(-1);
      return outputs[index] ?? '';
    };

    expect(JSON.parse(outputOf('curl -fs --retry'))).toStrictEqual({ status: 'OK', version: '1.0' });
    const token = outputOf('echo "$TOKEN"').trim();
    expect(token).toMatch(/^inv_[A-Za-z0-9_-]{40,}$/);

    const created = outputOf('curl -i -X POST');
    expect(created).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(created).toMatch(/\r\nlocation: \/api\/v1\/servers\/3\r\n/i);
    expect(created).toMatch(/\r\netag: "3-1"\r\n/i);
    const body = JSON.parse(created.slice(created.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ id: 3, hostname: 'cache-01', ip: '10.0.0.3', status: 'up', tags: ['redis'] });

    const list = JSON.parse(outputOf('curl "$API/servers"')) as { servers: { hostname: string }[]; count: number };
    expect(list.servers.map((s) => s.hostname)).toStrictEqual(['web-prod-01', 'db-prod-01', 'cache-01']);
    expect(list.count).toBe(3);

    const filtered = JSON.parse(outputOf('curl "$API/servers?status=up&tag=redis"')) as typeof list;
    expect(filtered.servers.map((s) => s.hostname)).toStrictEqual(['cache-01']);

    const csv = outputOf('curl "$API/servers?format=csv"').split('\r\n');
    expect(csv[0]).toMatch(/^id,hostname,ip,status,/);
    expect(csv.filter((line) => line.startsWith('3,cache-01,10.0.0.3,up,'))).toHaveLength(1);
    expect(csv.filter((line) => /^\d+,/.test(line))).toHaveLength(3);

    const history = JSON.parse(outputOf('curl "$API/servers/3/history"')) as {
      changes: { action: string; actor: string }[];
    };
    expect(history.changes.map((c) => [c.action, c.actor])).toStrictEqual([['create', 'quickstart']]);

    // `kill %1` stopped the server, cleanly: its log says so, and nothing listens any more.
    expect(commands.at(-1)).toBe('kill %1');
    let stopped = false;
    for (let attempt = 0; attempt < 100 && !stopped; attempt++) {
      stopped = !(await listening(port)) && readFileSync(SERVER_LOG, 'utf8').includes('shutting down');
      if (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(stopped, readFileSync(SERVER_LOG, 'utf8')).toBe(true);
  }, 120_000);
});
