// The browser tests' set-up: Debian's chromium (driven by playwright-core) beside a real server process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type Page, chromium } from 'playwright-core';
import { expect } from 'vitest';
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

/** Where the browser tests keep their screenshots (git-ignored; CI keeps them as artifacts). */
export const SCREENSHOTS = join(fileURLToPath(new URL('../..', import.meta.url)), 'artifacts', 'console');

/** All of WCAG 2.2 AA, as axe-core tags its rules. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Checks `page` as it is with axe-core in each colour scheme (the theme follows the media query: no
 * reload between them): no serious or critical violation, else the failure names each rule and its
 * elements. Light runs every WCAG 2.2 AA rule; dark changes colours only, so by default it runs the
 * rules about colours (`dark: 'all'` runs every rule there too). Each scheme's screenshot goes to
 * SCREENSHOTS as `<name>-<scheme>.png`; the page is left without an emulated scheme.
 */
export async function expectNoSeriousViolations(
  page: Page,
  name: string,
  {
    schemes = ['light', 'dark'],
    dark = 'colours',
  }: { schemes?: readonly ('light' | 'dark')[]; dark?: 'colours' | 'all' } = {},
): Promise<void> {
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    const builder = new AxeBuilder({ page });
    const { violations } = await (
      colorScheme === 'light' || dark === 'all'
        ? builder.withTags(WCAG_TAGS)
        : builder.withRules(['color-contrast', 'link-in-text-block'])
    ).analyze();
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect([name, colorScheme, serious]).toStrictEqual([name, colorScheme, []]);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: null });
}
