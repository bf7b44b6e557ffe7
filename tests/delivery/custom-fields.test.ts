// The walkthrough of docs/custom-fields.md, written to a file exactly as the guide gives it and run
// for real (bash, the command line, curl and jq) against a server process with the sample servers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from '../helpers/database.js';
import { exampleFiles } from '../helpers/docs-reference.js';
import { runTool, toolsPresent } from '../helpers/real-tools.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = readFileSync(join(ROOT, 'docs/custom-fields.md'), 'utf8');

describe.runIf(await toolsPresent('bash', 'curl', 'jq'))('docs/custom-fields.md: the walkthrough', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-custom-fields-'));
  let server: ServerProcess | undefined;
  let databaseUrl = '';
  beforeAll(async () => {
    databaseUrl = await freshDatabaseUrl(join(dir, 'inventory.db'));
    server = await startServer({ env: { DATABASE_URL: databaseUrl } });
  }, 30_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('defines the fields with an admin token from the command line, sets values, filters, sorts and exports them', async () => {
    const script = exampleFiles(GUIDE).get('custom-fields-walkthrough.sh');
    expect(script).toBeDefined();
    writeFileSync(join(dir, 'walkthrough.sh'), `set -euo pipefail\n${script ?? ''}`);
    const run = await runTool('bash', [join(dir, 'walkthrough.sh')], {
      // A shell's environment as the quick start leaves it: API set, the server's database for the CLI.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        API: `${server?.url ?? ''}/api/v1`,
        DATABASE_URL: databaseUrl,
      },
      cwd: ROOT,
      timeoutMs: 60_000,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 8)).toStrictEqual([
      '{"name":"rack","type":"string"}',
      '{"name":"rack_unit","type":"integer"}',
      '{"name":"backup_policy","type":"enum"}',
      '{"backup_policy":"daily","rack":"R12","rack_unit":14}',
      'web-prod-01',
      'web-prod-01 14',
      'db-prod-01 null',
      expect.stringMatching(/^id,hostname,.*,last_seen_at,cf_rack,cf_rack_unit,cf_backup_policy\r$/) as unknown,
    ]);
    expect(lines[8]).toMatch(/^1,web-prod-01,10\.0\.0\.1,.*,R12,14,daily$/);
    expect(lines).toHaveLength(9);
  }, 90_000);
});
