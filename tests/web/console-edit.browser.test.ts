// Writing from the web console in a real browser (Debian's chromium, driven by playwright-core),
// against a real server process: a write token edits (a field error at its input, a conflict with a
// change made through the API meanwhile, then a save), creates and deletes (with its confirmation);
// a read token is offered no write; the edit in French at 360 px; axe-core on the form and the create
// page, light and dark. Screenshots go to artifacts/console/ (git-ignored). One browser for the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';

/** How long a page may take to show what is expected (the default second is short on a busy machine). */
const POLL = { timeout: 10_000 } as const;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOTS = join(ROOT, 'artifacts', 'console');
const ADMIN = 'console-edit-browser-test-token-0123456789';

interface ApiServer {
  id: number;
  hostname: string;
  ip: string;
  status: string;
  role: string | null;
  notes: string | null;
  custom_fields: Record<string, unknown>;
}

describe.runIf(browserTestsRun)('writing from the web console in a browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let writeToken: string;
  let readToken: string;
  /** The server the edit tests change. */
  let edited: number;
  /** A server an apply of the source `cmdb` created: managed by it, seen by it. */
  let synced: number;
  const problems: string[] = [];

  /** Records what `p` reports that a page should never cause: policy violations, script errors, unexpected failures. */
  function watch(p: Page): void {
    p.on('console', (message) => {
      // The list's first request, before the sign-in, is a 401 on purpose; the refused values a 400,
      // the conflicts a 412.
      const expected = /status of (401|400|412)/.test(message.text());
      if (message.type() === 'error' && !expected) {
        problems.push(message.text());
      }
    });
    p.on('pageerror', (error) => problems.push(error.message));
  }

  async function call(method: string, path: string, body?: unknown, token = ADMIN): Promise<Response> {
    return fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function token(name: string, scope: 'read' | 'write'): Promise<string> {
    const res = await call('POST', '/tokens', { name, scope });
    expect(res.status).toBe(201);
    return ((await res.json()) as { secret: string }).secret;
  }

  async function current(id: number): Promise<ApiServer> {
    const res = await call('GET', `/servers/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ApiServer;
  }

  async function signIn(p: Page, secret: string, labels = { token: 'API token', signIn: 'Sign in' }) {
    await p.goto(`${server.url}/servers`);
    await p.getByLabel(labels.token).fill(secret);
    await p.getByRole('button', { name: labels.signIn }).click();
    // Signed in: the header names the token (a <span>) instead of the form.
    await expect.poll(() => p.locator('.session > span').count(), POLL).toBe(1);
  }

  async function openServer(p: Page, id: number) {
    await p.goto(`${server.url}/servers/${id}`);
    await p.locator('.change').first().waitFor();
  }

  beforeAll(async () => {
    ({ server, browser } = await startServerAndBrowser(ADMIN));
    [writeToken, readToken] = await Promise.all([token('editor', 'write'), token('reader', 'read')]);
    expect((await call('POST', '/custom-fields', { name: 'rack', type: 'string' })).status).toBe(201);
    const created = await call('POST', '/servers', { hostname: 'edit-01', ip: '10.2.0.1', role: 'web' });
    expect(created.status).toBe(201);
    edited = ((await created.json()) as ApiServer).id;
    const applied = await call('POST', '/servers/apply', {
      source: 'cmdb',
      servers: [{ hostname: 'synced-01', ip: '10.2.0.9' }],
    });
    expect(applied.status).toBe(200);
    synced = ((await applied.json()) as { created: { id: number }[] }).created[0]?.id ?? 0;
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 60_000);
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
  });

  it('offers a read token no write: no edit, no delete, no new server', async () => {
    await signIn(page, readToken);
    await expect.poll(() => page.locator('.session').innerText(), POLL).toContain('Signed in as reader (read)');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.getByRole('link', { name: 'New server' }).count()).toBe(0);
    await openServer(page, edited);
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await page.goto(`${server.url}/servers/new`);
    await expect.poll(() => page.locator('main').innerText(), POLL).toContain('needs a token with the write or admin');
    expect(await page.locator('form.server-form').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it("shows who manages a server and when a sync last saw it, and warns in the form that the source's apply sets its fields again", async () => {
    await signIn(page, writeToken);
    await openServer(page, synced);
    const fields = page.locator('.fields').first();
    await expect.poll(() => fields.innerText(), POLL).toMatch(/Managed by\s+cmdb/);
    // The Last-Seen-At header, written as a date: the apply saw it.
    await expect(
      fields.locator('div').filter({ hasText: 'Last seen by a sync' }).locator('time').count(),
    ).resolves.toBe(1);
    await page.getByRole('button', { name: 'Edit' }).click();
    await expect
      .poll(() => page.locator('form .notice').innerText(), POLL)
      .toContain('managed by cmdb. You can edit it, but the next apply from cmdb sets again');
    // The focus follows: to the form's heading, and back to the Edit button when it closes.
    await expect.poll(() => page.evaluate('document.activeElement.id'), POLL).toBe('edit-title');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('form').count(), POLL).toBe(0);
    await expect.poll(() => page.evaluate('document.activeElement.textContent'), POLL).toBe('Edit');
  });

  it("edits a server: the API's refusal at the field, then the save, the new values and their history", async () => {
    await openServer(page, edited);
    // The edited server has no last sighting.
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toMatch(/Last seen by a sync\s+never/);
    await page.getByRole('button', { name: 'Edit' }).click();
    const ip = page.getByLabel('IP address');
    await ip.fill('10.2.0.300');
    await page.getByLabel('rack').fill('r7');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => ip.getAttribute('aria-invalid'), POLL).toBe('true');
    const described = (await ip.getAttribute('aria-describedby')) ?? '';
    expect(described).toBe('f-ip-error');
    expect(await page.locator(`#${described}`).innerText()).toMatch(/IPv4|IPv6|address/);
    const summary = page.locator('.error-summary');
    expect(await summary.innerText()).toContain('The server was not saved');
    expect(await summary.getByRole('link', { name: 'IP address' }).count()).toBe(1);
    // The summary takes the focus, and its link leads to the input.
    await expect.poll(() => page.evaluate('document.activeElement.className'), POLL).toBe('error-summary');
    await summary.getByRole('link', { name: 'IP address' }).click();
    await expect.poll(() => page.evaluate('document.activeElement.id'), POLL).toBe('f-ip');
    // Nothing was written.
    expect((await current(edited)).ip).toBe('10.2.0.1');

    await ip.fill('10.2.0.2');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice').first().innerText(), POLL).toBe('Changes saved.');
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toContain('10.2.0.2');
    const change = page.locator('.change').filter({ hasText: 'Changed by editor' });
    await expect
      .poll(() => change.locator('tbody').innerText(), POLL)
      .toMatch(/IP address\s+10\.2\.0\.1\s+10\.2\.0\.2/);
    expect(await change.locator('tbody').innerText()).toMatch(/custom_fields\.rack\s+—\s+r7/);
    expect(await current(edited)).toMatchObject({ ip: '10.2.0.2', custom_fields: { rack: 'r7' } });
  });

  it('shows what someone else changed since the form opened, keeps the edits on top, and saves them then', async () => {
    await openServer(page, edited);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Role').fill('db');
    await page.getByLabel('Notes').fill('mine');
    // Someone else, through the API, between the form's opening and its save.
    const other = await call('PATCH', `/servers/${edited}`, { status: 'down', role: 'cache' }, writeToken);
    expect(other.status).toBe(200);
    await page.getByRole('button', { name: 'Save' }).click();
    const conflict = page.locator('.conflict');
    await expect.poll(() => conflict.count(), POLL).toBe(1);
    expect(await conflict.innerText()).toContain('Someone else changed this server since you opened it.');
    const rows = await conflict.locator('tbody tr').allInnerTexts();
    expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toStrictEqual([
      ['Status', 'up', 'down', ''],
      ['Role', 'web', 'cache', 'db'],
    ]);
    await expect.poll(() => page.evaluate('document.activeElement.className'), POLL).toBe('conflict');
    // The form: the current version (status down), with this person's edits (role, notes) kept.
    expect(await page.getByLabel('Status').inputValue()).toBe('down');
    expect(await page.getByLabel('Role').inputValue()).toBe('db');
    expect(await page.getByLabel('Notes').inputValue()).toBe('mine');
    expect((await current(edited)).role).toBe('cache');
    // The history shows the other change too (created, the first edit, theirs), and the form stays.
    await expect.poll(() => page.locator('.change').count(), POLL).toBe(3);
    expect(await page.locator('.change').first().innerText()).toMatch(/Status\s+up\s+down/);
    expect(await page.getByLabel('Notes').inputValue()).toBe('mine');
    await page.screenshot({ path: join(SCREENSHOTS, 'server-edit-conflict-light.png'), fullPage: true });

    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice').first().innerText(), POLL).toBe('Changes saved.');
    expect(await current(edited)).toMatchObject({ status: 'down', role: 'db', notes: 'mine' });
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toMatch(/Role\s+db/);
  });

  it('creates a server from the list: the refusals at the fields, then its page', async () => {
    await page.goto(`${server.url}/servers`);
    await page.getByRole('link', { name: 'New server' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers/new');
    await expect.poll(() => page.getByLabel('rack').count(), POLL).toBe(1);
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByLabel('Host name').getAttribute('aria-invalid'), POLL).toBe('true');
    expect(await page.getByLabel('IP address').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Role').getAttribute('aria-invalid')).toBeNull();
    await page.getByLabel('Host name').fill('new-01');
    await page.getByLabel('IP address').fill('10.2.0.50');
    await page.getByLabel('Tags').fill('blue, green');
    await page.getByLabel('rack').fill('r4');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toMatch(/^\/servers\/\d+$/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText(), POLL).toBe('new-01');
    expect(await page.locator('.notice').innerText()).toBe('Server created.');
    const id = Number(new URL(page.url()).pathname.split('/').at(-1));
    expect(await current(id)).toMatchObject({
      hostname: 'new-01',
      tags: ['blue', 'green'],
      custom_fields: { rack: 'r4' },
    });
  });

  it('deletes only once confirmed: Escape and Cancel keep it, a change meanwhile is shown, then it is gone', async () => {
    const created = await call('POST', '/servers', { hostname: 'gone-01', ip: '10.2.0.60' });
    const { id } = (await created.json()) as ApiServer;
    await openServer(page, id);
    const dialog = page.locator('dialog');
    const remove = page.getByRole('button', { name: 'Delete', exact: true });
    await remove.click();
    await expect.poll(() => dialog.getAttribute('open'), POLL).toBe('');
    expect(await page.getByRole('dialog').getAttribute('aria-labelledby')).toBe('delete-title');
    await expect.poll(() => page.evaluate('document.activeElement.textContent'), POLL).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.getAttribute('open'), POLL).toBeNull();
    await expect.poll(() => page.evaluate('document.activeElement.textContent'), POLL).toBe('Delete');
    await remove.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.getAttribute('open'), POLL).toBeNull();
    expect((await call('GET', `/servers/${id}`)).status).toBe(200);

    // A change through the API after the page loaded: the delete is refused (412) and the change shown.
    expect((await call('PATCH', `/servers/${id}`, { role: 'edge' }, writeToken)).status).toBe(200);
    await remove.click();
    await dialog.getByRole('button', { name: 'Delete the server' }).click();
    await expect.poll(() => page.locator('.conflict tbody').innerText(), POLL).toMatch(/Role\s+—\s+edge/);
    expect((await call('GET', `/servers/${id}`)).status).toBe(200);
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toMatch(/Role\s+edge/);

    await remove.click();
    await dialog.getByRole('button', { name: 'Delete the server' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers');
    await expect.poll(() => page.locator('.notice').innerText(), POLL).toBe('Server gone-01 was deleted.');
    expect((await call('GET', `/servers/${id}`)).status).toBe(404);
  });

  it('has no serious or critical accessibility violation on the edit form and the create page, in light and dark', async () => {
    const pages = [
      { name: 'server-edit', path: `/servers/${synced}`, open: true },
      { name: 'server-new', path: '/servers/new', open: false },
    ];
    for (const { name, path, open } of pages) {
      await page.goto(`${server.url}${path}`);
      if (open) {
        await page.getByRole('button', { name: 'Edit' }).click();
      }
      await page.getByLabel('rack').waitFor();
      // With the API's refusals shown: the invalid inputs and the summary are checked too.
      await page.getByLabel('IP address').fill('not-an-address');
      await page.getByRole('button', { name: open ? 'Save' : 'Create' }).click();
      await page.locator('.error-summary').waitFor();
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const axe = new AxeBuilder({ page });
        const { violations } = await (
          colorScheme === 'light'
            ? axe.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
            : axe.withRules(['color-contrast', 'link-in-text-block'])
        ).analyze();
        const serious = violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        expect([name, colorScheme, serious]).toStrictEqual([name, colorScheme, []]);
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: null });
  });

  it('edits in French at 360 px: French labels, the refusal at the field', async () => {
    const french = await browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'UTC',
      viewport: { width: 360, height: 780 },
    });
    try {
      const p = await french.newPage();
      watch(p);
      await signIn(p, writeToken, { token: "Jeton d'API", signIn: 'Se connecter' });
      await openServer(p, edited);
      await p.getByRole('button', { name: 'Modifier' }).click();
      await expect.poll(() => p.getByRole('heading', { level: 2 }).first().innerText(), POLL).toBe('Modifier edit-01');
      const ip = p.getByLabel('Adresse IP');
      await ip.fill('10.2.0.256');
      await p.getByRole('button', { name: 'Enregistrer' }).click();
      await expect.poll(() => ip.getAttribute('aria-invalid'), POLL).toBe('true');
      expect(await p.locator('.error-summary').innerText()).toContain('Le serveur n’a pas été enregistré');
      expect(await p.locator('.error-summary').getByRole('link', { name: 'Adresse IP' }).count()).toBe(1);
      expect(await p.locator('#f-ip-error').isVisible()).toBe(true);
      expect(await p.getByLabel("Nom d'hôte").inputValue()).toBe('edit-01');
      expect(await p.getByRole('button', { name: 'Annuler' }).count()).toBe(1);
      expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
      await p.screenshot({ path: join(SCREENSHOTS, 'server-edit-fr-360px.png'), fullPage: true });
      expect((await current(edited)).ip).toBe('10.2.0.2');
    } finally {
      await french.close();
    }
  });

  it('loaded everything under its policy, without a script error', () => {
    expect(problems).toStrictEqual([]);
  });
});
