// The feeds read by the real clients: ansible-inventory, ansible and ansible-playbook (ansible-core)
// and Prometheus, all from Debian's packages (.ci/run installs them). Every server has a loopback address, and the samples
// are not seeded: Prometheus scrapes what it discovers, and nothing may leave this machine.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertServers } from '../../src/servers/servers.repository.js';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { defineFields } from '../helpers/custom-fields.js';
import { ansibleSandbox, toolsPresent } from '../helpers/real-tools.js';
import { serverRow } from '../helpers/servers.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../contrib/ansible/inventory.sh', import.meta.url));

// Locally they may be missing (CONTRIBUTING.md, Tests, says how to install them); in CI they must be there.
const ansible = await toolsPresent('ansible-inventory', 'ansible', 'ansible-playbook');
const prometheus = await toolsPresent('prometheus');

/** The custom fields every app here defines, in this order, before its servers. */
const CUSTOM_FIELDS = [
  { name: 'rack', type: 'string' },
  { name: 'u', type: 'integer' },
  { name: 'backup', type: 'boolean' },
  { name: 'backup_policy', type: 'enum', choices: ['daily', 'weekly'] },
  { name: 'note', type: 'string' },
];
const SERVERS = [
  {
    hostname: 'web-01',
    ip: '127.0.0.11',
    environment: 'production',
    role: 'web',
    tags: ['edge'],
    custom_fields: { rack: 'R12', u: 14, backup: true },
  },
  {
    hostname: 'db-01',
    ip: '127.0.0.12',
    environment: 'production',
    role: 'database',
    status: 'down',
    custom_fields: { u: 3 },
  },
  { hostname: 'lab-01', ip: '127.0.0.13', location: 'lab 2', status: 'decommissioned' },
  { hostname: 'app-01', ip: '127.0.0.14', custom_fields: { rack: 'R20' } },
];

async function startApp(
  env: Record<string, string> = {},
  servers: object[] = SERVERS,
): Promise<{ t: TestApp; url: string }> {
  const t = await buildTestApp({ seed: false, env });
  await defineFields(t.app, CUSTOM_FIELDS);
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/servers',
    headers: AS_BOOTSTRAP,
    payload: servers,
  });
  expect(created.statusCode, created.body).toBe(201);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('no address');
  }
  return { t, url: `http://127.0.0.1:${address.port}` };
}

/** Bounded, so that a hung run fails the test instead of the suite. */
const RUN_TIMEOUT = 20_000;

describe.runIf(ansible)('contrib/ansible/inventory.sh with ansible-inventory', () => {
  let t: TestApp;
  let url: string;
  let readToken: string;
  let sandbox: ReturnType<typeof ansibleSandbox>;
  beforeAll(async () => {
    ({ t, url } = await startApp({ INVENTORY_AUTH_READS: 'true' }));
    readToken = (await createTokensService(t.db).create({ name: 'ansible', scope: 'read' })).secret;
    sandbox = ansibleSandbox('inventory-ansible-');
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(sandbox.dir, { recursive: true, force: true });
  });

  const inventory = (args: string[], env: Record<string, string>) =>
    run('ansible-inventory', ['-i', SCRIPT, ...args], {
      env: { ...sandbox.env, ...env },
      cwd: sandbox.dir,
      timeout: RUN_TIMEOUT,
    });

  it('reads hosts, groups and variables from the API, every string as an unsafe one', async () => {
    const { stdout } = await inventory(['--list'], { INVENTORY_URL: url, INVENTORY_TOKEN: readToken });
    const parsed = JSON.parse(stdout) as {
      _meta: { hostvars: Record<string, Record<string, unknown>> };
      [group: string]: unknown;
    };
    // ansible-inventory writes a value back as {"__ansible_unsafe": ...} only if it loaded it as unsafe.
    expect(parsed._meta.hostvars['web-01']).toMatchObject({
      ansible_host: { __ansible_unsafe: '127.0.0.11' },
      server_id: 1,
      server_role: { __ansible_unsafe: 'web' },
      server_tags: [{ __ansible_unsafe: 'edge' }],
      server_notes: null,
      server_cf_rack: { __ansible_unsafe: 'R12' },
      server_cf_u: 14,
      server_cf_backup: true,
    });
    expect(parsed._meta.hostvars['db-01']).toMatchObject({
      server_status: { __ansible_unsafe: 'down' },
      server_cf_u: 3,
    });
    // No value, no variable.
    expect(parsed._meta.hostvars['db-01']).not.toHaveProperty('server_cf_rack');
    expect(parsed.env_production).toStrictEqual({ hosts: ['web-01', 'db-01'] });
    expect(parsed.location_lab_2).toStrictEqual({ hosts: ['lab-01'] });
    expect(parsed.tag_edge).toStrictEqual({ hosts: ['web-01'] });
  });

  it('passes the list filters through INVENTORY_QUERY', async () => {
    const { stdout } = await inventory(['--graph', 'all'], {
      INVENTORY_URL: url,
      INVENTORY_TOKEN: readToken,
      INVENTORY_QUERY: 'role=database',
    });
    expect(stdout).toContain('db-01');
    expect(stdout).not.toContain('web-01');
  });

  it('fails, rather than showing an empty inventory, when the token is refused', async () => {
    await expect(
      inventory(['--list'], {
        INVENTORY_URL: url,
        INVENTORY_TOKEN: 'inv_wrong',
        ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
      }),
    ).rejects.toThrow();
  });
});

