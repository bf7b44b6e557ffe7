// The load generator for the read targets: wrk (a C load generator, Debian's package), one thread pinned
// to one core while the server under test is pinned to the other (taskset), so that neither the
// generator nor the reference shares a core with what it measures. See docs/benchmarks.md.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measurement } from './load.js';
import { cpuSecondsOf, sampleRss } from './processes.js';

const WRK = '/usr/bin/wrk';
const TASKSET = '/usr/bin/taskset';
/** The core the server under test runs on, and the generator's. */
export const SERVER_CORE = 0;
export const GENERATOR_CORE = 1;
/** How many quantiles wrk reports of each run (every 0.1%): the run's latencies are rebuilt from them. */
const QUANTILES = 1000;

/** Whether wrk can run here: the binary, taskset, and at least two cores to pin to. */
export function wrkAvailable(cores: number): boolean {
  return existsSync(WRK) && existsSync(TASKSET) && cores >= 2;
}

/** Lets every thread of process `pid` run only on the cores of `cpuList` (taskset's form: `1`, `0-1`); throws if taskset fails. */
export function setCpuList(pid: number, cpuList: string): void {
  execFileSync(TASKSET, ['--all-tasks', '--cpu-list', '--pid', cpuList, String(pid)], { stdio: 'ignore' });
}

/** Pins every thread of process `pid` to `core`. */
export function pin(pid: number, core: number): void {
  setCpuList(pid, String(core));
}

/** Lets every thread of process `pid` run on any core again. */
export function unpin(pid: number, cores: number): void {
  setCpuList(pid, `0-${cores - 1}`);
}

/** A Lua string literal of `text` (paths and header values: printable ASCII). */
const lua = (text: string) => JSON.stringify(text);

/**
 * The script that makes wrk request the paths listed in `pathsFile` (one at random per request), with
 * `headers`, and print at the end the run's quantiles and its failures on lines of their own. Each
 * request is formatted once, at the start, so that choosing one costs the generator nothing.
 */
export function wrkScript(pathsFile: string, headers: Readonly<Record<string, string>>): string {
  const headerLines = Object.entries(headers).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`);
  return `${headerLines.join('\n')}
local requests = {}
local n = 0
-- In init, once wrk has set the Host header: a request formatted before it would lack one.
init = function(args)
  for path in io.lines(${lua(pathsFile)}) do requests[#requests + 1] = wrk.format(nil, path) end
  n = #requests
end
request = function() return requests[math.random(n)] end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout))
  local q = {}
  for k = 1, ${QUANTILES} do q[k] = latency:percentile(k * ${100 / QUANTILES}) end
  io.write("QUANTILES " .. table.concat(q, " ") .. "\\n")
end
`;
}

/** What a wrk run printed: its counts and quantiles (microseconds), from the script's lines. */
export function parseWrk(output: string): {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
  quantiles: number[];
} {
  const result = /^RESULT (\d+) (\d+) (\d+) (\d+)$/m.exec(output);
  const quantiles = /^QUANTILES (.*)$/m.exec(output);
  if (result === null || quantiles === null) {
    throw new Error(`wrk printed no result: ${output.slice(0, 500)}`);
  }
  const [requests, micros, non2xx, errors] = result.slice(1).map(Number) as [number, number, number, number];
  return {
    requests,
    seconds: micros / 1e6,
    non2xx,
    errors,
    quantiles: (quantiles[1] ?? '').split(' ').map(Number),
  };
}

/**
 * The run's latencies in milliseconds, one per request, rebuilt from its quantiles: the j-th of n
 * sorted latencies is the quantile at (j + 1) / n. Percentiles of this array (and of several runs'
 * arrays together, by `combine`) are those of the run to within 0.1%.
 */
export function latenciesFrom(quantiles: readonly number[], requests: number): Float64Array {
  const latencies = new Float64Array(requests);
  for (let j = 0; j < requests; j++) {
    const k = Math.min(quantiles.length - 1, Math.ceil(((j + 1) / requests) * quantiles.length) - 1);
    latencies[j] = (quantiles[k] ?? Number.NaN) / 1000;
  }
  return latencies;
}

export interface WrkOptions {
  url: string;
  /** The server under test, pinned to SERVER_CORE for the run (its RSS is sampled). */
  pid: number;
  paths: readonly string[];
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** Where the script is written. */
  work: string;
}

/** A wrk run: the measurement, and the share of its core the generator used (near 1: it was the limit). */
export type WrkMeasurement = Measurement & { generatorCpu: number };

/** One wrk run, pinned to GENERATOR_CORE, against the server pinned to SERVER_CORE. */
export async function wrkMeasure(options: WrkOptions): Promise<WrkMeasurement> {
  const script = join(options.work, `wrk-${options.pid}.lua`);
  const pathsFile = join(options.work, `wrk-${options.pid}.paths`);
  writeFileSync(pathsFile, `${options.paths.join('\n')}\n`);
  writeFileSync(script, wrkScript(pathsFile, options.headers ?? {}));
  const rss = sampleRss(options.pid);
  const args = [
    '--cpu-list',
    String(GENERATOR_CORE),
    WRK,
    '--threads',
    '1',
    '--connections',
    String(options.connections),
    '--duration',
    // wrk takes whole seconds.
    `${Math.max(1, Math.round(options.seconds))}s`,
    '--timeout',
    '10s',
    '--script',
    script,
    options.url,
  ];
  let generatorCpu = Number.NaN;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(TASKSET, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // taskset becomes wrk (same process): its CPU time, read until it exits.
    const began = performance.now();
    const cpu = setInterval(() => {
      // 0 once it has exited: the last reading stays.
      const used = child.pid === undefined ? 0 : cpuSecondsOf(child.pid);
      if (used > 0) {
        generatorCpu = used / ((performance.now() - began) / 1000);
      }
    }, 100);
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // A watchdog beside wrk's own duration: a stuck load never holds the run.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      clearInterval(cpu);
      if (code === 0) {
        resolve(text);
      } else {
        reject(new Error(`wrk exited with ${String(code)}: ${text.slice(0, 500)}`));
      }
    });
  });
  const peakRss = rss.stop();
  const run = parseWrk(output);
  const latencies = latenciesFrom(run.quantiles, run.requests);
  const at = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
  return {
    requests: run.requests,
    seconds: run.seconds,
    rps: run.requests / run.seconds,
    p50: at(50),
    p99: at(99),
    peakRss,
    failures: run.non2xx + run.errors,
    statuses: {
      ...(run.non2xx > 0 ? { 'non-2xx': run.non2xx } : {}),
      ...(run.errors > 0 ? { errors: run.errors } : {}),
    },
    latencies,
    generatorCpu,
  };
}
