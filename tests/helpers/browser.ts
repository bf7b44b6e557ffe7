// The browser tests' set-up: Debian's chromium (driven by playwright-core) beside a real server process.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { dialect } from './database.js';
import { type ServerProcess, startServer } from './server-process.js';

/** Debian's chromium by default; CHROMIUM_PATH names another Chromium-based browser (Google Chrome on GitHub's runners). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Locally the browser may be missing (apt-get install chromium); in CI it must be there.
const available = process.env.CI === 'true' || existsSync(CHROMIUM);
/**
 * Whether the browser tests run: their server runs on SQLite whatever the suite's database, so the run
 * on PostgreSQL (.ci/run) leaves them to the runs on SQLite, on Node 20 and on Node 24.
 */
export const browserTestsRun = available && dialect === 'sqlite';

/**
 * Starts a server on an in-memory SQLite database whose reads need `token` (its bootstrap token), and
 * the browser, at once. When either fails, the other is stopped before the failure is thrown. `env`
 * adds to (or overrides) the server's environment.
 */
export async function startServerAndBrowser(
  token: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ server: ServerProcess; browser: Browser }> {
  const [started, launched] = await Promise.allSettled([
    startServer({
      env: {
        DATABASE_URL: 'sqlite::memory:',
        INVENTORY_AUTH_READS: 'true',
        INVENTORY_BOOTSTRAP_TOKEN: token,
        // On a busy machine the browser and the server share the CPU: no 503 for a slow event loop.
        MAX_EVENT_LOOP_DELAY_MS: '0',
        ...env,
      },
      // The server compiles its sources on start: seconds, more on a busy machine.
      timeoutMs: 40_000,
    }),
    chromium.launch({ executablePath: CHROMIUM }),
  ]);
  if (started.status === 'fulfilled' && launched.status === 'fulfilled') {
    return { server: started.value, browser: launched.value };
  }
  if (launched.status === 'fulfilled') {
    await launched.value.close();
  }
  if (started.status === 'fulfilled') {
    await started.value.stop();
  }
  throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
}
