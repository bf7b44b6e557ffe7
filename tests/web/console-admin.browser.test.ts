// The servers list's custom field filters and exports, and the administration page (tokens, webhooks),
// in a real browser (Debian's chromium, driven by playwright-core) against a real server process whose
// reads need a token, with a webhook receiver on a loopback port (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true
// lets a subscription reach it). Screenshots go to artifacts/console/ (git-ignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { type Receiver, answer, startReceiver } from '../helpers/webhook-receiver.js';

const POLL = { timeout: 10_000 } as const;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'artifacts', 'console');
const TOKEN = 'console-admin-browser-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` } as const;

interface ServerList {
  servers: { hostname: string }[];
  count: number;
}

describe.runIf(browserTestsRun)('the servers export and the admin page in a browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let receiver: Receiver;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  /** Every URL the console asked for: none may carry the token. */
  const requested: string[] = [];

  function watch(p: Page): void {
    p.on('console', (message) => {
      // The list's first request, before the sign-in, is a 401 on purpose; so is the refused filter's 400.
      const expected =
        message.text().includes('status of 401') ||
        (message.text().includes('status of 400') && message.location().url.includes('cf_rack_unit__gte=abc'));
      if (message.type() === 'error' && !expected) {
        problems.push(message.text());
      }
    });
    p.on('pageerror', (error) => problems.push(error.message));
    p.on('crash', () => problems.push('the page crashed'));
    p.on('request', (request) => requested.push(request.url()));
  }

  /** Calls the API as the bootstrap token (or `token`), expecting `status`. */
  async function call(method: string, path: string, body?: unknown, status = 200, token = TOKEN): Promise<unknown> {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}`).toBe(status);
    const text = await res.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** Signs in, and waits until the console has kept the token (a navigation before that would lose it). */
  async function signIn(p: Page, token: string, label = 'API token', submit = 'Sign in', done = 'Sign out') {
    await p.goto(`${server.url}/servers`);
    await p.getByLabel(label).fill(token);
    await p.getByRole('button', { name: submit }).click();
    await p.getByRole('button', { name: done }).waitFor(POLL);
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    ({ server, browser } = await startServerAndBrowser(TOKEN, {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // A failing delivery is failed for good after two attempts, a second apart.
      WEBHOOK_RETRY_SCHEDULE: '1',
    }));
    await call('POST', '/custom-fields', { name: 'rack', type: 'string' }, 201);
    await call('POST', '/custom-fields', { name: 'rack_unit', type: 'integer', minimum: 1, maximum: 48 }, 201);
    const body = Array.from({ length: 12 }, (_, i) => ({
      hostname: `rack-host-${String(i).padStart(2, '0')}`,
      ip: `10.2.0.${i + 1}`,
      status: i % 3 === 0 ? 'down' : 'up',
      managed_by: i % 2 === 0 ? 'vcenter-sync' : null,
      // A cell a spreadsheet would run: the export defuses it the same way for both.
      notes: i === 4 ? '=1+2, "quoted"' : null,
      custom_fields: i % 4 === 3 ? {} : { rack: `R${String(i % 3)}`, rack_unit: i * 4 + 1 },
    }));
    await call('POST', '/servers', body, 201);
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
    await signIn(page, TOKEN);
  }, 60_000);
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
    await (receiver as Receiver | undefined)?.close();
  });

  async function apiList(search: string): Promise<ServerList> {
    const res = await fetch(`${server.url}/api/v1/servers${search}`, { headers: AUTH });
    expect(res.status, search).toBe(200);
    return (await res.json()) as ServerList;
  }

  async function expectTable(expected: ServerList) {
    const rows = page.locator('tbody tr td:first-child a');
    try {
      await expect.poll(() => rows.allInnerTexts(), POLL).toStrictEqual(expected.servers.map((s) => s.hostname));
      await expect.poll(() => page.locator('.count').innerText(), POLL).toBe(`${expected.count} servers`);
    } catch (error) {
      // What the page showed instead (a failure, a sign-in form) says why.
      const shown = await page.locator('main').innerText();
      throw new Error(`${String(error)}\nat ${page.url()} the page showed:\n${shown}`, { cause: error });
    }
  }

  const search = () => new URL(page.url()).search;

  it('filters on a custom field from the form and from the URL: the table agrees with the API', async () => {
    await page.goto(`${server.url}/servers?sort=hostname`);
    await page.getByText('Custom fields', { exact: true }).click();
    await page.getByLabel('rack_unit at least').fill('10');
    await page.getByLabel('rack_unit at most').fill('40');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(search, POLL).toBe('?cf_rack_unit__gte=10&cf_rack_unit__lte=40&sort=hostname');
    const ranged = await apiList('?cf_rack_unit__gte=10&cf_rack_unit__lte=40&sort=hostname&limit=50');
    expect(ranged.count).toBe(5);
    await expectTable(ranged);

    // A shared link: the form shows it, and the table is the API's answer.
    await page.goto(`${server.url}/servers?cf_rack=R1&managed_by=vcenter-sync&sort=hostname`);
    const shared = await apiList('?cf_rack=R1&managed_by=vcenter-sync&sort=hostname&limit=50');
    expect(shared.count).toBe(2);
    await expectTable(shared);
    expect(await page.getByLabel('rack equals').inputValue()).toBe('R1');
    expect(await page.getByLabel('Managed by', { exact: true }).inputValue()).toBe('vcenter-sync');
    expect(await page.locator('tbody tr').first().innerText()).toContain('vcenter-sync');

    // A value the API refuses (not an integer): its 400, naming the parameter, is shown.
    await page.goto(`${server.url}/servers?cf_rack_unit__gte=abc`);
    await expect.poll(() => page.getByRole('alert').innerText(), POLL).toContain('cf_rack_unit__gte');
  });

  it("exports the filtered list as CSV and NDJSON: the downloaded files are the API's exports", async () => {
    const filter = 'status=up&cf_rack_unit__gte=5&sort=-hostname';
    await page.goto(`${server.url}/servers?${filter}`);
    await expectTable(await apiList(`?${filter}&limit=50`));
    for (const format of ['csv', 'ndjson'] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download', POLL),
        page.getByRole('button', { name: format === 'csv' ? 'Export CSV' : 'Export NDJSON' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^servers-\\d{4}-\\d{2}-\\d{2}\\.${format}$`));
      const file = readFileSync(await download.path(), 'utf8');
      const res = await fetch(`${server.url}/api/v1/servers?${filter}&format=${format}`, { headers: AUTH });
      const expected = await res.text();
      expect(file).toBe(expected);
      const lines = expected.trimEnd().split(format === 'csv' ? '\r\n' : '\n');
      // The CSV has its header; both have a line per server of the filter.
      expect(lines.length).toBe((await apiList(`?${filter}`)).count + (format === 'csv' ? 1 : 0));
    }
    const exports = requested.filter((url) => url.includes('format='));
    expect(exports).toHaveLength(2);
    for (const url of exports) {
      expect(url).not.toContain(TOKEN);
      expect(new URL(url).searchParams.has('limit')).toBe(false);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'servers-export-light.png') });
  });

  it('creates a token that works, shows its secret once, and revokes it: the API then refuses it', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('Administration');
    await page.getByLabel('Name', { exact: true }).fill('ci-bot');
    await page.getByLabel('Scope').selectOption('write');
    await page.getByLabel('Expires in (days, optional)').fill('30');
    await page.getByRole('button', { name: 'Create' }).first().click();
    const reveal = page.getByRole('region', { name: 'Token ci-bot created' });
    await reveal.waitFor(POLL);
    const secret = await reveal.getByLabel('Secret').inputValue();
    expect(secret).toMatch(/^inv_/);
    expect(await reveal.innerText()).toContain('shown only this once');
    const self = (await call('GET', '/tokens/self', undefined, 200, secret)) as { name: string; scope: string };
    expect(self).toMatchObject({ name: 'ci-bot', scope: 'write' });
    const row = page.locator('table.tokens tbody tr').filter({ hasText: 'ci-bot' });
    await expect.poll(() => row.innerText(), POLL).toMatch(/ci-bot\s+write\s+active/);

    // Gone once dismissed, and never kept by the browser.
    await reveal.getByRole('button', { name: 'Done: hide it' }).click();
    await expect.poll(() => page.content(), POLL).not.toContain(secret);
    const stored = String(await page.evaluate('JSON.stringify({ ...sessionStorage, ...localStorage })'));
    // The storage holds the session's own token, and nothing of the new one.
    expect(stored).toContain(TOKEN);
    expect(stored).not.toContain(secret);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await expect.poll(() => row.innerText(), POLL).toContain('revoked');
    await call('GET', '/tokens/self', undefined, 401, secret);
    // The bootstrap token cannot be revoked through the API: no button offers it.
    const bootstrap = page.locator('table.tokens tbody tr').filter({ hasText: 'bootstrap' });
    expect(await bootstrap.getByRole('button').count()).toBe(0);
  });

  it("shows a webhook's deliveries, pings it, and redelivers a failed delivery", async () => {
    const created = (await call('POST', '/webhooks', { url: receiver.url('/hook') }, 201)) as { id: number };
    await call('PATCH', '/servers/1', { status: 'maintenance' });
    await receiver.next('/hook');

    // One made in the console, to a path that fails: its secret is shown once.
    receiver.on('/fail', answer(500, 'receiver down'));
    await page.reload();
    await page.getByLabel('Receiver URL').fill(receiver.url('/fail'));
    await page.getByLabel('Servers filter').fill('hostname=no-such-host');
    await page.getByRole('button', { name: 'Create' }).nth(1).click();
    const reveal = page.getByRole('region', { name: /^Webhook \d+ created/ });
    await reveal.waitFor(POLL);
    expect(await reveal.getByLabel('Secret').inputValue()).toMatch(/^whsec_/);
    await reveal.getByRole('button', { name: 'Done: hide it' }).click();

    const hook = page.locator('li.webhook').filter({ hasText: receiver.url('/hook') });
    await hook.getByRole('button', { name: 'Show deliveries' }).click();
    const updated = hook.locator('tr.delivery').filter({ hasText: 'server.updated' });
    await expect
      .poll(async () => {
        await hook.getByRole('button', { name: 'Refresh' }).click();
        return updated.innerText();
      }, POLL)
      .toMatch(/server\.updated\s+succeeded\s+1\s/);
    const delivered = (await call('GET', `/webhooks/${created.id}/deliveries`)) as {
      deliveries: { event_type: string; status: string }[];
    };
    expect(delivered.deliveries).toMatchObject([{ event_type: 'server.updated', status: 'succeeded' }]);

    // A ping to the failing receiver: two attempts, then failed, with the status; redelivered once it answers.
    const failing = page.locator('li.webhook').filter({ hasText: receiver.url('/fail') });
    await failing.getByRole('button', { name: 'Ping' }).click();
    const ping = failing.locator('tr.delivery').filter({ hasText: 'ping' });
    await expect.poll(() => ping.innerText(), POLL).toMatch(/ping\s+failed\s+2\s+HTTP 500/);
    receiver.on('/fail', answer(204));
    await ping.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => ping.innerText(), POLL).toMatch(/ping\s+succeeded\s+3\s/);
    expect(receiver.at('/fail')).toHaveLength(3);
  });

  it('has no serious or critical accessibility violation on the admin page and the filters, in light and dark', async () => {
    const pages = [
      { name: 'admin', path: '/admin', ready: 'tr.delivery' },
      { name: 'servers-custom-fields', path: '/servers?cf_rack=R1&cf_rack_unit__gte=2', ready: 'tbody tr' },
    ];
    for (const { name, path, ready } of pages) {
      await page.goto(`${server.url}${path}`);
      if (name === 'admin') {
        // With a delivery log open.
        await page.locator('li.webhook').first().getByRole('button', { name: 'Show deliveries' }).click();
      }
      await page.locator(ready).first().waitFor(POLL);
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const { violations } = await new AxeBuilder({ page })
          .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
          .analyze();
        const serious = violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect([name, colorScheme, serious]).toStrictEqual([name, colorScheme, []]);
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: null });
  });

  it('shows no Admin to a write token, and the page says an admin token is needed', async () => {
    const { secret } = (await call('POST', '/tokens', { name: 'writer', scope: 'write' }, 201)) as { secret: string };
    const other = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p = await other.newPage();
      watch(p);
      await signIn(p, secret);
      await expect.poll(() => p.locator('.session').innerText(), POLL).toContain('writer (write)');
      expect(await p.getByRole('link', { name: 'Admin' }).count()).toBe(0);
      await p.goto(`${server.url}/admin`);
      await expect
        .poll(() => p.getByRole('alert').innerText(), POLL)
        .toBe('Administration needs an admin token: sign in with one.');
      expect(await p.locator('table.tokens').count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('speaks French on the admin page', async () => {
    const french = await browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'UTC',
      viewport: { width: 360, height: 780 },
    });
    try {
      const p = await french.newPage();
      watch(p);
      await signIn(p, TOKEN, "Jeton d'API", 'Se connecter', 'Se déconnecter');
      await p.getByRole('link', { name: 'Administration' }).click();
      await expect
        .poll(() => p.getByRole('heading', { level: 2 }).allInnerTexts(), POLL)
        .toStrictEqual(['Jetons', 'Webhooks']);
      await p.locator('table.tokens').waitFor(POLL);
      expect(await p.getByRole('form', { name: 'Nouveau jeton' }).innerText()).toContain('Portée');
      expect(await p.locator('table.tokens thead').innerText()).toContain('Dernière utilisation');
      expect(await p.getByRole('button', { name: 'Afficher les envois' }).count()).toBeGreaterThan(0);
      expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
      await p.screenshot({ path: join(SCREENSHOTS, 'admin-fr-360px.png'), fullPage: true });
    } finally {
      await french.close();
    }
  });

  it('loaded everything under its policy, without a script error', () => {
    expect(problems).toStrictEqual([]);
  });
});
