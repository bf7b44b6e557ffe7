// npx tsx bench/patterns.ts
// The CPU cost of checking a string field's pattern when a definition is made or changed
// (compilePattern), against compiling it with re2js alone as the check did before it estimated the
// program's size first. Worst cases, each repeated to fill 64 to 1024 characters:
//   nested    nested counted repetitions, each at RE2's product limit of 1000
//   counted   counted repetitions of a Unicode class, as large as RE2 takes
//   branches  counted repetitions of an alternation
//   classes   Unicode classes with case folding, negated: no repetition, each costly to build
//   mixed     one repetition of such a class just within the estimate's bound, then classes
// and realistic patterns, which must stay accepted. Each figure is process.cpuUsage() around one
// check, the median and the highest of ROUNDS (after one round to warm the compiler up).
import { RE2JS } from 're2js';
import { compilePattern, estimatedProgramSize } from '../src/custom-fields/custom-fields.patterns.js';
import { MAX_PATTERN_LENGTH } from '../src/custom-fields/custom-fields.schemas.js';

const ROUNDS = 5;
const LENGTHS = [64, 128, 256, 512, 1024];

/** Each case as a pattern of about `length` characters. */
const fill = (unit: string, length: number) => unit.repeat(Math.max(1, Math.floor(length / unit.length)));
const WORST: Record<string, (length: number) => string> = {
  nested: (length) => fill('(?:(?:a{1,10}){1,10}){1,10}', length),
  counted: (length) => fill('\\pL{1,1000}', length),
  branches: (length) => fill('(?:ab|cd|ef){1,1000}', length),
  classes: (length) => fill('(?i)\\PL', length),
  // The costliest that reaches RE2: a repetition within the estimate's bound, then classes.
  mixed: (length) => `(?i)\\PL{1,900}${fill('(?i)\\PL', length - 14)}`,
};

const REALISTIC: Record<string, string> = {
  rack: '^R[0-9]{2}$',
  hostname: '^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$',
  url: '^https?://[a-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\\s]*)?$',
  email:
    "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?" +
    '(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$',
  ipv4: '^(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(?:\\.(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)){3}$',
  ipv6:
    '^(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|' +
    '(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|' +
    '(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|' +
    '[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}|:(?:(?::[0-9a-fA-F]{1,4}){1,7}|:))$',
};

function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

function reCompile(pattern: string): string {
  try {
    return `${RE2JS.compile(pattern).programSize()} instructions`;
  } catch (error) {
    return (error as Error).message.slice(0, 40);
  }
}

function verdict(pattern: string): string {
  const checked = compilePattern(pattern);
  return checked.ok ? 'accepted' : checked.problem.slice(0, 60);
}

/** Median and highest of ROUNDS, in ms. */
function rounds(work: () => void): string {
  work();
  const times = Array.from({ length: ROUNDS }, () => cpuMs(work)).sort((a, b) => a - b);
  return `${(times[Math.floor(ROUNDS / 2)] ?? 0).toFixed(1)} / ${(times[ROUNDS - 1] ?? 0).toFixed(1)} ms`;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
out(`Patterns of at most ${MAX_PATTERN_LENGTH} characters are accepted by the schema; longer ones are measured too.`);
out('case      length  re2js alone (median / highest)       compilePattern (median / highest), verdict');
for (const [name, make] of Object.entries(WORST)) {
  for (const length of LENGTHS) {
    const pattern = make(length);
    out(
      [
        name.padEnd(9),
        String(pattern.length).padStart(6),
        ` ${rounds(() => reCompile(pattern)).padEnd(16)} ${reCompile(pattern).padEnd(20)}`,
        ` ${rounds(() => compilePattern(pattern)).padEnd(16)} ${verdict(pattern)}`,
      ].join(' '),
    );
  }
}
for (const [name, pattern] of Object.entries(REALISTIC)) {
  out(
    `${name.padEnd(9)} ${String(pattern.length).padStart(6)}  estimate ${estimatedProgramSize(pattern)}, ` +
      `${reCompile(pattern)}; compilePattern ${rounds(() => compilePattern(pattern))}, ${verdict(pattern)}`,
  );
}
