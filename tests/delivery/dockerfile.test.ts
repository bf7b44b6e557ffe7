import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_DIR } from '../../scripts/payload.js';
import { NON_HEAP_MIB, heapLimitMiB, semiSpaceMiB } from '../helpers/deployment.js';
import { type Instruction, dockerfileProblems, envPairs, parseDockerfile } from '../helpers/dockerfile.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const DOCKERFILE = read('Dockerfile');
const file = parseDockerfile(DOCKERFILE);
const [builder, runtime] = file.stages;

function only(instructions: Instruction[] | undefined, keyword: string): Instruction[] {
  return (instructions ?? []).filter((i) => i.keyword === keyword);
}

describe('Dockerfile', () => {
  it('meets the image policy', () => {
    expect(dockerfileProblems(DOCKERFILE)).toStrictEqual([]);
  });

  it('builds both stages on one Alpine release, set by one ARG', () => {
    expect(file.globalArgs.get('ALPINE_VERSION')).toMatch(/^3\.\d+$/);
    expect(file.stages.map((s) => s.from)).toStrictEqual(['alpine:${ALPINE_VERSION}', 'alpine:${ALPINE_VERSION}']);
  });

  it('builds the payload in the builder and proves the SQLite binary loads there', () => {
    const run = only(builder?.instructions, 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toContain('npm ci --ignore-scripts');
    expect(run).toContain('npm run build:bundle');
    expect(run).toContain(
      'cp -R build/app /tmp/payload-check && DATABASE_URL=sqlite::memory: node /tmp/payload-check/cli.mjs migrate',
    );
    // hadolint (DL3003) refuses cd in RUN.
    expect(run).not.toMatch(/(^|&&|;)\s*cd\s/);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build:bundle']).toBe('tsx scripts/build-bundle.ts');
  });

  it('copies into the runtime only the payload that npm run build:bundle assembles', () => {
    const copies = only(runtime?.instructions, 'COPY').map((i) => i.args);
    const workdir = only(builder?.instructions, 'WORKDIR').at(-1)?.args;
    expect(copies).toStrictEqual([`--from=builder ${String(workdir)}/${PAYLOAD_DIR}/ /app/`]);
  });

  it('runs Alpine nodejs and tini in the runtime, without npm or a compiler', () => {
    const run = only(runtime?.instructions, 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toMatch(/apk add --no-cache nodejs tini(\s|$)/);
    expect(run).not.toMatch(/\b(npm|yarn|build-base|g\+\+|python3)\b/);
  });

  it('configures the container: user 10001, HOST 0.0.0.0, the database under the /data volume, port 5000', () => {
    const env = Object.fromEntries(only(runtime?.instructions, 'ENV').flatMap((i) => envPairs(i.args)));
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '5000', DATABASE_URL: 'sqlite:/data/inventory.db' });
    // V8's heap under the 256 MiB that the Compose file and the Kubernetes manifests give the container.
    expect(heapLimitMiB(env.NODE_OPTIONS)).toBeLessThanOrEqual(256 - NON_HEAP_MIB);
    expect(heapLimitMiB(env.NODE_OPTIONS)).toBeGreaterThanOrEqual(128);
    // In a small memory group V8 gives the young generation 1 MiB semi-spaces, and a default page of
    // servers then runs ten times the scavenges, at half the speed (docs/benchmarks.md).
    expect(semiSpaceMiB(env.NODE_OPTIONS)).toBeGreaterThanOrEqual(8);
    expect(only(runtime?.instructions, 'VOLUME').map((i) => i.args)).toStrictEqual(['["/data"]']);
    expect(only(runtime?.instructions, 'USER').at(-1)?.args).toBe('10001:10001');
    expect(only(runtime?.instructions, 'EXPOSE').map((i) => i.args)).toStrictEqual(['5000']);
    const run = only(runtime?.instructions, 'RUN')[0]?.args ?? '';
    expect(run).toContain('adduser -S -D -H -h /app -s /sbin/nologin -u 10001');
    expect(run).toContain('chown 10001:10001 /data');
  });

  it('checks /api/v1/health with busybox wget and starts node behind tini in exec form', () => {
    expect(only(runtime?.instructions, 'HEALTHCHECK')[0]?.args).toMatch(
      /CMD wget -q -O \/dev\/null "http:\/\/127\.0\.0\.1:\$\{PORT\}\/api\/v1\/health"/,
    );
    expect(JSON.parse(only(runtime?.instructions, 'ENTRYPOINT')[0]?.args ?? 'null')).toStrictEqual([
      '/sbin/tini',
      '--',
    ]);
    expect(JSON.parse(only(runtime?.instructions, 'CMD')[0]?.args ?? 'null')).toStrictEqual(['node', 'main.mjs']);
  });
});

