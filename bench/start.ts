// npm run bench:start: how long `npm start` takes to answer on an installed checkout whose dist/ is
// up to date, next to `node dist/main.js` alone (the reference: the same server without npm and
// without the build check), in the same run. Target: about 2 s. See docs/benchmarks.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './processes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;

/** Milliseconds from spawning `command` to the first 200 from /api/v1/health. */
async function timeToHealthy(command: string, args: string[], dir: string): Promise<number> {
  const port = await freePort();
  const began = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(dir, `start-${port}.db`)}`,
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (;;) {
      if (performance.now() - began > 60_000) {
        throw new Error(`${command} ${args.join(' ')} did not answer within 60 s`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
        await res.arrayBuffer();
        if (res.status === 200) {
          return performance.now() - began;
        }
      } catch {
        // Not listening yet.
      }
      await sleep(10);
    }
  } finally {
    // npm starts node in a process group of its own: stop them all.
    process.kill(-(child.pid ?? 0), 'SIGKILL');
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const dir = mkdtempSync(join(tmpdir(), 'inventory-start-bench-'));
try {
  // Once so that dist/ is up to date, as on an installed checkout that has started before.
  await timeToHealthy('npm', ['start', '--silent'], dir);
  const npmStart: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    npmStart.push(await timeToHealthy('npm', ['start', '--silent'], dir));
    bare.push(await timeToHealthy(process.execPath, ['dist/main.js'], dir));
  }
  const started = median(npmStart);
  const reference = median(bare);
  process.stdout.write(
    `| Target | Measured | Limit | Result |\n| --- | --- | --- | --- |\n` +
      `| npm start to the first answer of /api/v1/health, dist/ up to date (median of ${RUNS}) | ` +
      `${started.toFixed(0)} ms (node dist/main.js alone: ${reference.toFixed(0)} ms) | <= 2000 ms | ` +
      `${started <= 2000 ? 'pass' : 'fail'} |\n`,
  );
  process.exitCode = started <= 2000 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
