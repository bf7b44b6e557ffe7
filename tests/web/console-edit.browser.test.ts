// Writing from the web console in a real browser (Debian's chromium, driven by playwright-core),
// against a real server process: a write token edits (a field error at its input, a conflict with a
// change made through the API meanwhile, typing during the save, Cancel after it, a server deleted
// meanwhile, a token revoked before the save), creates and deletes (with its confirmation); a read
// token is offered no write; the edit in French at 360 px; axe-core on the form, the create page,
// the conflict and the delete dialog. Each test signs in and creates the servers it needs through
// the API, in a browser context of its own: any one runs alone. Screenshots go to artifacts/console/
// (git-ignored). One server and one browser for the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser, SCREENSHOTS, expectNoSeriousViolations } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';

/** How long a page may take to show what is expected (the default second is short on a busy machine). */
const POLL = { timeout: 10_000 } as const;

const ADMIN = 'console-edit-browser-test-token-0123456789';

interface ApiServer {
  id: number;
  hostname: string;
  ip: string;
  status: string;
  role: string | null;
  os: string | null;
  notes: string | null;
  custom_fields: Record<string, unknown>;
}

describe.runIf(browserTestsRun)('writing from the web console in a browser', () => {
  let server: ServerProcess;
  let browser: Browser;
  let writeToken: string;
  let readToken: string;
  /** The contexts a test opened, closed after it. */
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  /** For unique host names and addresses. */
  let made = 0;

  /** Records what `p` reports that a page should never cause: policy violations, script errors, unexpected failures. */
  function watch(p: Page): void {
    p.on('console', (message) => {
      // Refusals the tests cause on purpose: a 401 before a sign-in or for a revoked token, the refused
      // values a 400, a server deleted meanwhile a 404, the conflicts a 412.
      const expected = /status of (401|400|404|412)/.test(message.text());
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

  /** A new server through the API, for one test. */
  async function create(fields: Record<string, unknown> = {}): Promise<ApiServer> {
    made += 1;
    const res = await call('POST', '/servers', { hostname: `edit-${made}`, ip: `10.2.0.${made}`, ...fields });
    expect(res.status).toBe(201);
    return (await res.json()) as ApiServer;
  }

  async function current(id: number): Promise<ApiServer> {
    const res = await call('GET', `/servers/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ApiServer;
  }

  /** Signs in through the header's form of the page as it is. */
  async function signInHere(p: Page, secret: string, labels = { token: 'API token', signIn: 'Sign in' }) {
    await p.getByLabel(labels.token).fill(secret);
    await p.getByRole('button', { name: labels.signIn }).click();
    // Signed in: the header names the token (a <span>) instead of the form.
    await expect.poll(() => p.locator('.session > span').count(), POLL).toBe(1);
  }

  /** A page in a browser context of its own (nothing stored), signed in with `secret`. */
  async function signedIn(
    secret: string,
    options: { locale?: string; width?: number; labels?: { token: string; signIn: string } } = {},
  ): Promise<Page> {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-US',
      timezoneId: 'UTC',
      viewport: { width: options.width ?? 1280, height: 900 },
    });
    contexts.push(context);
    const p = await context.newPage();
    watch(p);
    await p.goto(`${server.url}/servers`);
    await signInHere(p, secret, options.labels);
    return p;
  }

  async function openServer(p: Page, id: number) {
    await p.goto(`${server.url}/servers/${id}`);
    await p.locator('.change').first().waitFor();
    // The stored token checked again after the load: the header names it, the actions show.
    await expect.poll(() => p.locator('.session > span').count(), POLL).toBe(1);
  }

  /** Holds `p`'s next PATCH of server `id` until `release` is called: `arrived` once it is held. */
  async function holdPatch(p: Page, id: number) {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrive = (): void => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    await p.route(`**/api/v1/servers/${id}`, async (route) => {
      if (route.request().method() === 'PATCH') {
        arrive();
        await held;
      }
      await route.continue();
    });
    return { arrived, release };
  }

  beforeAll(async () => {
    ({ server, browser } = await startServerAndBrowser(ADMIN));
    [writeToken, readToken] = await Promise.all([token('editor', 'write'), token('reader', 'read')]);
    expect((await call('POST', '/custom-fields', { name: 'rack', type: 'string' })).status).toBe(201);
    expect((await call('POST', '/custom-fields', { name: 'backed_up', type: 'boolean' })).status).toBe(201);
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    // Nothing a page should never cause, in this test.
    expect(problems.splice(0)).toStrictEqual([]);
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
  });

  it('offers a read token no write: no edit, no delete, no new server', async () => {
    const { id } = await create();
    const page = await signedIn(readToken);
    await expect.poll(() => page.locator('.session').innerText(), POLL).toContain('Signed in as reader (read)');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.getByRole('link', { name: 'New server' }).count()).toBe(0);
    await openServer(page, id);
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await page.goto(`${server.url}/servers/new`);
    await expect.poll(() => page.locator('main').innerText(), POLL).toContain('needs a token with the write or admin');
    expect(await page.locator('form.server-form').count()).toBe(0);
  });

  it("shows who manages a server and when a sync last saw it, and warns in the form that the source's apply sets its fields again", async () => {
    const applied = await call('POST', '/servers/apply', {
      source: 'cmdb',
      servers: [{ hostname: 'synced-01', ip: '10.2.1.9' }],
    });
    expect(applied.status).toBe(200);
    const synced = ((await applied.json()) as { created: { id: number }[] }).created[0]?.id ?? 0;
    const page = await signedIn(writeToken);
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
    const { id, ip: before } = await create({ role: 'web' });
    const page = await signedIn(writeToken);
    await openServer(page, id);
    // The server has no last sighting.
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toMatch(/Last seen by a sync\s+never/);
    await page.getByRole('button', { name: 'Edit' }).click();
    // A refusal that names no input on the page (a custom field defined or removed since the form
    // loaded): listed in the summary, which takes the focus, with no link to an input that is not there.
    await page.route(`**/api/v1/servers/${id}`, async (route) => {
      if (route.request().method() !== 'PATCH') {
        await route.continue();
        return;
      }
      await route.fulfill({
        status: 400,
        contentType: 'application/json',
        body: JSON.stringify({
          error: 'Request validation failed: fix the fields listed in details',
          code: 'VALIDATION_FAILED',
          details: [{ field: 'custom_fields.gone', message: 'is not a defined custom field' }],
        }),
      });
    });
    await page.getByLabel('Role').fill('db');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.evaluate('document.activeElement.className'), POLL).toBe('error-summary');
    expect(await page.locator('.error-summary').innerText()).toContain(
      'custom_fields.gone: is not a defined custom field',
    );
    expect(await page.locator('.error-summary a').count()).toBe(0);
    await page.unroute(`**/api/v1/servers/${id}`);
    await page.getByLabel('Role').fill('web');

    const ip = page.getByLabel('IP address');
    await ip.fill('10.2.0.300');
    await page.getByLabel('rack').fill('r7');
    // Commas alone separate the tags: "web server" is one tag, which the API refuses by its text.
    await page.getByLabel('Tags').fill('blue, web server');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => ip.getAttribute('aria-invalid'), POLL).toBe('true');
    const described = (await ip.getAttribute('aria-describedby')) ?? '';
    expect(described).toBe('f-ip-error');
    expect(await page.locator(`#${described}`).innerText()).toMatch(/IPv4|IPv6|address/);
    expect(await page.locator('#f-tags-error').innerText()).toMatch(/^“web server”: must be/);
    const summary = page.locator('.error-summary');
    expect(await summary.getAttribute('role')).toBe('group');
    expect(await summary.innerText()).toContain('The server was not saved');
    expect(await summary.getByRole('link', { name: 'IP address' }).count()).toBe(1);
    // The summary takes the focus, and its link leads to the input.
    await expect.poll(() => page.evaluate('document.activeElement.className'), POLL).toBe('error-summary');
    await summary.getByRole('link', { name: 'IP address' }).click();
    await expect.poll(() => page.evaluate('document.activeElement.id'), POLL).toBe('f-ip');
    // Nothing was written.
    expect((await current(id)).ip).toBe(before);

    await ip.fill('10.2.3.2');
    await page.getByLabel('Tags').fill('blue');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice').first().innerText(), POLL).toBe('Changes saved.');
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toContain('10.2.3.2');
    const change = page.locator('.change').filter({ hasText: 'Changed by editor' });
    await expect.poll(() => change.locator('tbody').innerText(), POLL).toContain(`IP address\t${before}\t10.2.3.2`);
    expect(await change.locator('tbody').innerText()).toMatch(/custom_fields\.rack\s+—\s+r7/);
    expect(await current(id)).toMatchObject({ ip: '10.2.3.2', custom_fields: { rack: 'r7' } });
  });

  it('shows what someone else changed since the form opened, keeps the edits on top (those typed during the save too), and saves them then', async () => {
    const { id } = await create({ role: 'web' });
    const page = await signedIn(writeToken);
    await openServer(page, id);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Role').fill('db');
    await page.getByLabel('backed_up').selectOption('true');
    // Someone else, through the API, between the form's opening and its save.
    const other = await call(
      'PATCH',
      `/servers/${id}`,
      { status: 'down', role: 'cache', custom_fields: { backed_up: false } },
      writeToken,
    );
    expect(other.status).toBe(200);
    // The save is held on its way: the person goes on typing meanwhile.
    const patch = await holdPatch(page, id);
    await page.getByRole('button', { name: 'Save' }).click();
    await patch.arrived;
    await page.getByLabel('Notes').fill('typed while saving');
    patch.release();
    const conflict = page.locator('.conflict');
    await expect.poll(() => conflict.count(), POLL).toBe(1);
    await page.unroute(`**/api/v1/servers/${id}`);
    expect(await conflict.getAttribute('role')).toBe('group');
    expect(await conflict.innerText()).toContain('Someone else changed this server since you opened it.');
    const rows = await conflict.locator('tbody tr').allInnerTexts();
    expect(rows.map((row) => row.split('\t').map((cell) => cell.trim()))).toStrictEqual([
      ['Status', 'up', 'down', ''],
      ['Role', 'web', 'cache', 'db'],
      ['backed_up', '—', 'no', 'yes'],
    ]);
    await expect.poll(() => page.evaluate('document.activeElement.className'), POLL).toBe('conflict');
    // The form: the current version (status down), with this person's edits (role, the boolean, and
    // the notes typed during the save) kept.
    expect(await page.getByLabel('Status').inputValue()).toBe('down');
    expect(await page.getByLabel('Role').inputValue()).toBe('db');
    expect(await page.getByLabel('backed_up').inputValue()).toBe('true');
    expect(await page.getByLabel('Notes').inputValue()).toBe('typed while saving');
    expect((await current(id)).role).toBe('cache');
    // The history shows the other change too (created, theirs), and the form stays.
    await expect.poll(() => page.locator('.change').count(), POLL).toBe(2);
    expect(await page.locator('.change').first().innerText()).toMatch(/Status\s+up\s+down/);
    expect(await page.getByLabel('Notes').inputValue()).toBe('typed while saving');
    await expectNoSeriousViolations(page, 'server-edit-conflict', { schemes: ['light'] });

    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice').first().innerText(), POLL).toBe('Changes saved.');
    expect(await current(id)).toMatchObject({
      status: 'down',
      role: 'db',
      notes: 'typed while saving',
      custom_fields: { backed_up: true },
    });
    await expect.poll(() => page.locator('.fields').first().innerText(), POLL).toMatch(/Role\s+db/);
  });

  it('after a conflict, Cancel shows the current version, and Delete deletes it', async () => {
    const { id } = await create({ role: 'web' });
    const page = await signedIn(writeToken);
    await openServer(page, id);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Role').fill('db');
    const renamed = `renamed-${id}`;
    expect((await call('PATCH', `/servers/${id}`, { hostname: renamed, os: 'alpine' }, writeToken)).status).toBe(200);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.conflict').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.locator('main h1').allInnerTexts(), POLL).toStrictEqual([renamed]);
    const fields = page.locator('.fields').first();
    await expect.poll(() => fields.innerText(), POLL).toMatch(/Operating system\s+alpine/);
    expect(await fields.innerText()).toMatch(/Role\s+web/);
    // The Delete carries the current version's ETag: no second conflict.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('dialog').getByRole('button', { name: 'Delete the server' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers');
    await expect.poll(() => page.locator('.notice').innerText(), POLL).toBe(`Server ${renamed} was deleted.`);
    expect((await call('GET', `/servers/${id}`)).status).toBe(404);
  });

  it('shows a server deleted meanwhile as deleted, by whom, at a save or a delete', async () => {
    const [edited, removed] = await Promise.all([create(), create()]);
    const page = await signedIn(writeToken);
    // The save.
    await openServer(page, edited.id);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Role').fill('db');
    expect((await call('DELETE', `/servers/${edited.id}`)).status).toBe(204);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('main h1').allInnerTexts(), POLL)
      .toStrictEqual([`Server ${edited.id} was deleted.`]);
    await expect.poll(() => page.locator('main').innerText(), POLL).toContain('Deleted by bootstrap');
    expect(await page.locator('form').count()).toBe(0);
    // The delete: the dialog closes, the page says so, and offers neither Edit nor Delete.
    await openServer(page, removed.id);
    expect((await call('DELETE', `/servers/${removed.id}`)).status).toBe(204);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('dialog').getByRole('button', { name: 'Delete the server' }).click();
    await expect
      .poll(() => page.locator('main h1').allInnerTexts(), POLL)
      .toStrictEqual([`Server ${removed.id} was deleted.`]);
    // No dialog left open over it (nor any at all: no Delete to open one).
    expect(await page.locator('dialog[open]').count()).toBe(0);
    await expect.poll(() => page.locator('main').innerText(), POLL).toContain('Deleted by bootstrap');
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete', exact: true }).count()).toBe(0);
  });

  it('keeps the edits of a save whose token was revoked, says so, and gives them back at the next sign-in', async () => {
    const { id } = await create({ role: 'web' });
    const name = `editor-revoked-${id}`;
    const [revoked, next] = await Promise.all([token(name, 'write'), token(`${name}-next`, 'write')]);
    const page = await signedIn(revoked);
    await openServer(page, id);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Role').fill('db');
    await page.getByLabel('Notes').fill('kept over a sign-out');
    expect((await call('DELETE', `/tokens/${name}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('main p[role="alert"]').first().innerText(), POLL)
      .toContain('You were signed out before your edits were saved');
    expect(await page.locator('.session').innerText()).toContain('This token was refused.');
    expect((await current(id)).role).toBe('web');
    await signInHere(page, next);
    await expect.poll(() => page.getByLabel('Role').inputValue(), POLL).toBe('db');
    expect(await page.getByLabel('Notes').inputValue()).toBe('kept over a sign-out');
    expect(await page.locator('form .notice').innerText()).toContain('Your edits that were not saved are back');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice').first().innerText(), POLL).toBe('Changes saved.');
    expect(await current(id)).toMatchObject({ role: 'db', notes: 'kept over a sign-out' });
  });

  it('creates a server from the list: the refusals at the fields, then its page', async () => {
    const page = await signedIn(writeToken);
    await page.getByRole('link', { name: 'New server' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toBe('/servers/new');
    await expect.poll(() => page.getByLabel('rack').count(), POLL).toBe(1);
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByLabel('Host name').getAttribute('aria-invalid'), POLL).toBe('true');
    expect(await page.getByLabel('IP address').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Role').getAttribute('aria-invalid')).toBeNull();
    // The boolean's "no value" choice is named in words.
    expect(await page.getByLabel('backed_up').locator('option').first().innerText()).toBe('no value');
    await page.getByLabel('Host name').fill('new-01');
    await page.getByLabel('IP address').fill('10.2.2.50');
    await page.getByLabel('Tags').fill('blue, green');
    await page.getByLabel('rack').fill('r4');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => new URL(page.url()).pathname, POLL).toMatch(/^\/servers\/\d+$/);
    await expect.poll(() => page.locator('main h1').allInnerTexts(), POLL).toStrictEqual(['new-01']);
    expect(await page.locator('.notice').innerText()).toBe('Server created.');
    const id = Number(new URL(page.url()).pathname.split('/').at(-1));
    expect(await current(id)).toMatchObject({
      hostname: 'new-01',
      tags: ['blue', 'green'],
      custom_fields: { rack: 'r4' },
    });
  });

  it('deletes only once confirmed: Escape and Cancel keep it, a change meanwhile is shown, then it is gone', async () => {
    const { id, hostname } = await create();
    const page = await signedIn(writeToken);
    await openServer(page, id);
    const dialog = page.locator('dialog');
    const remove = page.getByRole('button', { name: 'Delete', exact: true });
    await remove.click();
    await expect.poll(() => dialog.getAttribute('open'), POLL).toBe('');
    expect(await page.getByRole('dialog').getAttribute('aria-labelledby')).toBe('delete-title');
    await expect.poll(() => page.evaluate('document.activeElement.textContent'), POLL).toBe('Cancel');
    await expectNoSeriousViolations(page, 'server-delete-dialog', { schemes: ['light'] });
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
    await expect.poll(() => page.locator('.notice').innerText(), POLL).toBe(`Server ${hostname} was deleted.`);
    expect((await call('GET', `/servers/${id}`)).status).toBe(404);
  });

  it('has no serious or critical accessibility violation on the edit form and the create page, in light and dark', async () => {
    const { id } = await create();
    const page = await signedIn(writeToken);
    const pages = [
      { name: 'server-edit', path: `/servers/${id}`, open: true },
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
      await expectNoSeriousViolations(page, name);
    }
  });

  it('edits in French at 360 px: French labels, the refusal at the field', async () => {
    const { id, hostname, ip: before } = await create();
    const p = await signedIn(writeToken, {
      locale: 'fr-FR',
      width: 360,
      labels: { token: "Jeton d'API", signIn: 'Se connecter' },
    });
    await openServer(p, id);
    await expect
      .poll(() => p.locator('.fields').first().innerText(), POLL)
      .toMatch(/Vu pour la dernière fois par une synchronisation\s+jamais/i);
    expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
    await p.getByRole('button', { name: 'Modifier' }).click();
    await expect
      .poll(() => p.getByRole('heading', { level: 2 }).first().innerText(), POLL)
      .toBe(`Modifier ${hostname}`);
    const ip = p.getByLabel('Adresse IP');
    await ip.fill('10.2.0.256');
    await p.getByRole('button', { name: 'Enregistrer' }).click();
    await expect.poll(() => ip.getAttribute('aria-invalid'), POLL).toBe('true');
    expect(await p.locator('.error-summary').innerText()).toContain('Le serveur n’a pas été enregistré');
    expect(await p.locator('.error-summary').getByRole('link', { name: 'Adresse IP' }).count()).toBe(1);
    expect(await p.locator('#f-ip-error').isVisible()).toBe(true);
    expect(await p.getByLabel("Nom d'hôte").inputValue()).toBe(hostname);
    expect(await p.getByLabel('backed_up').locator('option').first().innerText()).toBe('aucune valeur');
    expect(await p.getByRole('button', { name: 'Annuler' }).count()).toBe(1);
    expect(Number(await p.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
    await p.screenshot({ path: join(SCREENSHOTS, 'server-edit-fr-360px.png'), fullPage: true });
    expect((await current(id)).ip).toBe(before);
  });
});