describe('the image policy check', () => {
  const mutate = (from: string, to: string) => {
    expect(DOCKERFILE).toContain(from);
    return dockerfileProblems(DOCKERFILE.replace(from, to));
  };

  it('refuses a root or named user', () => {
    expect(mutate('USER 10001:10001', 'USER root')).toStrictEqual([
      "the runtime's last USER must be a numeric, non-root UID, found root",
    ]);
    expect(mutate('USER 10001:10001', 'USER 0')).toHaveLength(1);
    expect(mutate('USER 10001:10001', 'USER inventory')).toHaveLength(1);
  });

  it('refuses an unpinned or non-Alpine base image', () => {
    expect(mutate('ARG ALPINE_VERSION=3.23', 'ARG ALPINE_VERSION=latest')).toStrictEqual([
      'stage builder must be based on a pinned Alpine release, not alpine:latest',
      'stage runtime must be based on a pinned Alpine release, not alpine:latest',
    ]);
    expect(mutate('FROM alpine:${ALPINE_VERSION} AS runtime', 'FROM node:24-alpine AS runtime')).toStrictEqual([
      'stage runtime must be based on a pinned Alpine release, not node:24-alpine',
    ]);
  });

  it('refuses a single stage or unnamed stages', () => {
    const single = DOCKERFILE.slice(DOCKERFILE.indexOf('FROM alpine:${ALPINE_VERSION} AS runtime'));
    expect(dockerfileProblems(`ARG ALPINE_VERSION=3.23\n${single}`)[0]).toMatch(/stages must be "builder" then/);
  });

  it('refuses ADD, secrets in ENV or ARG, a missing HEALTHCHECK or EXPOSE, and a shell-form CMD', () => {
    expect(mutate('COPY scripts ./scripts', 'ADD scripts ./scripts')).toStrictEqual([
      expect.stringMatching(/^line \d+: ADD is not allowed/),
    ]);
    expect(mutate('    PORT=5000 \\', '    API_TOKEN=abc PORT=5000 \\')).toStrictEqual([
      'ENV API_TOKEN looks like a secret: pass secrets at run time, never in the image',
    ]);
    expect(
      mutate('DATABASE_URL=sqlite:/data/inventory.db', 'DATABASE_URL=postgres://app:hunter2@db/inventory'),
    ).toStrictEqual(['ENV DATABASE_URL looks like a secret: pass secrets at run time, never in the image']);
    expect(mutate('ARG ALPINE_VERSION=3.23', 'ARG ALPINE_VERSION=3.23\nARG NPM_TOKEN=x')).toStrictEqual([
      'ARG NPM_TOKEN looks like a secret: pass secrets at run time, never in the image',
    ]);
    expect(mutate('HEALTHCHECK', 'LABEL x=y\n#')).toContain('the runtime needs a HEALTHCHECK');
    expect(mutate('EXPOSE 5000', 'EXPOSE 8080')).toStrictEqual(['the runtime must EXPOSE 5000']);
    expect(mutate('CMD ["node", "main.mjs"]', 'CMD node main.mjs')).toStrictEqual([
      'the runtime needs an exec-form CMD (a JSON array), so that signals reach node',
    ]);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, history, secrets, data and build output out of the build context', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of ['**/node_modules', '.git', '.env', '.env.*', 'data', 'dist', 'build', 'coverage']) {
      expect(entries).toContain(entry);
    }
    // The builder copies these: they must stay in the context.
    for (const needed of ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      expect(entries).not.toContain(needed);
    }
  });
});
