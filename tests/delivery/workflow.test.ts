import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { type Job, type Step, actionReferences, parseWorkflow, workflowProblems } from '../helpers/workflow.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const TEXT = read('.github/workflows/ci-cd.yml');
const workflow = parseWorkflow(TEXT);

function job(id: string): Job {
  const found = workflow.jobs[id];
  if (found === undefined) {
    throw new Error(`no job ${id}`);
  }
  return found;
}

function step(jobId: string, predicate: (s: Step) => boolean): Step {
  const found = job(jobId).steps.find(predicate);
  if (found === undefined) {
    throw new Error(`no such step in job ${jobId}`);
  }
  return found;
}

const uses = (action: string) => (s: Step) => s.uses?.startsWith(`${action}@`) === true;
const runs = (text: string) => (s: Step) => s.run?.includes(text) === true;
const needs = (j: Job) => [j.needs ?? []].flat();
const ON_DEVELOP_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/develop'";
const ON_MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'";

describe('the CI/CD workflow', () => {
  it('runs on pushes to develop and main, pull requests to main and by hand, and nothing else', () => {
    expect(workflow.on).toStrictEqual({
      push: { branches: ['develop', 'main'] },
      pull_request: { branches: ['main'] },
      workflow_dispatch: null,
    });
  });

  it('chains lint and test -> image -> open-pr (develop) or deploy (main)', () => {
    expect(Object.keys(workflow.jobs)).toStrictEqual(['lint', 'test', 'image', 'open-pr', 'deploy']);
    expect(needs(job('lint'))).toStrictEqual([]);
    expect(needs(job('test'))).toStrictEqual([]);
    expect(needs(job('image'))).toStrictEqual(['lint', 'test']);
    expect(needs(job('open-pr'))).toStrictEqual(['image']);
    expect(needs(job('deploy'))).toStrictEqual(['image']);
    expect(job('lint').if).toBeUndefined();
    expect(job('test').if).toBeUndefined();
    expect(job('image').if).toBeUndefined();
    expect(job('open-pr').if).toBe(ON_DEVELOP_PUSH);
    expect(job('deploy').if).toBe(ON_MAIN_PUSH);
  });

  it('is read-only by default and grants more only to the jobs that need it', () => {
    expect(workflow.permissions).toStrictEqual({ contents: 'read' });
    expect(job('lint').permissions).toBeUndefined();
    expect(job('test').permissions).toBeUndefined();
    expect(job('image').permissions).toStrictEqual({ contents: 'read', packages: 'write' });
    expect(job('open-pr').permissions).toStrictEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(job('deploy').permissions).toStrictEqual({ contents: 'read' });
  });

  it('meets the hardening rules: SHA pins with version comments, no persisted credentials, no inline expressions', () => {
    expect(workflowProblems(TEXT)).toStrictEqual([]);
    // shell: bash means bash -eo pipefail: `docker export | wc -c` fails when the export does.
    expect(workflow.defaults).toStrictEqual({ run: { shell: 'bash' } });
    const refs = actionReferences(TEXT);
    expect(refs.length).toBeGreaterThanOrEqual(10);
    for (const { ref, comment } of refs) {
      expect(ref).toMatch(/@[0-9a-f]{40}$/);
      expect(comment).toMatch(/^v?\d+\.\d+\.\d+$/);
    }
    // One version of each action throughout the file.
    const versions = new Map<string, Set<string>>();
    for (const { ref } of refs) {
      const [name = '', sha = ''] = ref.split('@');
      versions.set(name, (versions.get(name) ?? new Set()).add(sha));
    }
    for (const [name, shas] of versions) {
      expect([name, shas.size]).toStrictEqual([name, 1]);
    }
  });

  it('lints with ESLint, Prettier, tsc, actionlint and hadolint, and audits the bundled dependencies', () => {
    step('lint', runs('npm run lint'));
    step('lint', runs('npm run typecheck'));
    step('lint', runs('npm run lint:workflows'));
    step('lint', runs('npm audit --omit=dev --audit-level=high'));
    expect(step('lint', uses('hadolint/hadolint-action')).with).toMatchObject({ dockerfile: 'Dockerfile' });
  });

  it('tests on Node 20, 22 and 24, on SQLite and on PostgreSQL, and runs the image payload on its own', () => {
    expect(job('test').strategy?.matrix).toStrictEqual({ node: [20, 22, 24], database: ['sqlite', 'postgres'] });
    // The postgres half points the suite at the job's PostgreSQL service; the sqlite half gets ''.
    expect(job('test').env?.TEST_DATABASE_URL).toBe(
      "${{ matrix.database == 'postgres' && 'postgres://postgres@127.0.0.1:5432/postgres' || '' }}",
    );
    expect((job('test') as { services?: Record<string, { image: string }> }).services?.postgres?.image).toMatch(
      /^postgres:\d+-alpine$/,
    );
    expect(step('test', uses('actions/setup-node')).with?.['node-version']).toBe('${{ matrix.node }}');
    expect(step('test', runs('npm test')).if).toBeUndefined();
    // The payload carries the SQLite driver of Node 22 and later only: skipped on 20, run on the others.
    expect(step('test', runs('npm run image:payload')).if).toBe('matrix.node != 20');
  });

  it('builds the image with buildx and the Actions cache, and fails it above 100 MB', () => {
    expect(step('image', (s) => s.name === 'Build and load').with).toMatchObject({
      load: true,
      'cache-from': 'type=gha',
      'cache-to': 'type=gha,mode=max',
    });
    expect(workflow.env?.IMAGE_LIMIT_BYTES).toBe('100000000');
    const size = step('image', runs('docker export'));
    expect(size.run).toContain('(( bytes > IMAGE_LIMIT_BYTES ))');
    expect(size.run).toContain('exit 1');
  });

  it('smoke-tests the container, scans it with Trivy (HIGH, CRITICAL) and produces an SBOM', () => {
    const smoke = step('image', runs('docker run'));
    expect(smoke.run).toContain('/api/v1/health');
    expect(smoke.run).toContain('/api/v1/servers');
    expect(smoke.run).toContain('docker stop');
    expect(smoke.run).toContain('.Config.Healthcheck.Test');
    expect(smoke.run).toContain("command -v npm'; then");
    expect(step('image', uses('aquasecurity/trivy-action')).with).toMatchObject({
      severity: 'HIGH,CRITICAL',
      'exit-code': '1',
    });
    step('image', uses('anchore/sbom-action'));
  });

  it('pushes to GHCR on main only, under a lower-case name, tagged with the sha and latest, with provenance', () => {
    expect(step('image', (s) => s.id === 'names').run).toContain('${REPOSITORY,,}');
    const login = step('image', uses('docker/login-action'));
    const push = step('image', (s) => s.id === 'push');
    expect(login.if).toBe(ON_MAIN_PUSH);
    expect(push.if).toBe(ON_MAIN_PUSH);
    expect(push.with).toMatchObject({ push: true, provenance: 'mode=max' });
    expect(String(push.with?.tags).trim().split('\n')).toStrictEqual([
      '${{ steps.names.outputs.image }}:${{ github.sha }}',
      '${{ steps.names.outputs.image }}:latest',
    ]);
    expect(job('image').outputs).toStrictEqual({
      image: '${{ steps.names.outputs.image }}',
      digest: '${{ steps.push.outputs.digest }}',
    });
  });

  it('opens the pull request develop -> main idempotently, with an App token when there is one', () => {
    const token = step('open-pr', uses('actions/create-github-app-token'));
    expect(token.id).toBe('app-token');
    expect(token.if).toContain("vars.PR_APP_ID != ''");
    const open = step('open-pr', runs('gh pr create'));
    expect(open.env?.GH_TOKEN).toBe('${{ steps.app-token.outputs.token || secrets.GITHUB_TOKEN }}');
    expect(open.run).toContain('--state open');
    expect(open.run).toContain('ahead_by');
    expect(open.run).toContain('::warning title=Opened with GITHUB_TOKEN');
  });

  it('deploys by digest to production, one at a time, and rolls back on failure', () => {
    const deploy = job('deploy');
    expect(deploy.environment).toBe('production');
    expect(deploy.concurrency).toStrictEqual({ group: 'deploy-production', 'cancel-in-progress': false });
    expect(deploy.env?.IMAGE_DIGEST).toBe('${{ needs.image.outputs.digest }}');
    const skip = step('deploy', runs('::notice title=Deploy skipped'));
    expect(skip.if).toBe("env.KUBECONFIG_SET != 'true'");
    for (const s of deploy.steps.filter((x) => x !== skip)) {
      expect(s.if).toContain("env.KUBECONFIG_SET == 'true'");
    }
    const render = step('deploy', (s) => s.id === 'render');
    expect(render.run).toContain('digest: ${IMAGE_DIGEST}');
    // The migration Job runs (and must complete) before the Deployment rolls: tests/delivery/kubernetes.test.ts.
    const steps = deploy.steps.map((s) => s.id);
    expect(steps.indexOf('render')).toBeLessThan(steps.indexOf('migrate'));
    expect(steps.indexOf('migrate')).toBeLessThan(steps.indexOf('apply'));
    const apply = step('deploy', (s) => s.id === 'apply');
    expect(apply.run).toContain('rollout status');
    const smoke = step('deploy', runs('port-forward'));
    expect(smoke.run).toContain(`/api/v1/health/ready | jq -e '.status == "READY"'`);
    const rollback = step('deploy', runs('rollout undo'));
    expect(rollback.if).toMatch(/^failure\(\) && /);
    expect(rollback.run).toContain('::error');
  });
});

