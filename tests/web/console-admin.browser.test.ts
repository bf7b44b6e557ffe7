// The servers list's custom field filters and exports, and the administration page (tokens, webhooks),
// in a real browser (Debian's chromium, driven by playwright-core) against a real server process whose
// reads need a token, with a webhook receiver on a loopback port (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true
// lets a subscription reach it). Screenshots go to artifacts/console/ (git-ignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser, SCREENSHOTS, expectNoSeriousViolations } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';
import { type Receiver, answer, startReceiver } from '../helpers/webhook-receiver.js';

const POLL = { timeout: 10_000 } as const;
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

  /** Failed answers a test expects (a refused filter, a routed 503): any other is a problem. */
  const expectedFailures: ((url: string, status: number) => boolean)[] = [
    // The sign-in's check of a token, and what a signed-out page asks (it carries no token), are 401s.
    (url, status) => status === 401 && new URL(url).pathname === '/api/v1/tokens/self',
    (url, status) => status === 400 && url.includes('cf_rack_unit__gte=abc'),
  ];

  function watch(p: Page): void {
    p.on('console', (message) => {
      // A failed answer is judged below, by its request (the console message does not say whose it is).
      const failedLoad = message.text().startsWith('Failed to load resource: the server responded with a status of');
      if (message.type() === 'error' && !failedLoad) {
        problems.push(message.text());
      }
    });
    p.on('response', (response) => {
      const status = response.status();
      const url = response.url();
      const unsigned = status === 401 && response.request().headers().authorization === undefined;
      if (status >= 400 && !unsigned && !expectedFailures.some((expected) => expected(url, status))) {
        problems.push(`${String(status)} ${url}`);
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
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
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
    await call('POST', '/custom-fields', { name: 'tier', type: 'enum', choices: ['gold', 'silver', 'bronze'] }, 201);
    const body = Array.from({ length: 12 }, (_, i) => ({
      hostname: `rack-host-${String(i).padStart(2, '0')}`,
      ip: `10.2.0.${i + 1}`,
      status: i % 3 === 0 ? 'down' : 'up',
      managed_by: i % 2 === 0 ? 'vcenter-sync' : null,
      // A cell a spreadsheet would run: the export defuses it the same way for both.
      notes: i === 4 ? '=1+2, "quoted"' : null,
      custom_fields:
        i % 4 === 3
          ? {}
          : { rack: `R${String(i % 3)}`, rack_unit: i * 4 + 1, tier: ['gold', 'silver', 'bronze'][i % 3] },
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

  it('shows every condition of the URL, keeps the values it does not change, and stays open while typing', async () => {
    // Two racks: the form shows the first; the second is listed, and kept when the first is replaced.
    await page.goto(`${server.url}/servers?cf_rack=R1&cf_rack=R2&sort=hostname`);
    await expectTable(await apiList('?cf_rack=R1&cf_rack=R2&sort=hostname&limit=50'));
    const chips = page.getByRole('list', { name: 'Custom field conditions in effect' });
    expect(await chips.getByRole('listitem').allInnerTexts()).toStrictEqual(['cf_rack=R1\n×', 'cf_rack=R2\n×']);
    await page.getByLabel('rack equals').fill('R0');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(search, POLL).toBe('?cf_rack=R0&cf_rack=R2&sort=hostname');
    await page.getByRole('button', { name: 'Remove cf_rack=R2' }).click();
    await expect.poll(search, POLL).toBe('?cf_rack=R0&sort=hostname');
    await expectTable(await apiList('?cf_rack=R0&sort=hostname&limit=50'));

    // An enum's values split on commas, as the API reads them: both are ticked, and a third is added.
    await page.goto(`${server.url}/servers?cf_tier=gold,silver&sort=hostname`);
    await expectTable(await apiList('?cf_tier=gold,silver&sort=hostname&limit=50'));
    const tier = page.getByRole('group', { name: 'tier equals' });
    expect(await tier.getByLabel('gold').isChecked()).toBe(true);
    expect(await tier.getByLabel('silver').isChecked()).toBe(true);
    expect(await tier.getByLabel('bronze').isChecked()).toBe(false);
    await tier.getByLabel('bronze').check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(search, POLL).toBe('?cf_tier=gold&cf_tier=silver&cf_tier=bronze&sort=hostname');

    // Typing does not close the disclosure, even when the field is emptied again.
    await page.goto(`${server.url}/servers`);
    await page.getByText('Custom fields', { exact: true }).click();
    await page.getByLabel('rack equals').fill('R');
    await page.getByLabel('rack equals').fill('');
    expect(await page.evaluate('document.querySelector("details.custom-filters").open')).toBe(true);

    // A bad time in the URL is not dropped: the API's 400, naming it, is shown.
    expectedFailures.push((url, status) => status === 400 && url.includes('last_seen_after=yesterday'));
    await page.goto(`${server.url}/servers?last_seen_after=yesterday`);
    await expect.poll(() => page.getByRole('alert').innerText(), POLL).toContain('last_seen_after');
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

  /** The admin page, loaded afresh, with its tokens table shown. */
  async function openAdmin(p: Page = page): Promise<void> {
    await p.goto(`${server.url}/admin`);
    await p.locator('table.tokens tbody tr').first().waitFor(POLL);
  }

  /** The values of the page's inputs: page.content() has the attributes, never what an input holds. */
  const inputValues = (p: Page = page) =>
    p.evaluate<string[]>('Array.from(document.querySelectorAll("input"), (input) => input.value)');

  /** The focused element's id or text. */
  const focused = async (p: Page, what: 'id' | 'textContent') =>
    String(await p.evaluate(`document.activeElement?.${what} ?? null`));

  it("shows an export's failure, and the time filters in the browser's zone go to the API in UTC", async () => {
    await page.route('**/api/v1/servers?*format=csv*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'Service unavailable', code: 'SERVICE_UNAVAILABLE' }),
      }),
    );
    expectedFailures.push((url, status) => status === 503 && url.includes('format=csv'));
    try {
      await page.goto(`${server.url}/servers?sort=hostname`);
      await page.getByRole('button', { name: 'Export CSV' }).click();
      await expect
        .poll(() => page.locator('.export [role="alert"]').innerText(), POLL)
        .toBe('The request failed: Service unavailable');
    } finally {
      await page.unroute('**/api/v1/servers?*format=csv*');
    }

    const paris = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Paris' });
    try {
      const p = await paris.newPage();
      watch(p);
      await signIn(p, TOKEN);
      // 03:30 in Paris on the night clocks go forward is 01:30 UTC.
      await p.getByLabel('Last seen at or after').fill('2026-03-29T03:30');
      await p.getByRole('button', { name: 'Apply' }).click();
      await expect
        .poll(() => new URL(p.url()).searchParams.get('last_seen_after'), POLL)
        .toBe('2026-03-29T01:30:00.000Z');
      expect(await p.getByLabel('Last seen at or after').inputValue()).toBe('2026-03-29T03:30');
    } finally {
      await paris.close();
    }
  });

  it('creates a token that works, shows its secret once, and revokes it: the API then refuses it', async () => {
    await page.goto(`${server.url}/servers`);
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
    expect(await inputValues()).toContain(secret);
    // No second secret while this one is shown: Create is off.
    await expect
      .poll(() => page.getByRole('button', { name: 'Create' }).first().getAttribute('aria-disabled'), POLL)
      .toBe('true');
    await reveal.getByRole('button', { name: 'Done: hide it' }).click();
    await expect.poll(() => reveal.count(), POLL).toBe(0);
    expect(await inputValues()).not.toContain(secret);
    expect(await page.content()).not.toContain(secret);
    // The focus is back on the section, not lost on the page's body.
    await expect.poll(() => focused(page, 'id'), POLL).toBe('tokens-title');
    const stored = String(await page.evaluate('JSON.stringify({ ...sessionStorage, ...localStorage })'));
    // The storage holds the session's own token, and nothing of the new one.
    expect(stored).toContain(TOKEN);
    expect(stored).not.toContain(secret);

    await row.getByRole('button', { name: 'Revoke' }).click();
    // The confirmation's Cancel has the focus; Cancel gives it back to the button that asked.
    await expect.poll(() => focused(page, 'textContent'), POLL).toBe('Cancel');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page, 'id'), POLL).toBe('token-revoke-ci-bot');
    await page.keyboard.press('Enter');
    // The confirmation is open (its button shows) and does not warn of signing out: not the session's token.
    await expect.poll(() => row.getByRole('button', { name: 'Revoke ci-bot' }).count(), POLL).toBe(1);
    expect(await row.innerText()).not.toContain('signs you out');
    await row.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await expect.poll(() => row.innerText(), POLL).toContain('revoked');
    await call('GET', '/tokens/self', undefined, 401, secret);
    // The bootstrap token cannot be revoked through the API: no button offers it.
    const bootstrap = page.locator('table.tokens tbody tr').filter({ hasText: 'bootstrap' });
    expect(await bootstrap.getByRole('button').count()).toBe(0);
  });

  it('rotates a token once on a double click, shows the new secret, and refuses a second one until it is dismissed', async () => {
    const { secret: old } = (await call('POST', '/tokens', { name: 'rotor', scope: 'read' }, 201)) as {
      secret: string;
    };
    await openAdmin();
    const row = page.locator('table.tokens tbody tr').filter({ hasText: 'rotor' });
    await row.getByRole('button', { name: 'Rotate' }).click();
    const before = requested.filter((url) => url.endsWith('/tokens/rotor/rotate')).length;
    await row.getByRole('button', { name: 'Rotate rotor' }).dblclick();
    const reveal = page.getByRole('region', { name: 'Token rotor rotated' });
    await reveal.waitFor(POLL);
    const secret = await reveal.getByLabel('Secret').inputValue();
    expect(requested.filter((url) => url.endsWith('/tokens/rotor/rotate')).length - before).toBe(1);
    expect(await call('GET', '/tokens/self', undefined, 200, secret)).toMatchObject({ name: 'rotor' });
    // No grace: the old secret stopped at once.
    await call('GET', '/tokens/self', undefined, 401, old);
    // While it is shown, no other rotation starts.
    const rotate = row.getByRole('button', { name: 'Rotate' });
    expect(await rotate.getAttribute('aria-disabled')).toBe('true');
    // (Playwright waits for an aria-disabled button to be enabled: the click is sent as is.)
    await rotate.dispatchEvent('click');
    expect(await row.getByRole('group').count()).toBe(0);
    await reveal.getByRole('button', { name: 'Done: hide it' }).click();
    await expect.poll(() => reveal.count(), POLL).toBe(0);
  });

  it('rotates the signed-in token: the session keeps working with the new secret, and revoking it warns', async () => {
    const { secret: old } = (await call('POST', '/tokens', { name: 'own-admin', scope: 'admin' }, 201)) as {
      secret: string;
    };
    const own = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p = await own.newPage();
      watch(p);
      await signIn(p, old);
      await openAdmin(p);
      const row = p.locator('table.tokens tbody tr').filter({ hasText: 'own-admin' });
      await row.getByRole('button', { name: 'Revoke' }).click();
      expect(await row.getByRole('group').innerText()).toContain('revoking it signs you out');
      await row.getByRole('button', { name: 'Cancel' }).click();

      await row.getByRole('button', { name: 'Rotate' }).click();
      await row.getByRole('button', { name: 'Rotate own-admin' }).click();
      const reveal = p.getByRole('region', { name: 'Token own-admin rotated' });
      await reveal.waitFor(POLL);
      const secret = await reveal.getByLabel('Secret').inputValue();
      await call('GET', '/tokens/self', undefined, 401, old);
      // Still signed in, the list read again with the new secret, which the session now holds.
      await expect.poll(() => row.innerText(), POLL).toMatch(/own-admin\s+admin\s+active/);
      expect(await p.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
      const stored = String(await p.evaluate('JSON.stringify({ ...sessionStorage })'));
      expect(stored).toContain(secret);
      expect(stored).not.toContain(old);
      await openAdmin(p);
      expect(await p.locator('.session').innerText()).toContain('own-admin (admin)');
    } finally {
      await own.close();
    }
  });

  it('shows a loading state, not the admin-token alert, while a reload checks the token', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/v1/tokens/self', async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${server.url}/admin`);
      await page.getByText('Loading…').first().waitFor(POLL);
      expect(await page.getByRole('alert').count()).toBe(0);
      release();
      await page.locator('table.tokens').waitFor(POLL);
      expect(await page.getByRole('alert').count()).toBe(0);
    } finally {
      release();
      await page.unroute('**/api/v1/tokens/self');
    }
  });

  it('deletes a webhook after its confirmation, which Cancel leaves', async () => {
    const created = (await call('POST', '/webhooks', { url: receiver.url('/gone') }, 201)) as { id: number };
    const id = String(created.id);
    await openAdmin();
    const item = page.locator('li.webhook').filter({ hasText: receiver.url('/gone') });
    await item.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => focused(page, 'textContent'), POLL).toBe('Cancel');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page, 'id'), POLL).toBe(`webhook-delete-${id}`);
    await call('GET', `/webhooks/${id}`);
    await item.getByRole('button', { name: 'Delete', exact: true }).click();
    await item.getByRole('button', { name: `Delete webhook ${id}` }).click();
    await expect.poll(() => item.count(), POLL).toBe(0);
    await call('GET', `/webhooks/${id}`, undefined, 404);
    await expect.poll(() => focused(page, 'id'), POLL).toBe('webhooks-title');
  });

  it('reads the delivery log again while a delivery is pending, and stops once it is done', async () => {
    await call('POST', '/webhooks', { url: receiver.url('/polled') }, 201);
    const polling = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p = await polling.newPage();
      watch(p);
      await p.clock.install();
      await signIn(p, TOKEN);
      await openAdmin(p);
      const item = p.locator('li.webhook').filter({ hasText: receiver.url('/polled') });
      const reads: string[] = [];
      p.on('request', (request) => {
        if (request.url().endsWith('/deliveries')) {
          reads.push(request.url());
        }
      });
      await item.getByRole('button', { name: 'Ping' }).click();
      const ping = item.locator('tr.delivery').filter({ hasText: 'ping' });
      await expect
        .poll(async () => {
          await p.clock.runFor(2_000);
          return ping.innerText();
        }, POLL)
        .toMatch(/ping\s+succeeded\s+1\s/);
      const done = reads.length;
      // An hour later, not one more read.
      await p.clock.runFor(3_600_000);
      await p.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
      expect(reads.length).toBe(done);
    } finally {
      await polling.close();
    }
  });

  it("shows a webhook's deliveries, pings it, and redelivers a failed delivery", async () => {
    const created = (await call('POST', '/webhooks', { url: receiver.url('/hook') }, 201)) as { id: number };
    await call('PATCH', '/servers/1', { status: 'maintenance' });
    await receiver.next('/hook');

    // One made in the console, to a path that fails: its secret is shown once.
    receiver.on('/fail', answer(500, 'receiver down'));
    await openAdmin();
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
    // A webhook with a delivery of its own, so that the log shows a row.
    const hook = (await call('POST', '/webhooks', { url: receiver.url('/a11y') }, 201)) as { id: number };
    await call('POST', `/webhooks/${String(hook.id)}/ping`, undefined, 202);
    await receiver.next('/a11y');
    const pages = [
      { name: 'admin', path: '/admin', ready: 'tr.delivery' },
      { name: 'servers-custom-fields', path: '/servers?cf_rack=R1&cf_rack_unit__gte=2', ready: 'tbody tr' },
    ];
    for (const { name, path, ready } of pages) {
      await page.goto(`${server.url}${path}`);
      if (name === 'admin') {
        // With a delivery log open.
        await page
          .locator('li.webhook')
          .filter({ hasText: receiver.url('/a11y') })
          .getByRole('button', { name: 'Show deliveries' })
          .click();
      }
      await page.locator(ready).first().waitFor(POLL);
      // Every rule in dark too.
      await expectNoSeriousViolations(page, name, { dark: 'all' });
    }
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
      // The webhooks' table loads after the tokens' table: wait for its first row's button.
      await p.getByRole('button', { name: 'Afficher les envois' }).first().waitFor(POLL);
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
