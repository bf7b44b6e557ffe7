// Prints the functions with the most self time in a V8 CPU profile (node --cpu-prof), and the
// share of time under each of a few well-known parts of the stack (logging, SQLite, serialisation).
// Usage: tsx bench/profile-top.ts FILE.cpuprofile [COUNT]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const [file, countArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: profile-top.ts FILE.cpuprofile [COUNT]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) {
    parent.set(child, node.id);
  }
}
const hits = new Map<number, number>();
for (const id of profile.samples) {
  hits.set(id, (hits.get(id) ?? 0) + 1);
}
const total = profile.samples.length;
const where = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules\/)?/, '')}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const PARTS: [string, RegExp][] = [
  ['pino / logging', /pino|sonic-boom|logger|onResponse|serializers/i],
  ['SQLite (better-sqlite3)', /better-sqlite3|sqlite/i],
  ['Kysely', /kysely|compile|QueryCompiler/i],
  ['JSON serialisation', /stringify|serialize|fast-json/i],
  ['garbage collector', /garbage collector/],
  ['idle', /\(idle\)/],
];
for (const [id, count] of hits) {
  const node = byId.get(id);
  if (node === undefined) {
    continue;
  }
  self.set(where(node), (self.get(where(node)) ?? 0) + count);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = byId.get(cur);
    if (frame === undefined) {
      break;
    }
    const text = `${frame.callFrame.functionName} ${frame.callFrame.url}`;
    for (const [part, pattern] of PARTS) {
      if (!seen.has(part) && pattern.test(text)) {
        seen.add(part);
        inclusive.set(part, (inclusive.get(part) ?? 0) + count);
      }
    }
  }
}
const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`.padStart(6);
process.stdout.write(`${total} samples\n\nSelf time:\n`);
for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 25))) {
  process.stdout.write(`${pct(count)}  ${name}\n`);
}
process.stdout.write('\nTime under (inclusive, by name match):\n');
for (const [part] of PARTS) {
  process.stdout.write(`${pct(inclusive.get(part) ?? 0)}  ${part}\n`);
}
