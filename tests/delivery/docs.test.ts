import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../helpers/workflow.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = [
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'CONTRIBUTING.md',
  'README.md',
  '.github/pull_request_template.md',
];
const workflow = parseWorkflow(read('.github/workflows/ci-cd.yml'));

/** The check names GitHub shows for the jobs: their `name`, with the matrix values filled in. */
function checkNames(): string[] {
  return Object.values(workflow.jobs).flatMap((job) => {
    const name = job.name ?? '';
    const matrix = job.strategy?.matrix;
    if (matrix === undefined) {
      return [name];
    }
    const combos = Object.entries(matrix).reduce<Record<string, unknown>[]>(
      (acc, [key, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))),
      [{}],
    );
    return combos.map((c) => name.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k: string) => String(c[k])));
  });
}

/**
 * The anchors GitHub gives the headings of a Markdown file: lower case, punctuation dropped, spaces
 * turned into hyphens, `-1`, `-2` ... after a repeated one. Lines inside code blocks are not headings.
 */
function headingAnchors(markdown: string): string[] {
  const anchors: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
    }
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (heading?.[1] === undefined) {
      continue;
    }
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const repeats = anchors.filter((a) => a === slug || new RegExp(`^${slug}-\\d+$`).test(a)).length;
    anchors.push(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

/** The rows of the table that follows a heading, as arrays of cells. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

describe('the team docs', () => {
  it('link only to files that exist, and to headings that exist in them', () => {
    for (const doc of DOCS) {
      for (const [, target = ''] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target)) {
          continue;
        }
        const [file = '', fragment] = target.split('#');
        const path = file === '' ? join(ROOT, doc) : join(ROOT, dirname(doc), file);
        expect([doc, target, existsSync(path)]).toStrictEqual([doc, target, true]);
        if (fragment !== undefined && path.endsWith('.md')) {
          const anchors = headingAnchors(readFileSync(path, 'utf8'));
          expect([doc, target, anchors.includes(fragment)]).toStrictEqual([doc, target, true]);
        }
      }
    }
  });

  it('find the anchors GitHub gives headings', () => {
    expect(
      headingAnchors('# A\n## Concurrency: ETags and `If-Match`\n```sh\n# no\n```\n## The local CI: .ci/run\n## A\n'),
    ).toStrictEqual(['a', 'concurrency-etags-and-if-match', 'the-local-ci-cirun', 'a-1']);
  });

  it('name only jobs of the pipeline, and its real check names', () => {
    const jobs = Object.keys(workflow.jobs);
    for (const doc of DOCS) {
      for (const [, name] of read(doc).matchAll(/jobs? `([\w-]+)`/g)) {
        expect([doc, name, jobs.includes(name ?? '')]).toStrictEqual([doc, name, true]);
      }
    }
    const checks = checkNames();
    expect(checks).toStrictEqual([
      'Lint',
      'Test (Node 20, sqlite)',
      'Test (Node 20, postgres)',
      'Test (Node 22, sqlite)',
      'Test (Node 22, postgres)',
      'Test (Node 24, sqlite)',
      'Test (Node 24, postgres)',
      'Image',
      'Open the pull request develop -> main',
      'Deploy to production',
    ]);
    // Every check but the two that run after the merge is required (docs/ci-cd.md, repository setup).
    const required = checks.filter(
      (c) => !['Open the pull request develop -> main', 'Deploy to production'].includes(c),
    );
    for (const doc of ['CONTRIBUTING.md', 'docs/definition-of-done.md', 'docs/ci-cd.md']) {
      for (const check of required) {
        expect([doc, check, read(doc).includes(`\`${check}\``)]).toStrictEqual([doc, check, true]);
      }
    }
  });

  it('give every acceptance criterion of the four user stories a proof', () => {
    const stories = read('docs/user-stories.md');
    for (const story of [
      'As a SysOps, I want a REST API to list the servers, in order to automate my reports.',
      'As a developer, I want a multi-stage Dockerfile, to optimise the image size.',
      'As a DevOps, I want a complete CI/CD pipeline, to guarantee code quality.',
      'As a team, we want our agile organisation (roles, backlog, Definition of Done, Kanban board) written',
    ]) {
      expect(stories).toContain(story);
    }
    const rows = tableRows(stories).filter((r) => r[0] !== 'Acceptance criterion');
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const [criterion, proof = ''] of rows) {
      expect([criterion, /\]\(|jobs? `|npm run /.test(proof)]).toStrictEqual([criterion, true]);
    }
  });

  it('put the whole Definition of Done into the pull request template as a checklist', () => {
    const items = tableRows(read('docs/definition-of-done.md'))
      .filter((r) => r[0] !== '#')
      .map((r) => r[1]);
    expect(items).toHaveLength(7);
    const checklist = read('.github/pull_request_template.md')
      .split('\n')
      .filter((l) => l.startsWith('- [ ] '))
      .map((l) => l.slice(6));
    expect(checklist).toStrictEqual(items);
    for (const item of [
      'Review done',
      'Tests green',
      'Lint clean',
      'Image under 100 MB',
      'Pipeline green',
      'Docs updated',
    ]) {
      expect(checklist.some((c) => c.startsWith(item))).toBe(true);
    }
  });

  it('describe the Kanban board with its five columns', () => {
    const rows = tableRows(read('docs/organisation.md').split('## Kanban board')[1] ?? '');
    expect(rows.map((r) => r[0])).toStrictEqual([
      '**Backlog**',
      '**To do**',
      '**In progress**',
      '**Review**',
      '**Done**',
    ]);
  });
});

describe('the issue templates', () => {
  interface Template {
    name: string;
    labels: string[];
    body: { type: string; id: string; validations?: { required: boolean } }[];
  }
  const template = (file: string) => parse(read(`.github/ISSUE_TEMPLATE/${file}`)) as Template;
  const required = (t: Template) => t.body.filter((b) => b.validations?.required === true).map((b) => b.id);

  it('ask a user story for the story and its acceptance criteria', () => {
    const story = template('user-story.yml');
    expect(story.labels).toStrictEqual(['user-story']);
    expect(required(story)).toStrictEqual(['story', 'criteria']);
  });

  it('ask a bug for what happened, what was expected, how to reproduce it and the version', () => {
    const bug = template('bug.yml');
    expect(bug.labels).toStrictEqual(['bug']);
    expect(required(bug)).toStrictEqual(['happened', 'expected', 'reproduce', 'version']);
  });

  it('allow no blank issue', () => {
    expect(parse(read('.github/ISSUE_TEMPLATE/config.yml'))).toStrictEqual({ blank_issues_enabled: false });
  });
});