/**
 * Inventory text that Ansible would run if it templated it: each template creates a marker file
 * in the working directory (the base directory of the pipe lookup). Labels hold no commas (the
 * label rule), hence `lookup(*'pipe:cmd'.split(':'))`; tags cannot hold braces at all.
 */
const TEMPLATES = {
  server_notes: '{{ lookup("pipe", "touch m-notes") }}',
  server_role: "r{{ lookup(*'pipe:touch m-role'.split(':')) }}",
  server_environment: "e{{ lookup(*'pipe:touch m-env'.split(':')) }}",
  server_location: "l{% if lookup(*'pipe:touch m-loc'.split(':')) %}{% endif %}",
  // No marker: rendered, it would print the output of id instead of itself.
  server_os: "o{{ lookup(*'pipe id'.split()) }}",
  server_cf_note: "{{ lookup('pipe', 'id') }}{{ lookup('pipe', 'touch m-cf') }}",
};
const MARKERS = ['m-notes', 'm-role', 'm-env', 'm-loc', 'm-cf'];
const JINJA_SERVERS = [
  {
    hostname: 'jinja-01',
    ip: '127.0.0.21',
    notes: TEMPLATES.server_notes,
    role: TEMPLATES.server_role,
    environment: TEMPLATES.server_environment,
    location: TEMPLATES.server_location,
    os: TEMPLATES.server_os,
    tags: ['jinja', 'a.b-c_d'],
    custom_fields: { note: TEMPLATES.server_cf_note, rack: 'R7', backup_policy: 'daily' },
  },
  { hostname: 'plain-01', ip: '127.0.0.22', role: 'web' },
];

interface Outcome {
  host: string;
  status: string;
  result: { msg?: unknown };
}

/** The results in Ansible's one-line output: `host | SUCCESS => {json}`. */
function outcomes(stdout: string): Outcome[] {
  return stdout.split('\n').flatMap((line) => {
    const match = /^(\S+) \| ([A-Z!]+) => (\{.*\})$/.exec(line);
    return match === null
      ? []
      : [
          {
            host: String(match[1]),
            status: String(match[2]),
            result: JSON.parse(String(match[3])) as Outcome['result'],
          },
        ];
  });
}

