import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemoryGroup } from './memory-group.js';

/** A process the benchmark started and listens on 127.0.0.1. */
export interface Started {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Stops it with SIGTERM (SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const LISTENING = /(?:Server listening at|listening on) (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts `node args...` with its stdout and stderr in `logFile` (as a service manager would) and
 * waits until `healthUrl` answers 200 or, without one, until the log says where it listens. Fails after `timeoutMs` or if it exits first.
 * `node` is another Node.js binary than the harness's; `memoryGroup`, a memory limit of its own.
 */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  logFile: string,
  {
    healthUrl,
    timeoutMs = 30_000,
    node = process.execPath,
    memoryGroup,
  }: { healthUrl?: string; timeoutMs?: number; node?: string; memoryGroup?: MemoryGroup } = {},
): Promise<Started> {
  const fd = openSync(logFile, 'a');
  const run = memoryGroup === undefined ? { command: node, args } : memoryGroup.wrap(node, args);
  const child = spawn(run.command, run.args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const state = { exited: false };
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  void exit.then(() => {
    state.exited = true;
  });
  const stop = async () => {
    if (!state.exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (state.exited) {
      throw new Error(`${args.join(' ')} exited before listening; see ${logFile}`);
    }
    const url = healthUrl === undefined ? LISTENING.exec(readFileSync(logFile, 'utf8'))?.[1] : await healthy(healthUrl);
    if (url !== undefined && child.pid !== undefined) {
      return { child, pid: child.pid, url, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`${args.join(' ')} did not listen within ${timeoutMs} ms; see ${logFile}`);
}

/** The origin of `healthUrl` once it answers 200, else undefined. */
async function healthy(healthUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(healthUrl, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200 ? new URL(healthUrl).origin : undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address !== 'object') {
    throw new Error('no free port');
  }
  return address.port;
}

/** The resident set size of a process in bytes, from /proc (Linux); undefined once it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** The CPU time a process has used so far (user and system), in seconds, from /proc (Linux); 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    // The fields after the command name (which may hold spaces, and ends with ')'): utime and stime are
    // the 12th and 13th of them, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped; `stop()` returns the peak seen. */
export function sampleRss(pid: number, intervalMs = 20): { stop(): number } {
  let peak = rssOf(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid) ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssOf(pid) ?? 0);
      return peak;
    },
  };
}

/**
 * Asks `url`'s /api/v1/health every 20 ms until stopped; `stop()` returns the slowest answer in ms.
 * Health needs no database, so its wait is the time the server's event loop was held by other work.
 */
export function watchHealth(url: string): { stop(): Promise<number> } {
  const polling = new AbortController();
  let slowest = 0;
  const poller = (async () => {
    while (!polling.signal.aborted) {
      const began = performance.now();
      const response = await fetch(`${url}/api/v1/health`);
      await response.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - began);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      polling.abort();
      await poller;
      return slowest;
    },
  };
}
