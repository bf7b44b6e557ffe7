import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Measurement } from './load.js';

/** One row of the results: a scenario at one inventory size. */
export interface Row {
  scenario: string;
  servers: number;
  m: Measurement;
  /** Scenario-specific figures (rows/s of an export, RSS before it ...). */
  extra?: string;
}

/** A target of the issue, as a ratio measured in this run. */
export interface Target {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
  note?: string;
  /** Measured against the limit and reported, but not a target of the product: never fails a run. */
  informative?: true;
}

const MiB = 1024 * 1024;

export const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const ms = (value: number) => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function resultsTable(rows: Row[]): string {
  return table(
    ['Scenario', 'Servers', 'Requests', 'Req/s', 'p50 ms', 'p99 ms', 'Peak RSS', 'Failures', 'Notes'],
    rows.map(({ scenario, servers, m, extra }) => [
      scenario,
      servers.toLocaleString('en-US'),
      String(m.requests),
      m.rps.toFixed(m.rps < 100 ? 1 : 0),
      ms(m.p50),
      ms(m.p99),
      mib(m.peakRss),
      String(m.failures),
      extra ?? '',
    ]),
  );
}

export function targetsTable(targets: Target[]): string {
  return table(
    ['Target', 'Measured', 'Limit', 'Result'],
    targets.map((t) => [
      t.name,
      t.measured,
      t.limit,
      `${t.pass ? 'pass' : t.informative ? 'over' : 'FAIL'}${t.informative ? ' (informative)' : ''}${t.note ? ` (${t.note})` : ''}`,
    ]),
  );
}

/**
 * Writes the generated results into `file` between the markers, keeping whatever was written by hand
 * around them (the analysis of the misses, the profiles); creates the file if it does not exist.
 * `name` tells the markers apart (one block per database).
 */
export function writeResults(file: string, generated: string, name = 'bench:results'): void {
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  const block = `${START}\n\n${generated.trim()}\n\n${END}`;
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmarks\n\n${block}\n`);
    return;
  }
  const current = readFileSync(file, 'utf8');
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  writeFileSync(
    file,
    start === -1 || end === -1
      ? `${current.trimEnd()}\n\n${block}\n`
      : `${current.slice(0, start)}${block}${current.slice(end + END.length)}`,
  );
}