describe.runIf(ansible)('inventory text with ansible and ansible-playbook', () => {
  let t: TestApp;
  let url: string;
  let sandbox: ReturnType<typeof ansibleSandbox>;
  beforeAll(async () => {
    ({ t, url } = await startApp({}, JINJA_SERVERS));
    // Stored before reserved host names were refused, as an old database may hold it.
    await insertServers(t.db, [serverRow({ hostname: 'localhost', ip: '127.0.0.23', notes: 'a server' })]);
    sandbox = ansibleSandbox('inventory-jinja-');
  });
  afterAll(async () => {
    await t.app.close();
    rmSync(sandbox.dir, { recursive: true, force: true });
  });

  const runAnsible = (command: 'ansible' | 'ansible-playbook', args: string[]) =>
    run(command, ['-i', SCRIPT, '-c', 'local', ...args], {
      env: { ...sandbox.env, INVENTORY_URL: url },
      cwd: sandbox.dir,
      timeout: RUN_TIMEOUT,
    });
  const debug = async (host: string, msg: string) => {
    const { stdout } = await runAnsible('ansible', [host, '-m', 'debug', '-a', JSON.stringify({ msg })]);
    return outcomes(stdout);
  };
  const markersFound = () => readdirSync(sandbox.dir).filter((name) => MARKERS.includes(name));

  it('runs a template given on the command line, so that a missing marker means a template did not run', async () => {
    expect(await debug('jinja-01', '{{ lookup("pipe", "touch m-control") }}')).toMatchObject([
      { host: 'jinja-01', status: 'SUCCESS' },
    ]);
    expect(existsSync(join(sandbox.dir, 'm-control'))).toBe(true);
  });

  it.each(Object.entries(TEMPLATES))('prints %s as written, without running it', async (variable, text) => {
    expect(await debug('jinja-01', `{{ ${variable} }}`)).toStrictEqual([
      { host: 'jinja-01', status: 'SUCCESS', result: { changed: false, msg: text } },
    ]);
    expect(markersFound()).toStrictEqual([]);
  });

  it('prints tags as written, and filters work on the unsafe values without rendering their results', async () => {
    expect(await debug('jinja-01', '{{ server_tags }}')).toMatchObject([{ result: { msg: ['jinja', 'a.b-c_d'] } }]);
    expect(
      await debug('jinja-01', "{{ server_role | upper }} {{ server_tags | join('+') }} {{ server_notes | length }}"),
    ).toMatchObject([
      {
        status: 'SUCCESS',
        result: {
          msg: `${TEMPLATES.server_role.toUpperCase()} jinja+a.b-c_d ${TEMPLATES.server_notes.length}`,
        },
      },
    ]);
    expect(markersFound()).toStrictEqual([]);
  });

  it('reaches the implicit localhost with hosts: localhost and every inventory host with hosts: all', async () => {
    const playbook = join(sandbox.dir, 'playbook.yml');
    writeFileSync(
      playbook,
      [
        '- hosts: localhost',
        '  gather_facts: false',
        '  tasks:',
        '    - debug:',
        `        msg: "controller {{ inventory_hostname }} {{ inventory_hostname in groups['all'] }}"`,
        '- hosts: all',
        '  gather_facts: false',
        '  tasks:',
        // A value derived from an unsafe one stays unsafe, even kept as a fact and read again.
        '    - set_fact:',
        '        derived: "{{ server_role | trim }}"',
        '    - debug:',
        '        msg: "{{ [inventory_hostname, ansible_host, server_notes, derived] }}"',
        // The custom fields as the docs use them: a default for a missing value, a test for one.
        '    - debug:',
        `        msg: "{{ [inventory_hostname, server_cf_rack | default('unknown')] }}"`,
        '    - debug:',
        '        msg: "{{ [inventory_hostname, server_cf_backup_policy, server_cf_note] }}"',
        '      when: server_cf_backup_policy is defined',
        '',
      ].join('\n'),
    );
    const { stdout } = await runAnsible('ansible-playbook', [playbook]);
    const [controller, ...rest] = outcomes(stdout).filter(({ result }) => 'msg' in result);
    // Hosts of one task answer in any order (forks); the tasks are told apart by their lists' lengths.
    const task = (length: number) =>
      rest
        .filter(({ result }) => Array.isArray(result.msg) && result.msg.length === length)
        .sort((a, b) => a.host.localeCompare(b.host));
    const fleet = task(4);
    expect(task(2).map(({ result }) => result.msg)).toStrictEqual([
      ['jinja-01', 'R7'],
      ['plain-01', 'unknown'],
    ]);
    // plain-01 has no backup_policy: skipped.
    expect(task(3)).toStrictEqual([
      {
        host: 'jinja-01',
        status: 'SUCCESS',
        result: { changed: false, msg: ['jinja-01', 'daily', TEMPLATES.server_cf_note] },
      },
    ]);
    expect(controller).toStrictEqual({
      host: 'localhost',
      status: 'SUCCESS',
      result: { changed: false, msg: 'controller localhost False' },
    });
    expect(fleet).toStrictEqual([
      {
        host: 'jinja-01',
        status: 'SUCCESS',
        result: { changed: false, msg: ['jinja-01', '127.0.0.21', TEMPLATES.server_notes, TEMPLATES.server_role] },
      },
      { host: 'plain-01', status: 'SUCCESS', result: { changed: false, msg: ['plain-01', '127.0.0.22', null, 'web'] } },
    ]);
    expect(markersFound()).toStrictEqual([]);
  });
});

