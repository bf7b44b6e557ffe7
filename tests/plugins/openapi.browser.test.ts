// "Try it out" in /docs, in a real browser (Debian's chromium, driven by playwright-core): authorize
// with a token, then create, patch and list servers with the bodies the document's examples pre-fill,
// against a server process that asks for a token on reads too.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsRun, startServerAndBrowser } from '../helpers/browser.js';
import type { ServerProcess } from '../helpers/server-process.js';

const TOKEN = 'docs-browser-test-token-0123456789abcdef';

describe.runIf(browserTestsRun)('GET /docs in a browser: "Try it out"', () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ({ server, browser } = await startServerAndBrowser(TOKEN));
    page = await browser.newPage();
  }, 45_000);
  afterAll(async () => {
    // Both are missing when their start failed (it stopped whichever had started).
    await (browser as Browser | undefined)?.close();
    await (server as ServerProcess | undefined)?.stop();
  });

  /** What the API answers to a GET with the token. */
  async function api(path: string): Promise<unknown> {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status, path).toBe(200);
    return res.json();
  }

  /** Opens an operation, presses "Try it out", lets `fill` change the form, presses "Execute". */
  async function tryItOut(operationId: string, fill?: (operation: ReturnType<Page['locator']>) => Promise<void>) {
    const operation = page.locator(`#operations-servers-${operationId}`);
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await fill?.(operation);
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tr.response .response-col_status');
    await status.waitFor();
    return { status: (await status.innerText()).trim(), body: operation };
  }

  it('creates, patches and lists servers with the examples, once authorized', async () => {
    await page.goto(`${server.url}/docs/`);
    await page.locator('button.authorize').first().click();
    await page.locator('.modal-ux input#auth-bearer-value').fill(TOKEN);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    // The request body is the document's first example, as the page pre-fills it.
    const created = await tryItOut('createServers', async (operation) => {
      expect(JSON.parse(await operation.locator('textarea.body-param__text').inputValue())).toMatchObject({
        hostname: 'web-prod-02',
      });
    });
    expect(created.status).toBe('201');
    const found = (await api('/api/v1/servers?hostname=web-prod-02')) as { servers: { id: number; status: string }[] };
    expect(found.servers).toHaveLength(1);
    const [newServer] = found.servers;
    expect(newServer?.status).toBe('up');

    const patched = await tryItOut('patchServer', async (operation) => {
      await operation.locator('tr[data-param-name="id"] input').fill(String(newServer?.id));
    });
    expect(patched.status).toBe('200');
    const after = await api(`/api/v1/servers/${String(newServer?.id)}`);
    expect(after).toMatchObject({ status: 'maintenance', notes: 'Kernel upgrade until 18:00 UTC' });

    // Reads need the token on this server: the page sends it.
    expect((await fetch(`${server.url}/api/v1/servers`)).status).toBe(401);
    const listed = await tryItOut('listServers');
    expect(listed.status).toBe('200');
    await expect(
      listed.body.locator('.live-responses-table tr.response .response-col_description').first().innerText(),
    ).resolves.toContain('web-prod-02');
  }, 60_000);
});
