// The web console in a real browser (Debian's chromium, driven by playwright-core), built from web/ as
// npm start builds it (tests/setup/console.ts) and served by a real server process whose reads need a
// token: sign in, filter, sort, page, open a server and its history, in English and in French, light
// and dark, checked by axe-core. Screenshots go to artifacts/console/ (git-ignored). One browser for
// the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser, SCREENSHOTS, expectNoSeriousViolations } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';

/** How long a page may take to show what is expected (the default second is short on a busy machine). */
const POLL = { timeout: 10_000 } as const;

const TOKEN = 'console-browser-test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` } as const;

interface ServerList {
  servers: { id: number; hostname: string }[];
  count: number;
  next: string | null;
}

describe.runIf(browserTestsRun)('the web console in a browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the browser reported that a page should never cause: policy violations, script errors. */
  const problems: string[] = [];

  /** Records what `p` reports that a page should never cause: policy violations, script errors. */
  function watch(p: Page): void {
    p.on('console', (message) => {
      // The list's first request, before the sign-in, is a 401 on purpose; so is the deleted server's 404.
      const expected =
        message.text().includes('status of 401') ||
        (message.text().includes('status of 404') && /\/api\/v1\/servers\/\d+$/.test(message.location().url));
      if (message.type() === 'error' && !expected) {
        problems.push(message.text());
      }
    });
    p.on('pageerror', (error) => problems.push(error.message));
  }

  beforeAll(async () => {
    // The server serves web/dist/, which tests/setup/console.ts built from these sources.
    ({ server, browser } = await startServerAndBrowser(TOKEN));
    // 30 servers more than the two samples, in one request: enough for a second page of 25.
    const statuses = ['up', 'down', 'maintenance'] as const;
    const body = Array.from({ length: 30 }, (_, i) => ({
      hostname: `${i % 2 === 0 ? 'web' : 'db'}-test-${String(i).padStart(2, '0')}`,
      ip: `10.1.0.${i + 1}`,
      status: statuses[i % 3],
      environment: i % 4 === 0 ? 'staging' : 'production',
      notes: i % 5 === 0 ? 'behind the web proxy' : null,
    }));
    const created = await fetch(`${server.url}/api/v1/servers`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const patched = await fetch(`${server.url}/api/v1/servers/1`, {
      method: 'PATCH',
      headers: { ...AUTH, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: 'maintenance' }),
    });
    expect(patched.status).toBe(200);
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);
  afterAll(async () => {
    // Both are missing when their start failed (it stopped whichever had started).
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
  });

  /** What the API answers to GET /api/v1/servers with this query string. */
  async function api(search: string): Promise<ServerList> {
    const res = await fetch(`${server.url}/api/v1/servers${search}`, { headers: AUTH });
    expect(res.status, search).toBe(200);
    return (await res.json()) as ServerList;
  }

  const rows = (p: Page = page) => p.locator('tbody tr td:first-child a');

  /** Waits until the table shows `expected` (the API's answer): host names in order, and the count. */
  async function expectTable(expected: ServerList, p: Page = page) {
    await expect.poll(() => rows(p).allInnerTexts(), POLL).toStrictEqual(expected.servers.map((s) => s.hostname));
    await expect.poll(() => p.locator('.count').innerText(), POLL).toBe(`${expected.count} servers`);
  }

  const search = () => new URL(page.url()).search;

  it('asks for a token while reads need one, and shows the inventory once signed in', async () => {
    await page.goto(`${server.url}/servers`);
    await expect.poll(() => page.getByRole('alert').innerText(), POLL).toContain('A token is needed');
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.session').innerText(), POLL).toContain('Signed in as bootstrap (admin)');
    await expectTable(await api('?limit=50'));
  });

  it('filters by status and by text: the URL and the table agree with the API', async () => {
    await page.getByRole('checkbox', { name: 'up', exact: true }).check();
    await page.getByLabel('Search (host name or notes)').fill('web');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(search, POLL).toBe('?status=up&q=web');
    const expected = await api('?status=up&q=web&limit=50');
    expect(expected.count).toBeGreaterThan(1);
    await expectTable(expected);
  });

  it('sorts by a column, ascending then descending', async () => {
    const header = page.getByRole('button', { name: 'Host name' });
    await header.click();
    await expect.poll(search, POLL).toBe('?status=up&q=web&sort=hostname');
    await expectTable(await api('?status=up&q=web&sort=hostname&limit=50'));
    await header.click();
    await expect.poll(search, POLL).toBe('?status=up&q=web&sort=-hostname');
    await expectTable(await api('?status=up&q=web&sort=-hostname&limit=50'));
    await expect.poll(() => page.locator('th[aria-sort="descending"]').innerText(), POLL).toContain('Host name');
    // The table stays while the next answer loads: the keyboard focus stays on the header.
    expect(await page.evaluate('document.activeElement.textContent')).toContain('Host name');
    await expect(page.locator('[aria-busy="true"]').count()).resolves.toBe(0);
  });

  it('pages with the cursor and a page size, and the back button comes back', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(search, POLL).toBe('?sort=-hostname');
    await page.getByLabel('Per page').selectOption('25');
    await expect.poll(search, POLL).toBe('?sort=-hostname&limit=25');
    const first = await api('?sort=-hostname&limit=25');
    expect(first.count).toBe(32);
    await expectTable(first);
    await page.getByRole('button', { name: 'Next page' }).click();
    const cursor = first.next ?? '';
    await expect.poll(() => new URL(page.url()).searchParams.get('cursor'), POLL).toBe(cursor);
    const second = await api(`?sort=-hostname&limit=25&cursor=${encodeURIComponent(cursor)}`);
    expect(second.servers).toHaveLength(7);
    await expectTable(second);
    await expect(page.getByRole('button', { name: 'Next page' }).count()).resolves.toBe(0);
    await page.goBack();
    await expect.poll(search, POLL).toBe('?sort=-hostname&limit=25');
    await expectTable(first);
  });

  it('opens a server: its fields and its history, who changed what, from and to', async () => {
    // A reload: the token stays for the tab's life.
    await page.goto(`${server.url}/servers?q=web-prod-01`);
    await page.getByRole('link', { name: 'web-prod-01' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers/1');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('web-prod-01');
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toContain('10.0.0.1');
    const update = page.locator('.change').filter({ hasText: 'Changed by bootstrap' });
    await expect.poll(() => update.locator('tbody tr').innerText(), POLL).toMatch(/^Status\s+up\s+maintenance$/);
    await expect(page.locator('.change').count()).resolves.toBe(2);
  });

  it("shows a deleted server's history: who deleted it, and when", async () => {
    const created = await fetch(`${server.url}/api/v1/servers`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'gone-01', ip: '10.9.0.1', status: 'down' }),
    });
    const { id } = (await created.json()) as { id: number };
    const deleted = await fetch(`${server.url}/api/v1/servers/${id}`, { method: 'DELETE', headers: AUTH });
    expect(deleted.status).toBe(204);
    await page.goto(`${server.url}/servers/${id}`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).innerText(), POLL)
      .toBe(`Server ${id} was deleted.`);
    await expect.poll(() => page.locator('.change').count(), POLL).toBe(2);
    expect(await page.locator('.change').first().innerText()).toContain('Deleted by bootstrap');
  });

  it('has no serious or critical accessibility violation on either page, in light and dark', async () => {
    const pages = [
      { name: 'servers', path: '/servers?status=up', ready: 'tbody tr' },
      { name: 'server', path: '/servers/1', ready: '.change' },
    ];
    for (const { name, path, ready } of pages) {
      await page.goto(`${server.url}${path}`);
      await page.locator(ready).first().waitFor();
      await expectNoSeriousViolations(page, name);
    }
  });

  it("speaks French from the browser's language, with French dates, at 360 px wide, and switches back", async () => {
    const french = await browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'UTC',
      viewport: { width: 360, height: 780 },
    });
    try {
      const p = await french.newPage();
      watch(p);
      await p.goto(`${server.url}/servers`);
      await expect.poll(() => p.getByRole('alert').innerText(), POLL).toContain('Un jeton est nécessaire');
      await p.getByLabel("Jeton d'API").fill(TOKEN);
      await p.getByRole('button', { name: 'Se connecter' }).click();
      await expect.poll(() => p.locator('.count').innerText(), POLL).toBe('32 serveurs');
      expect(await p.getByRole('heading', { level: 1 }).innerText()).toBe('Serveurs');
      expect(await p.locator('thead').innerText()).toContain("Nom d'hôte");
      expect(await p.locator('html').getAttribute('lang')).toBe('fr');
      // "30 nov. 2026, 22:45": day, French month, year; as Intl writes it for fr.
      const date = await p.locator('tbody tr').first().locator('time').innerText();
      expect(date).toMatch(/^\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}/);
      // Usable at 360 px: the page never scrolls sideways (the table scrolls in its own box).
      expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
      await p.screenshot({ path: join(SCREENSHOTS, 'servers-fr-360px.png'), fullPage: true });
      await p.getByLabel('Langue').selectOption('en');
      await expect.poll(() => p.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('Servers');
    } finally {
      await french.close();
    }
  });

  it('loaded everything under its policy, without a script error', () => {
    expect(problems).toStrictEqual([]);
  });
});