describe.runIf(prometheus)('the Prometheus feed with Prometheus', () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    ({ t, url } = await startApp());
    dir = mkdtempSync(join(tmpdir(), 'inventory-prometheus-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await t.app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers one target per server that is not decommissioned, with the inventory labels, and keeps by a custom field', async () => {
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1h',
        'scrape_configs:',
        '  - job_name: inventory',
        '    http_sd_configs:',
        `      - url: ${url}/api/v1/integrations/prometheus?port=9`,
        '        refresh_interval: 5s',
        '    relabel_configs:',
        '      - source_labels: [__meta_inventory_hostname]',
        '        target_label: hostname',
        '      - source_labels: [__meta_inventory_role]',
        '        target_label: role',
        // The same feed, but only the targets whose custom field rack is R1<something>.
        '  - job_name: rack-r1',
        '    http_sd_configs:',
        `      - url: ${url}/api/v1/integrations/prometheus?port=9`,
        '        refresh_interval: 5s',
        '    relabel_configs:',
        '      - source_labels: [__meta_inventory_cf_rack]',
        '        regex: R1.*',
        '        action: keep',
        '',
      ].join('\n'),
    );
    child = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    interface Target {
      labels: Record<string, string>;
      discoveredLabels: Record<string, string>;
      scrapePool: string;
    }
    let targets: Target[] = [];
    let dropped: Omit<Target, 'labels' | 'scrapePool'>[] = [];
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets?state=any`);
        const body = (await res.json()) as { data: { activeTargets: Target[]; droppedTargets: typeof dropped } };
        ({ activeTargets: targets, droppedTargets: dropped } = body.data);
        // Both jobs have read the feed: three targets kept by one, one kept and two dropped by the other.
        if (targets.length + dropped.length >= 6) {
          break;
        }
      } catch {
        // Not up yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const found = targets
      .filter((target) => target.scrapePool === 'inventory')
      .map((target) => ({
        instance: target.labels.instance,
        hostname: target.labels.hostname,
        role: target.labels.role,
        status: target.discoveredLabels.__meta_inventory_status,
      }))
      .sort((a, b) => String(a.instance).localeCompare(String(b.instance)));
    expect(found).toStrictEqual([
      { instance: '127.0.0.11:9', hostname: 'web-01', role: 'web', status: 'up' },
      { instance: '127.0.0.12:9', hostname: 'db-01', role: 'database', status: 'down' },
      { instance: '127.0.0.14:9', hostname: 'app-01', role: undefined, status: 'up' },
    ]);
    const web = targets.find((target) => target.labels.instance === '127.0.0.11:9');
    expect(web?.discoveredLabels).toMatchObject({
      __meta_inventory_cf_rack: 'R12',
      __meta_inventory_cf_u: '14',
      __meta_inventory_cf_backup: 'true',
    });
    // app-01's rack does not match; db-01 has none, which the keep rule reads as ''.
    expect(
      targets.filter((target) => target.scrapePool === 'rack-r1').map((target) => target.labels.instance),
    ).toStrictEqual(['127.0.0.11:9']);
    expect(dropped.map((target) => target.discoveredLabels.__meta_inventory_hostname).sort()).toStrictEqual([
      'app-01',
      'db-01',
    ]);
  }, 60_000);
});
