// The two examples of docs/syncing.md, the shell script and the Ansible playbook, written to files
// exactly as the guide gives them and run for real (bash, curl and jq; ansible-playbook) against a
// server process on a free loopback port; what they did is read back through the API.
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN } from '../helpers/build-test-app.js';
import { freshDatabaseUrl } from '../helpers/database.js';
import { exampleFiles } from '../helpers/docs-reference.js';
import { type ToolRun, ansibleSandbox, runTool, toolsPresent } from '../helpers/real-tools.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = readFileSync(join(ROOT, 'docs/syncing.md'), 'utf8');

/** Bounded, so that a hung run fails its test instead of the suite. */
const RUN_TIMEOUT = 30_000;

interface Server {
  id: number;
  hostname: string;
  ip: string;
  os: string | null;
  environment: string | null;
  tags: string[];
  managed_by: string | null;
  last_seen_at: string | null;
}

interface Applied {
  dry_run: boolean;
  created: { hostname: string; id?: number }[];
  updated: { hostname: string; id: number; changes: Record<string, { from: unknown; to: unknown }> }[];
  deleted: { hostname: string; id: number }[];
  summary: { created: number; updated: number; deleted: number; unchanged: number };
}

/** An example file of the guide, as it is written there. */
function example(name: string): string {
  const text = exampleFiles(GUIDE).get(name);
  if (text === undefined) {
    throw new Error(`docs/syncing.md gives no example ${name}`);
  }
  return text;
}

