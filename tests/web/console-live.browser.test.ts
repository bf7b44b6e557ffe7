// The console's overview and activity pages in a real browser (Debian's chromium, driven by
// playwright-core) against a real server process whose reads need a token: the overview's counts are
// the summary's, a change made through the API appears in the activity without a reload, its entry
// opens the server; French labels and dates; axe-core in light and dark. Screenshots go to
// artifacts/console/ (git-ignored). One server and one browser for the file.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLite } from '../../src/db/sqlite-driver.js';
import { browserTestsRun, startServerAndBrowser, SCREENSHOTS, expectNoSeriousViolations } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { openStream } from '../helpers/sse.js';

/** How long a page may take to show what is expected (the default second is short on a busy machine). */
const POLL = { timeout: 10_000 } as const;

const TOKEN = 'console-live-browser-test-token-0123456789ab';
const AUTH = { authorization: `Bearer ${TOKEN}` } as const;
const FRENCH_DATE = /\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}/;

interface Summary {
  total: number;
  by_status: Record<string, number>;
  by_environment: Record<string, number>;
  by_role: Record<string, number>;
  by_location: Record<string, number>;
}

describe.runIf(browserTestsRun)('the overview and the activity in a browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The server's database: a file, so that the test can age a server's last_seen_at (no API sets it). */
  const dataDir = mkdtempSync(join(tmpdir(), 'console-live-'));
  const databaseFile = join(dataDir, 'inventory.db');
  /** What the browser reported that a page should never cause: policy violations, script errors. */
  const problems: string[] = [];

  function watch(p: Page): void {
    p.on('console', (message) => {
      // The first requests of a page opened before the sign-in are 401s on purpose.
      if (message.type() === 'error' && !message.text().includes('status of 401')) {
        problems.push(message.text());
      }
    });
    p.on('pageerror', (error) => problems.push(error.message));
  }

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.ok, `${method} ${path}: ${String(res.status)}`).toBe(true);
    return res.json();
  }

  async function signIn(p: Page, label: string, button: string): Promise<void> {
    await p.getByLabel(label).fill(TOKEN);
    await p.getByRole('button', { name: button }).click();
    await p.locator('.session button').waitFor();
  }

  beforeAll(async () => {
    ({ server, browser } = await startServerAndBrowser(TOKEN, { DATABASE_URL: `sqlite:${databaseFile}` }));
    const environments = ['production', 'staging', null] as const;
    const statuses = ['up', 'down', 'maintenance'] as const;
    await call(
      'POST',
      '/servers',
      Array.from({ length: 12 }, (_, i) => ({
        hostname: `live-${String(i).padStart(2, '0')}`,
        ip: `10.2.0.${String(i + 1)}`,
        status: statuses[i % 3],
        environment: environments[i % 3],
        role: i % 2 === 0 ? 'web' : 'db',
        location: i < 8 ? 'Paris DC 1' : 'Lyon',
      })),
    );
    // Two servers a source sees now, and one handed over to it that it has never sent.
    await call('POST', '/servers/apply', {
      source: 'test-sync',
      servers: [
        { hostname: 'synced-01', ip: '10.3.0.1' },
        { hostname: 'synced-02', ip: '10.3.0.2' },
      ],
    });
    await call('PATCH', '/servers/3', { managed_by: 'test-sync' });
    // synced-02 was last seen ten days ago, as if its source had stopped sending it since.
    const sqlite = new SQLite(databaseFile);
    try {
      const aged = sqlite
        .prepare('UPDATE servers SET last_seen_at = ? WHERE hostname = ?')
        .run(new Date(Date.now() - 10 * 86_400_000).toISOString(), 'synced-02');
      expect(aged.changes).toBe(1);
    } finally {
      sqlite.close();
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Each chart's rows as the page shows them: value (as the API names it) and count. */
  async function chart(dimension: string): Promise<Record<string, number>> {
    const shown: Record<string, number> = {};
    for (const row of await page.locator(`#chart-${dimension} >> xpath=.. >> tbody tr`).all()) {
      const count = await row.locator('.bar-count').innerText();
      shown[(await row.getAttribute('data-value')) ?? ''] = Number(count.replace(/\D/g, ''));
    }
    return shown;
  }

  /** The seqs of the activity's entries, top to bottom. */
  async function seqs(): Promise<(string | null)[]> {
    return Promise.all((await page.locator('.activity > li').all()).map((li) => li.getAttribute('data-seq')));
  }

  it("shows the summary's counts, each linked to the list it counts, with bars drawn without a style attribute", async () => {
    await page.goto(`${server.url}/overview`);
    await signIn(page, 'API token', 'Sign in');
    const summary = (await call('GET', '/reports/summary')) as Summary;
    expect(summary.total).toBe(16);
    await expect.poll(() => page.locator('.total-count').innerText(), POLL).toBe(String(summary.total));
    expect(await chart('status')).toStrictEqual(summary.by_status);
    expect(await chart('environment')).toStrictEqual(summary.by_environment);
    expect(await chart('role')).toStrictEqual(summary.by_role);
    expect(await chart('location')).toStrictEqual(summary.by_location);
    // The bars' lengths follow the counts: Paris (8 + the samples) against Lyon (4).
    const width = async (value: string) =>
      (await page.locator(`#chart-location >> xpath=.. >> tr[data-value="${value}"] rect`).boundingBox())?.width ?? 0;
    const [paris, lyon] = [await width('Paris DC 1'), await width('Lyon')];
    expect(paris).toBeGreaterThan(0);
    expect(lyon / paris).toBeCloseTo((summary.by_location.Lyon ?? 0) / (summary.by_location['Paris DC 1'] ?? 1), 1);
    expect(await page.locator('[style]').count()).toBe(0);
    // "(none)" has no link: the list cannot filter for servers without a value.
    expect(await page.locator('#chart-environment >> xpath=.. >> tr[data-value="(none)"] a').count()).toBe(0);

    // A count's link is named in full, not by its bare number.
    await page
      .getByRole('link', { name: `${String(summary.by_location['Paris DC 1'])} servers, Location: Paris DC 1` })
      .click();
    await expect.poll(() => new URL(page.url()).search, POLL).toBe('?location=Paris+DC+1');
    await expect
      .poll(() => page.locator('.count').innerText(), POLL)
      .toBe(`${String(summary.by_location['Paris DC 1'])} servers`);
  });

  it('counts the servers a source stopped seeing, and those it never saw, as the API does', async () => {
    await page.goto(`${server.url}/overview?seen=7d`);
    expect(await page.getByLabel('Not seen for').inputValue()).toBe('7d');
    const since = page.locator('.stale-count time');
    await since.waitFor();
    const at = (await since.getAttribute('datetime')) ?? '';
    const ago = Date.now() - Date.parse(at);
    expect(ago).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(ago).toBeLessThan(7 * 86_400_000 + 60_000);
    const stale = (await call(
      'GET',
      `/servers?last_seen_after=1970-01-01T00:00:00.000Z&last_seen_before=${encodeURIComponent(at)}&limit=1`,
    )) as { count: number };
    // synced-02 (seen ten days ago) only: synced-01 was seen now; server 3 was handed over and never sent.
    expect(stale.count).toBe(1);
    await expect.poll(() => page.locator('.stale-count').innerText(), POLL).toMatch(/^1 server seen by a sync/);
    expect(await page.locator('.stale-list a').allInnerTexts()).toStrictEqual(['synced-02']);
    await expect
      .poll(() => page.locator('.never-seen').innerText(), POLL)
      .toBe('Managed by a source but never seen by a sync: 1');
    await page.getByLabel('Not seen for').selectOption('1h');
    await expect.poll(() => new URL(page.url()).search, POLL).toBe('?seen=1h');
    await expect.poll(async () => (await since.getAttribute('datetime')) !== at, POLL).toBe(true);
  });

  it('lists the changes newest first, and shows a change made through the API without a reload', async () => {
    await page.goto(`${server.url}/activity`);
    await expect.poll(() => page.getByRole('status').innerText(), POLL).toContain('Live');
    const latest = (await call('GET', '/changes?order=desc&limit=50')) as { changes: { seq: number }[] };
    expect(await seqs()).toStrictEqual(latest.changes.map((c) => String(c.seq)));
    // A mark that a reload would lose.
    await page.evaluate('window.notReloaded = true');
    await call('PATCH', '/servers/5', { status: 'decommissioned', notes: 'retired by the live test' });
    const first = page.locator('.activity > li').first();
    await expect.poll(() => first.innerText(), POLL).toContain('live-02');
    expect(await first.innerText()).toContain('Changed by bootstrap');
    expect(await first.locator('.change-fields').innerText()).toBe('Fields: Status, Notes');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect((await seqs())[0]).toBe(String((latest.changes[0]?.seq ?? 0) + 1));
    // The polite status said "Live" and stays so: no announcement per change.
    expect(await page.getByRole('status').innerText()).toContain('Live');

    await first.getByRole('link', { name: 'live-02' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers/5');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('live-02');
  });

  it('says when the stream dropped, and resumes after the last change it had, missing none made meanwhile', async () => {
    const newest = ((await call('GET', '/changes?order=desc&limit=1')) as { changes: { seq: number }[] }).changes[0];
    const start = newest?.seq ?? 0;
    const resumedAfter: string[] = [];
    // The first connection carries one real event (the API's own stream, read here), then ends, as when
    // a proxy or a restart cuts it; the next one is held until a change has been made while it was cut.
    await page.route('**/api/v1/changes/stream', async (route) => {
      resumedAfter.push(route.request().headers()['last-event-id'] ?? '');
      if (resumedAfter.length === 1) {
        const stream = await openStream(`${server.url}/api/v1/changes/stream?after=${String(start)}`, AUTH);
        try {
          await call('PATCH', '/servers/6', { role: 'cache' });
          await stream.waitForEvents(1);
          await route.fulfill({
            status: 200,
            contentType: 'text/event-stream',
            body: `${stream.text()}retry: 1000\n\n`,
          });
        } finally {
          stream.close();
        }
      } else {
        if (resumedAfter.length === 2) {
          await expect.poll(() => page.getByRole('status').innerText(), POLL).toContain('reconnecting');
          await call('PATCH', '/servers/7', { role: 'cache' });
        }
        await route.continue();
      }
    });
    try {
      // Through the console's own link: the page and its session stay, one stream is opened.
      await page.goto(`${server.url}/overview`);
      await page.locator('.total-count').waitFor();
      await page.getByRole('link', { name: 'Activity' }).click();
      const first = page.locator('.activity > li').first();
      await expect.poll(() => first.innerText(), POLL).toContain('live-04');
      await expect.poll(() => page.getByRole('status').innerText(), POLL).toContain('Live');
      // The second connection resumed after the event the first one carried, and got the change made meanwhile.
      expect(resumedAfter).toStrictEqual([String(start), String(start + 1)]);
      const shown = await seqs();
      expect(shown.slice(0, 3)).toStrictEqual([String(start + 2), String(start + 1), String(start)]);
      expect(new Set(shown).size).toBe(shown.length);
    } finally {
      await page.unroute('**/api/v1/changes/stream');
    }
  });

  it('has no serious or critical accessibility violation on either page, in light and dark', async () => {
    for (const { name, path, ready } of [
      { name: 'overview', path: '/overview', ready: '.stale-count' },
      { name: 'activity', path: '/activity', ready: '.live-live' },
    ]) {
      await page.goto(`${server.url}${path}`);
      await page.locator(ready).first().waitFor();
      await expectNoSeriousViolations(page, `${name}-en`);
    }
  });

  it('speaks French on both pages, with French dates, at 360 px wide', async () => {
    const french = await browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'UTC',
      viewport: { width: 360, height: 780 },
    });
    try {
      const p = await french.newPage();
      watch(p);
      await p.goto(`${server.url}/overview`);
      await signIn(p, "Jeton d'API", 'Se connecter');
      await expect.poll(() => p.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('Vue d’ensemble');
      await expect.poll(() => p.locator('#chart-status').innerText(), POLL).toBe('Par statut');
      expect(await p.locator('#chart-status >> xpath=.. >> tbody').innerText()).toContain('en service');
      await expect.poll(() => p.locator('.stale-count').innerText(), POLL).toMatch(/vus? par une synchronisation/);
      expect(await p.locator('.stale-count time').innerText()).toMatch(FRENCH_DATE);
      expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
      await p.screenshot({ path: join(SCREENSHOTS, 'overview-fr-360px.png'), fullPage: true });

      await p.getByRole('link', { name: 'Activité' }).click();
      await expect.poll(() => p.getByRole('status').innerText(), POLL).toContain('En direct');
      expect(await p.getByRole('heading', { level: 1 }).innerText()).toBe('Activité');
      const entry = p.locator('.activity > li').first();
      expect(await entry.innerText()).toContain('Modifié par bootstrap');
      expect(await entry.locator('time').innerText()).toMatch(FRENCH_DATE);
      expect(await entry.locator('.change-fields').innerText()).toBe('Champs : Rôle');
      expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
      await p.screenshot({ path: join(SCREENSHOTS, 'activity-fr-360px.png'), fullPage: true });
    } finally {
      await french.close();
    }
  });

  it('loaded everything under its policy, without a script error', () => {
    expect(problems).toStrictEqual([]);
  });
});
