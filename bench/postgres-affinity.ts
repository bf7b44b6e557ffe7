// With --pg, the GET-by-id rounds run PostgreSQL on the generator's core, apart from the API's: a
// deployment gives PostgreSQL cores of its own, and on two cores the generator's is the only other one.
// Only a server on this host whose postmaster this user can identify and pin is touched, and each
// process gets back exactly the cores it had. See docs/benchmarks.md ("Running it").
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { setCpuList } from './wrk.js';

/** What became of pinning PostgreSQL: the report says it. */
export type Pinning =
  { pinned: true; processes: number; restore: () => void } | { pinned: false; reason: string; restore: () => void };

/** The cores a process may run on (`Cpus_allowed_list`), or undefined when it is gone. */
function coresOf(pid: number): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The children of `parent`, from /proc (a backend is a child of the postmaster). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      // The fields after the command's closing parenthesis: state, then the parent's pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) {
        children.push(Number(entry));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** Sets the cores of every thread of `pid`; false when it is gone or this user may not. */
function setCores(pid: number, cores: string): boolean {
  try {
    setCpuList(pid, cores);
  } catch {
    return false;
  }
  // taskset exits 0 for a pid that does not exist: what the kernel says counts.
  return coresOf(pid) === cores;
}

/**
 * Finds the postmaster of the server at `port` whose data directory is `dataDirectory` (from `SHOW
 * data_directory`): the pid in its postmaster.pid (line 1), checked against the port (line 4), the
 * process's name and its working directory, so that a stale file or another server's is never taken.
 */
function postmasterOf(dataDirectory: string, port: number): number | string {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return 'its postmaster.pid could not be read';
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 1 || Number(lines[3]) !== port) {
    return 'its postmaster.pid is not that of the server on this port';
  }
  try {
    if (
      readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres' ||
      readlinkSync(`/proc/${pid}/cwd`) !== realpathSync(dataDirectory)
    ) {
      return 'the pid in its postmaster.pid is not its postmaster';
    }
  } catch {
    return 'its postmaster could not be inspected';
  }
  return pid;
}

/**
 * Pins PostgreSQL's postmaster and its backends to `core` (backends forked later inherit it), and
 * returns how to give each process back the cores it had. Nothing is changed unless every process
 * could be pinned; the reason is returned instead.
 */
export function pinPostgres(url: string, dataDirectory: string, core: number): Pinning {
  const nothing = () => undefined;
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    return { pinned: false, reason: 'the server is not on this host', restore: nothing };
  }
  const postmaster = postmasterOf(dataDirectory, port === '' ? 5432 : Number(port));
  if (typeof postmaster === 'string') {
    return { pinned: false, reason: postmaster, restore: nothing };
  }
  const original = coresOf(postmaster);
  if (original === undefined) {
    return { pinned: false, reason: 'its postmaster ended', restore: nothing };
  }
  const target = String(core);
  const processes = [postmaster, ...childrenOf(postmaster)];
  const before = new Map(processes.map((pid) => [pid, coresOf(pid) ?? original]));
  // Backends forked while pinned had the postmaster's original cores to inherit.
  const restore = () => {
    for (const pid of [postmaster, ...childrenOf(postmaster)]) {
      setCores(pid, before.get(pid) ?? original);
    }
  };
  // The postmaster first, so that a backend forked meanwhile inherits the core.
  const failed = processes.filter((pid) => !setCores(pid, target) && coresOf(pid) !== undefined);
  if (failed.length > 0) {
    restore();
    return { pinned: false, reason: `taskset could not pin process ${failed[0]}`, restore: nothing };
  }
  return { pinned: true, processes: processes.length, restore };
}