/** A server process on a fresh database (SQLite, or PostgreSQL when the suite runs on it), without the samples. */
async function startInventory(dir: string) {
  const server: ServerProcess = await startServer({
    env: {
      DATABASE_URL: await freshDatabaseUrl(join(dir, 'inventory.db')),
      INVENTORY_SEED: 'false',
      INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    },
  });
  const api = `${server.url}/api/v1`;
  const call = async (path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
    const res = await fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.token ?? BOOTSTRAP_TOKEN}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    expect(res.ok, `${init.method ?? 'GET'} ${path}: ${res.status} ${text}`).toBe(true);
    return { res, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return {
    server,
    url: server.url,
    /** A new token with the write scope, named as the guide advises: after its source. */
    writeToken: async (name: string) =>
      ((await call('/tokens', { method: 'POST', body: { name, scope: 'write' } })).body as { secret: string }).secret,
    owned: async (source: string) =>
      ((await call(`/servers?managed_by=${source}&sort=hostname`)).body as { servers: Server[] }).servers,
    get: async (id: number) => {
      const { res } = await call(`/servers/${id}`);
      return { etag: res.headers.get('etag'), lastSeenAt: res.headers.get('last-seen-at') };
    },
    history: async (id: number) =>
      ((await call(`/servers/${id}/history`)).body as { changes: { action: string; actor: string }[] }).changes,
    patch: (id: number, body: object) => call(`/servers/${id}`, { method: 'PATCH', body }),
    apply: async (token: string, body: object) =>
      (await call('/servers/apply', { method: 'POST', token, body })).body as Applied,
  };
}

describe('the examples of docs/syncing.md', () => {
  it('are the scan, the script and the playbook, each a fenced block after its marker', () => {
    expect([...exampleFiles(GUIDE).keys()]).toStrictEqual(['scan.txt', 'sync-scan.sh', 'sync-facts.yml']);
    expect(example('sync-scan.sh')).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(example('sync-facts.yml')).toContain('source: ansible-facts');
  });

  it('are found only after a marker that a fenced block follows, under names given once', () => {
    const doc = (...lines: string[]) => `${lines.join('\n')}\n`;
    expect(exampleFiles(doc('<!-- example: a.sh -->', '', '```bash', 'echo 1', '', 'echo 2', '```'))).toStrictEqual(
      new Map([['a.sh', 'echo 1\n\necho 2\n']]),
    );
    expect(() => exampleFiles(doc('<!-- example: a.sh -->', 'text', '```bash', 'echo', '```'))).toThrow(
      'not followed by a fenced code block',
    );
    expect(() => exampleFiles(doc('<!-- example: ../a.sh -->', '```bash', 'echo', '```'))).toThrow('plain file name');
    const twice = doc('<!-- example: a.sh -->', '```sh', 'x', '```', '<!-- example: a.sh -->', '```sh', 'y', '```');
    expect(() => exampleFiles(twice)).toThrow('given twice');
  });
});

describe.runIf(await toolsPresent('bash', 'curl', 'jq'))('docs/syncing.md: the shell script sync-scan.sh', () => {
  let dir: string;
  let inventory: Awaited<ReturnType<typeof startInventory>>;
  let token: string;
  const scan = example('scan.txt');
  let script: string;

  beforeAll(async () => {
    // Made here, not when the file is collected: a run that skips these tests leaves nothing behind.
    dir = mkdtempSync(join(tmpdir(), 'inventory-sync-scan-'));
    script = join(dir, 'sync-scan.sh');
    inventory = await startInventory(dir);
    token = await inventory.writeToken('lab-scan');
    writeFileSync(script, example('sync-scan.sh'));
    chmodSync(script, 0o755);
  });
  afterAll(async () => {
    await inventory.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script as the guide does, on a scan of the given text. */
  const sync = async (scanText: string, env: Record<string, string> = {}): Promise<ToolRun> => {
    writeFileSync(join(dir, 'scan.txt'), scanText);
    const run = await runTool(script, ['scan.txt'], {
      env: { PATH: process.env.PATH ?? '', INVENTORY_URL: inventory.url, INVENTORY_TOKEN: token, ...env },
      cwd: dir,
      timeoutMs: RUN_TIMEOUT,
    });
    expect(`${run.stdout}${run.stderr}`).not.toContain(token);
    return run;
  };
  const applied = (run: ToolRun): Applied => {
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Applied;
  };
  const hostnames = async () => (await inventory.owned('lab-scan')).map((s) => s.hostname);

  it('creates the scanned hosts, owned by lab-scan, after a dry run that wrote nothing', async () => {
    const run = await sync(scan);
    const result = applied(run);
    expect(run.stderr).toContain('sync-scan: plan: 3 to create, 0 to update, 0 to delete, 0 unchanged');
    expect(result.dry_run).toBe(false);
    expect(result.created.map((c) => c.hostname)).toStrictEqual(['build-01', 'build-02', 'runner-01']);
    const servers = await inventory.owned('lab-scan');
    expect(
      servers.map(({ hostname: h, ip, os, environment, tags, managed_by }) => [
        h,
        ip,
        os,
        environment,
        tags,
        managed_by,
      ]),
    ).toStrictEqual([
      ['build-01', '198.51.100.10', 'debian-12', 'lab', ['scanned'], 'lab-scan'],
      ['build-02', '198.51.100.11', 'debian-12', 'lab', ['scanned'], 'lab-scan'],
      ['runner-01', '198.51.100.20', 'ubuntu-24.04', 'lab', ['scanned'], 'lab-scan'],
    ]);
    for (const server of servers) {
      expect(server.last_seen_at).not.toBeNull();
      // One write per server, by the source's token: the dry run wrote nothing.
      expect(await inventory.history(server.id)).toMatchObject([{ action: 'create', actor: 'lab-scan' }]);
    }
  });

  it('reports every server unchanged the second time, and moves only last_seen_at, not the ETag', async () => {
    const [first] = await inventory.owned('lab-scan');
    const before = await inventory.get(first?.id ?? 0);
    const result = applied(await sync(scan));
    expect(result.summary).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 3 });
    const after = await inventory.get(first?.id ?? 0);
    expect(after.etag).toBe(before.etag);
    expect(Date.parse(after.lastSeenAt ?? '')).toBeGreaterThan(Date.parse(before.lastSeenAt ?? ''));
    expect(await inventory.history(first?.id ?? 0)).toHaveLength(1);
  });

  it('prunes a host the scan no longer lists', async () => {
    const [, gone] = await inventory.owned('lab-scan');
    const result = applied(await sync(scan.replace(/^build-02 .*\n/m, '')));
    expect(result.deleted).toStrictEqual([{ hostname: 'build-02', id: gone?.id }]);
    expect(result.summary).toStrictEqual({ created: 0, updated: 0, deleted: 1, unchanged: 2 });
    expect(await hostnames()).toStrictEqual(['build-01', 'runner-01']);
    expect((await inventory.history(gone?.id ?? 0)).at(-1)).toMatchObject({ action: 'delete', actor: 'lab-scan' });
  });

  it('stops before deleting more servers than MAX_DELETIONS, names them, and writes nothing', async () => {
    const [build] = await inventory.owned('lab-scan');
    const run = await sync(scan.replace(/^build-0\d .*\n/gm, ''), { MAX_DELETIONS: '0' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('the apply would delete 1 servers, more than 0:');
    expect(run.stderr).toContain(`  build-01 (server ${build?.id})`);
    expect(await hostnames()).toStrictEqual(['build-01', 'runner-01']);
  });

  it('refuses a scan that lists no host, rather than prune every server of the source', async () => {
    const run = await sync('# the scan failed\n\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('scan.txt lists no host: nothing applied');
    expect(await hostnames()).toStrictEqual(['build-01', 'runner-01']);
  });

  it("fails on the API's error, which names the line of the scan, and applies nothing", async () => {
    const run = await sync(scan.replace('198.51.100.11', '198.51.100.999'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    // Line 3 of the scan: its first line is a comment.
    expect(run.stderr).toMatch(/sync-scan: the apply failed: \{.*"code":"VALIDATION_FAILED".*"field":"line 3\.ip"/);
    expect(await hostnames()).toStrictEqual(['build-01', 'runner-01']);
  });
});

/** What ansible-playbook's json callback prints: the plays, their tasks' results by host, and the recap. */
interface PlaybookOutput {
  plays: { tasks: { task: { name: string }; hosts: Record<string, Record<string, unknown>> }[] }[];
  stats: Record<string, { changed: number; failures: number }>;
}

interface PlaybookRun {
  code: number | null;
  output: PlaybookOutput;
  /** The results of the play's tasks on its one host, in order. */
  results: Record<string, unknown>[];
  /** The message of the task that shows what the apply did, if it ran. */
  report: (Omit<Applied, 'created' | 'deleted'> & { created: string[]; deleted: string[] }) | undefined;
}

describe.runIf(await toolsPresent('ansible-playbook', 'ansible'))(
  'docs/syncing.md: the Ansible playbook sync-facts.yml',
  () => {
    let dir: string;
    let inventory: Awaited<ReturnType<typeof startInventory>>;
    let token: string;
    let sandbox: ReturnType<typeof ansibleSandbox>;
    // The host's own name, as Ansible's ansible_hostname has it, in lowercase as the playbook sends it.
    const HOST = (hostname().split('.')[0] ?? '').toLowerCase();
    // A value a person could store, which runs a command on the controller if Ansible renders it.
    const template = (marker: string) => `x{{ lookup(*(["pipe"] + ["touch ${marker}"])) }}`;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'inventory-sync-facts-'));
      inventory = await startInventory(dir);
      token = await inventory.writeToken('ansible-facts');
      sandbox = ansibleSandbox('inventory-sync-facts-ansible-', { ANSIBLE_STDOUT_CALLBACK: 'json' });
      writeFileSync(join(sandbox.dir, 'sync-facts.yml'), example('sync-facts.yml'));
    });
    afterAll(async () => {
      await inventory.server.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(sandbox.dir, { recursive: true, force: true });
    });

    const env = () => ({ ...sandbox.env, INVENTORY_URL: inventory.url, INVENTORY_TOKEN: token });
    const playbook = async (...args: string[]): Promise<PlaybookRun> => {
      const run = await runTool('ansible-playbook', ['sync-facts.yml', ...args], {
        env: env(),
        cwd: sandbox.dir,
        timeoutMs: RUN_TIMEOUT,
      });
      // no_log keeps the token out of everything the run prints.
      expect(`${run.stdout}${run.stderr}`).not.toContain(token);
      const output = JSON.parse(run.stdout) as PlaybookOutput;
      const results = (output.plays[0]?.tasks ?? []).flatMap((task) => {
        const result = task.hosts.localhost;
        return result === undefined ? [] : [result];
      });
      const report = results
        .map((result) => result.msg)
        .find((msg): msg is PlaybookRun['report'] => typeof msg === 'object' && msg !== null && 'summary' in msg);
      return { code: run.code, output, results, report };
    };
    const mine = async () => {
      const servers = await inventory.owned('ansible-facts');
      const server = servers.find((s) => s.hostname === HOST);
      if (server === undefined) {
        throw new Error(`no server ${HOST} owned by ansible-facts: ${JSON.stringify(servers)}`);
      }
      return server;
    };
    const markers = () => readdirSync(sandbox.dir).filter((name) => name.startsWith('marker-'));

    it('creates this machine as a server owned by ansible-facts, from its facts, gathered offline', async () => {
      const run = await playbook();
      expect(run.code, JSON.stringify(run.results)).toBe(0);
      expect(run.output.stats.localhost).toMatchObject({ changed: 1, failures: 0 });
      expect(run.report).toMatchObject({ dry_run: false, created: [HOST], deleted: [] });
      const server = await mine();
      expect(server).toMatchObject({ hostname: HOST, managed_by: 'ansible-facts' });
      expect(server.ip).not.toBe('');
      expect(server.last_seen_at).not.toBeNull();
      // The distribution and its major version, shaped into a label (debian-12), where the machine says.
      if (existsSync('/etc/os-release')) {
        expect(server.os).toMatch(/^[a-z0-9][a-z0-9._-]*-[a-z0-9._-]+$/);
      }
      expect(await inventory.history(server.id)).toMatchObject([{ action: 'create', actor: 'ansible-facts' }]);
    });

    it('reports the server unchanged the second time: changed=0, the same ETag, a later Last-Seen-At', async () => {
      const { id } = await mine();
      const before = await inventory.get(id);
      const run = await playbook();
      expect(run.code, JSON.stringify(run.results)).toBe(0);
      expect(run.output.stats.localhost).toMatchObject({ changed: 0, failures: 0 });
      expect(run.report?.summary).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 1 });
      const after = await inventory.get(id);
      expect(after.etag).toBe(before.etag);
      expect(Date.parse(after.lastSeenAt ?? '')).toBeGreaterThan(Date.parse(before.lastSeenAt ?? ''));
    });

    it('plans, then prunes, what ansible-facts no longer sees, and prints values from the API as text, never running them', async () => {
      // In this sandbox a rendered template does run: the control.
      const control = await runTool(
        'ansible',
        ['localhost', '-m', 'debug', '-a', JSON.stringify({ msg: template('marker-control') })],
        {
          env: env(),
          cwd: sandbox.dir,
          timeoutMs: RUN_TIMEOUT,
        },
      );
      expect(control.code, control.stdout).toBe(0);
      expect(markers()).toStrictEqual(['marker-control']);
      rmSync(join(sandbox.dir, 'marker-control'));

      const server = await mine();
      // A person stores a template as the OS; an earlier run saw a host that is gone now.
      await inventory.patch(server.id, { os: template('marker-api') });
      const gone = await inventory.apply(token, {
        source: 'ansible-facts',
        servers: [{ hostname: 'retired-01', ip: '198.51.100.99' }],
      });
      const expectedChange = { os: { from: template('marker-api'), to: server.os } };

      const plan = await playbook('-e', 'inventory_prune=true', '-e', 'inventory_dry_run=true');
      expect(plan.code, JSON.stringify(plan.results)).toBe(0);
      expect(plan.output.stats.localhost).toMatchObject({ changed: 0 });
      expect(plan.report).toMatchObject({ dry_run: true, deleted: ['retired-01'] });
      expect(plan.report?.updated).toStrictEqual([{ hostname: HOST, id: server.id, changes: expectedChange }]);
      expect((await inventory.owned('ansible-facts')).map((s) => s.hostname)).toContain('retired-01');
      expect((await mine()).os).toBe(template('marker-api'));

      const pruned = await playbook('-e', 'inventory_prune=true');
      expect(pruned.code, JSON.stringify(pruned.results)).toBe(0);
      expect(pruned.output.stats.localhost).toMatchObject({ changed: 1 });
      expect(pruned.report).toMatchObject({ dry_run: false, deleted: ['retired-01'] });
      expect(pruned.report?.updated).toStrictEqual([{ hostname: HOST, id: server.id, changes: expectedChange }]);
      expect((await inventory.owned('ansible-facts')).map((s) => s.hostname)).toStrictEqual([HOST]);
      expect((await inventory.history(gone.created[0]?.id ?? 0)).at(-1)).toMatchObject({ action: 'delete' });
      expect((await mine()).os).toBe(server.os);
      expect(markers()).toStrictEqual([]);
    });

    it('refuses to prune in a run limited with --limit, and writes nothing', async () => {
      await inventory.apply(token, {
        source: 'ansible-facts',
        servers: [{ hostname: 'retired-02', ip: '198.51.100.98' }],
      });
      const run = await playbook('-e', 'inventory_prune=true', '--limit', 'localhost');
      expect(run.code).not.toBe(0);
      expect(run.output.stats.localhost).toMatchObject({ failures: 1 });
      expect(run.results.find((r) => r.failed === true)?.msg).toContain('prune only in a run over every host');
      expect(run.report).toBeUndefined();
      expect((await inventory.owned('ansible-facts')).map((s) => s.hostname).sort()).toStrictEqual(
        [HOST, 'retired-02'].sort(),
      );
    });

    it("stops with the API's error, naming the server, when another source owns the host, and writes nothing", async () => {
      const server = await mine();
      await inventory.patch(server.id, { managed_by: 'cmdb' });
      const run = await playbook();
      expect(run.code).not.toBe(0);
      expect(run.results.find((r) => r.failed === true)?.msg).toMatchObject({
        code: 'SERVER_OWNED_ELSEWHERE',
        details: [{ field: 'servers[0].hostname', message: `belongs to cmdb (server ${server.id})` }],
      });
      expect(run.report).toBeUndefined();
      const owned = await inventory.owned('cmdb');
      expect(owned.map((s) => [s.hostname, s.os])).toStrictEqual([[HOST, server.os]]);
    });
  },
);
