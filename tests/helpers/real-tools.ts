// Running the real tools some tests drive (ansible-core, Prometheus, curl, jq), from Debian's packages.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

async function has(command: string): Promise<boolean> {
  try {
    await promisify(execFile)('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the tests of these commands run: in CI (CI=true) always, so that a missing tool fails them
 * instead of skipping them; elsewhere only if every one is installed (CONTRIBUTING.md, Tests, says how).
 */
export async function toolsPresent(...commands: string[]): Promise<boolean> {
  if (process.env.CI === 'true') {
    return true;
  }
  for (const command of commands) {
    if (!(await has(command))) {
      return false;
    }
  }
  return true;
}

/**
 * A directory for Ansible's runs and the environment that confines them to it: no configuration
 * from the user's home, /etc/ansible or the working directory, temporary files inside it, plain
 * one-line output (`host | SUCCESS => {json}`) to parse unless `settings` choose another callback.
 */
export function ansibleSandbox(
  prefix: string,
  settings: Record<string, string> = {},
): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'home'));
  writeFileSync(join(dir, 'ansible.cfg'), '');
  return {
    dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: join(dir, 'home'),
      ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
      ANSIBLE_INVENTORY_ENABLED: 'script',
      ANSIBLE_LOCAL_TEMP: join(dir, 'local-tmp'),
      ANSIBLE_REMOTE_TEMP: join(dir, 'remote-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
      ANSIBLE_STDOUT_CALLBACK: 'oneline',
      ANSIBLE_RETRY_FILES_ENABLED: '0',
      ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
      ANSIBLE_LOCALHOST_WARNING: '0',
      ...settings,
    },
  };
}

export interface ToolRun {
  /** The exit code; null if a signal ended it (the timeout's, for one). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with only the given environment, never throwing on its exit code. */
export function runTool(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}