describe('the hardening check', () => {
  const mutate = (from: string, to: string) => {
    expect(TEXT).toContain(from);
    return workflowProblems(TEXT.replace(from, to));
  };

  it('refuses an action pinned to a tag, or a SHA without its version comment', () => {
    expect(
      mutate(
        'hadolint/hadolint-action@54c9adbab1582c2ef04b2016b760714a4bfde3cf # v3.1.0',
        'hadolint/hadolint-action@v3',
      ),
    ).toStrictEqual([expect.stringMatching(/hadolint\/hadolint-action@v3 is not pinned to a full commit SHA$/)]);
    expect(
      mutate('@54c9adbab1582c2ef04b2016b760714a4bfde3cf # v3.1.0', '@54c9adbab1582c2ef04b2016b760714a4bfde3cf'),
    ).toStrictEqual([expect.stringMatching(/needs a version comment/)]);
  });

  it('refuses pull_request_target, broader top-level permissions and write-all jobs', () => {
    expect(mutate('  workflow_dispatch:\n', '  workflow_dispatch:\n  pull_request_target:\n')).toStrictEqual([
      'pull_request_target runs untrusted code with secrets: not allowed',
    ]);
    expect(mutate('permissions:\n  contents: read\n', 'permissions:\n  contents: write\n')).toStrictEqual([
      'the top-level permissions must be exactly { contents: read }',
    ]);
    expect(
      mutate('    permissions:\n      contents: read\n      pull-requests: write\n', '    permissions: write-all\n'),
    ).toStrictEqual(['job open-pr: permissions must be listed one by one, not write-all']);
  });

  it('refuses an expression spliced into a run script, and a checkout that keeps its credentials', () => {
    expect(mutate('run: npm test', 'run: echo "${{ github.event.head_commit.message }}" && npm test')).toStrictEqual([
      'job test, step Tests: an expression inside run; pass it through env',
    ]);
    expect(
      mutate(
        '          persist-credentials: false\n      - uses: actions/setup-node',
        '          fetch-depth: 1\n      - uses: actions/setup-node',
      ),
    ).toStrictEqual([
      expect.stringMatching(
        /^job lint, step actions\/checkout@[0-9a-f]{40}: checkout must set persist-credentials: false$/,
      ),
    ]);
  });
});

describe('Dependabot', () => {
  it('updates the actions, the npm packages and the Docker base image, on develop', () => {
    const config = parse(read('.github/dependabot.yml')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string; 'target-branch': string }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => [u['package-ecosystem'], u.directory, u['target-branch']])).toStrictEqual([
      ['github-actions', '/', 'develop'],
      ['npm', '/', 'develop'],
      ['docker', '/', 'develop'],
    ]);
  });
});
