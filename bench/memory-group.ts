// A real memory limit for a server under test, as the container's (256 MiB in the Kubernetes manifest):
// a cgroup v1 memory group of its own, which the kernel enforces (reclaim, then the OOM killer).
// See docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup/memory';

/** What the kernel counted for a group while the server ran in it. */
export interface MemoryGroupReport {
  limit: number;
  /** The most the group used: the process's memory and the page cache charged to it (file reads). */
  maxUsage: number;
  /** How many times the group reached its limit (each time the kernel reclaimed memory). */
  failcnt: number;
  /** Processes of the group the OOM killer killed. */
  oomKills: number;
}

export interface MemoryGroup {
  path: string;
  /** The command that runs `command args...` inside the group from its first instruction. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  report(): MemoryGroupReport;
  /** Removes the group (its processes must have exited). */
  remove(): void;
}

/** Whether this machine has the cgroup v1 memory controller, writable by this process. */
export function memoryGroupsAvailable(): boolean {
  return existsSync(join(ROOT, 'cgroup.procs'));
}

const read = (path: string, file: string) => readFileSync(join(path, file), 'utf8');

/** Makes a memory group `name` limited to `limitBytes` (no swap beyond it where the kernel counts swap). */
export function createMemoryGroup(name: string, limitBytes: number): MemoryGroup {
  const path = join(ROOT, name);
  mkdirSync(path);
  try {
    writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
    if (existsSync(join(path, 'memory.memsw.limit_in_bytes'))) {
      writeFileSync(join(path, 'memory.memsw.limit_in_bytes'), String(limitBytes));
    }
  } catch (error) {
    // A limit the kernel refused: no group is left behind.
    rmdirSync(path);
    throw error;
  }
  return {
    path,
    wrap: (command, args) => ({
      command: '/bin/sh',
      // The shell joins the group, then becomes the command: every byte it ever uses is counted.
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', path, command, ...args],
    }),
    report: () => ({
      limit: Number(read(path, 'memory.limit_in_bytes')),
      maxUsage: Number(read(path, 'memory.max_usage_in_bytes')),
      failcnt: Number(read(path, 'memory.failcnt')),
      oomKills: Number(/^oom_kill (\d+)$/m.exec(read(path, 'memory.oom_control'))?.[1] ?? 0),
    }),
    remove: () => {
      // A group can be removed once empty; its last process may take a moment to leave after exiting.
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(path);
          return;
        } catch (error) {
          if (attempt >= 50) {
            throw error;
          }
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    },
  };
}
