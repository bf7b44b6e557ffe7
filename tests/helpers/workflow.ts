import { parse } from 'yaml';

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  strategy?: { matrix: Record<string, unknown[]> };
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}

export interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  defaults?: { run?: { shell?: string } };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow;
}

/** Every `uses:` of the file with the comment that follows it, read from the text (YAML drops comments). */
export function actionReferences(text: string): { line: number; ref: string; comment: string | undefined }[] {
  return text.split('\n').flatMap((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(.*))?$/.exec(line);
    return match?.[1] === undefined ? [] : [{ line: index + 1, ref: match[1], comment: match[2]?.trim() }];
  });
}

const WRITE_ALL = new Set(['write-all', 'read-all']);

/**
 * The hardening rules, as a list of problems (empty when the workflow meets them): read-only
 * permissions at the top; every action pinned to a full commit SHA with a version comment; checkout
 * without persisted credentials; no pull_request_target; no `${{ }}` expression inside a run script
 * (values reach scripts through env, so untrusted text is never spliced into shell code).
 */
export function workflowProblems(text: string): string[] {
  const problems: string[] = [];
  const workflow = parseWorkflow(text);
  if ('pull_request_target' in workflow.on) {
    problems.push('pull_request_target runs untrusted code with secrets: not allowed');
  }
  if (JSON.stringify(workflow.permissions) !== JSON.stringify({ contents: 'read' })) {
    problems.push('the top-level permissions must be exactly { contents: read }');
  }
  for (const { line, ref, comment } of actionReferences(text)) {
    if (ref.startsWith('./') || ref.startsWith('docker://')) {
      continue;
    }
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref)) {
      problems.push(`line ${line}: ${ref} is not pinned to a full commit SHA`);
    } else if (comment === undefined || !/^v?\d+(\.\d+)*$/.test(comment)) {
      problems.push(`line ${line}: ${ref} needs a version comment such as "# v1.2.3"`);
    }
  }
  for (const [id, job] of Object.entries(workflow.jobs)) {
    if (typeof job.permissions === 'string' && WRITE_ALL.has(job.permissions)) {
      problems.push(`job ${id}: permissions must be listed one by one, not ${job.permissions}`);
    }
    job.steps.forEach((step, index) => {
      const label = `job ${id}, step ${step.name ?? step.uses ?? String(index + 1)}`;
      if (step.run?.includes('${{') === true) {
        problems.push(`${label}: an expression inside run; pass it through env`);
      }
      if (step.uses?.startsWith('actions/checkout@') === true && step.with?.['persist-credentials'] !== false) {
        problems.push(`${label}: checkout must set persist-credentials: false`);
      }
    });
  }
  return problems;
}
