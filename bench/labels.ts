// npx tsx bench/labels.ts
// The CPU cost of the label checks of the largest write: a bulk POST of 1000 servers with four
// 64-character labels each, none of them ASCII (which would take the fast path). Each body is parsed
// from JSON as the server parses it, then put through valuesFromInput, the write path's own
// normalisation; the schema's checks, which come first, are not counted. Bodies:
//   first   the process's first: the script regexes are compiled, nothing is cached yet
//   again   the same labels once more: what a repeated import or sync costs
//   varied  every label different, from five scripts' alphabets: an inventory in several languages
//   unseen  every label of letters not seen before (Han and Hangul, beyond the cache): an adversary's
//   mixed   every label a Latin word with one Cyrillic letter, all refused: the path that names scripts
// Each figure is process.cpuUsage() around the checks of one body, the lowest of ROUNDS bodies
// (after the first, which is on its own) to leave out the collector's and the compiler's pauses.
import type { ErrorDetail } from '../src/errors.js';
import type { ServerInput } from '../src/servers/servers.schemas.js';
import { valuesFromInput } from '../src/servers/servers.values.js';

const SERVERS = 1000;
const LABELS = ['environment', 'role', 'location', 'os'] as const;
const LENGTH = 64;
const ROUNDS = 5;

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));
const ALPHABETS = [
  range(0x430, 0x44f), // Cyrillic
  range(0x3b1, 0x3c9), // Greek
  range(0x5d0, 0x5ea), // Hebrew
  range(0x4e00, 0x4eff), // Han
  range(0x905, 0x939), // Devanagari
];
// About 110,000 letters, each of a single script, far more than the cache holds.
const UNSEEN = [
  ...range(0x4e00, 0x9fff),
  ...range(0x3400, 0x4dbf),
  ...range(0x20000, 0x2a6df),
  ...range(0xac00, 0xd7a3),
];

function word(alphabet: string[], seed: number): string {
  return Array.from({ length: LENGTH }, (_, i) => alphabet[(seed * 31 + i * 7) % alphabet.length]).join('');
}

/** A bulk POST's body as the server has it: parsed from JSON, so its strings are flat, as there. */
function body(label: (server: number, field: number) => string): ServerInput[] {
  const servers = Array.from({ length: SERVERS }, (_, server) => ({
    hostname: `host-${server}`,
    ip: `10.0.${server >> 8}.${server & 255}`,
    ...Object.fromEntries(LABELS.map((name, field) => [name, label(server, field)])),
  }));
  return JSON.parse(JSON.stringify(servers)) as ServerInput[];
}

const bodies: Record<string, (round: number) => ServerInput[]> = {
  first: () => body((server, field) => word(ALPHABETS[field] ?? [], server)),
  again: () => body((server, field) => word(ALPHABETS[field] ?? [], server)),
  varied: (round) =>
    body((server, field) => word(ALPHABETS[(server + field) % ALPHABETS.length] ?? [], server + round)),
  unseen: (round) =>
    body((server, field) => {
      const start = (((round * SERVERS + server) * LABELS.length + field) * LENGTH) % UNSEEN.length;
      return UNSEEN.slice(start, start + LENGTH).join('');
    }),
  mixed: (round) => body((server, field) => `prod\u043euction-${round}-${server}-${field}`.padEnd(LENGTH, 'x')),
};

function cpuMs(inputs: ServerInput[], refused: boolean): number {
  const details: ErrorDetail[] = [];
  const before = process.cpuUsage();
  for (const [index, input] of inputs.entries()) {
    valuesFromInput(input, details, `[${index}].`);
  }
  const { user, system } = process.cpuUsage(before);
  if (details.length !== (refused ? inputs.length * LABELS.length : 0)) {
    throw new Error(`${details.length} problems: ${JSON.stringify(details.slice(0, 3))}`);
  }
  return (user + system) / 1000;
}

for (const [name, make] of Object.entries(bodies)) {
  const rounds = name === 'first' ? 1 : ROUNDS;
  const times = Array.from({ length: rounds }, (_, round) => cpuMs(make(round), name === 'mixed'));
  const shown = times.map((ms) => ms.toFixed(1)).join(' ');
  process.stdout.write(`${name.padEnd(7)} ${Math.min(...times).toFixed(1)} ms CPU (rounds: ${shown})\n`);
}
