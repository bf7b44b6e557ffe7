import { spawnSync } from 'node:child_process';

// Some exports are checked by the reader their consumers use (Python's csv module, str.splitlines()).
// Locally python3 may be missing; in CI (ubuntu-24.04 ships it) it must be there.
export const hasPython = spawnSync('python3', ['--version']).status === 0 || process.env.CI === 'true';

/**
 * Runs `script` with `python3 -c`, `input` on its standard input as UTF-8, and returns the JSON the
 * script prints. A script that fails fails the test with Python's message.
 */
export function python(script: string, input: string): unknown {
  const result = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(`python3 exited with ${result.status}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout);
}

/** Reads CSV from standard input with Python's csv module (RFC 4180 quoting) and prints the records as JSON. */
export const PYTHON_CSV_READER = `
import csv, io, json, sys
records = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline=''))
print(json.dumps(list(records)))
`;

/** Splits standard input with str.splitlines(), as many log shippers split, and parses each line as JSON. */
export const PYTHON_NDJSON_READER = `
import json, sys
text = sys.stdin.buffer.read().decode('utf-8')
print(json.dumps([json.loads(line) for line in text.splitlines()]))
`;
