// Builds the web console into web/dist/ once, before the test files run, as `npm start` would (only when
// its sources changed): the files that start a server from this checkout (the browser test, the quick
// start's `npm start`) then find it built, instead of building it at the same time into one folder.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export default async function setup(): Promise<void> {
  const script = fileURLToPath(new URL('../../scripts/build-if-stale.mjs', import.meta.url));
  await promisify(execFile)(process.execPath, [script, '--web'], { timeout: 120_000 });
}
