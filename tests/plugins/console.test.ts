// The web console as the API serves it: its page at its own addresses with a strict policy, its
// hashed assets cached for a year, a JSON 404 for what is not there, and UI_ENABLED=false. A small
// console of the test's own stands in for the build (tests/web/console.browser.test.ts serves the real one).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSET_CACHE_CONTROL,
  CONSOLE_ASSETS_PREFIX,
  CONSOLE_CSP,
  PAGE_CACHE_CONTROL,
} from '../../src/plugins/console.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';

const PAGE =
  '<!doctype html><title>Inventory</title><script type="module" src="/ui/assets/index-Ab12Cd34.js"></script>';
const SCRIPT = 'console.log("console");';
/** The policy of the API's own answers (protection.ts). */
const API_CSP = "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'";

let work: string;
let built: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'inventory-console-'));
  built = join(work, 'dist');
  mkdirSync(join(built, 'assets'), { recursive: true });
  writeFileSync(join(built, 'index.html'), PAGE);
  writeFileSync(join(built, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
  writeFileSync(join(built, 'assets', '.hidden'), 'no');
  // The build's compressed forms (web/precompress.ts), beside the script.
  writeFileSync(join(built, 'assets', 'index-Ab12Cd34.js.br'), brotliCompressSync(SCRIPT));
  writeFileSync(join(built, 'assets', 'index-Ab12Cd34.js.gz'), gzipSync(SCRIPT));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function expectRouteNotFound(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) {
  expect(res.statusCode).toBe(404);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
}

describe('the console (UI_ENABLED=true)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { UI_ENABLED: 'true' }, consoleDir: built });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('answers its page at / and at each of its addresses, with the strict policy and no-cache', async () => {
    for (const url of [
      '/',
      '/servers',
      '/servers/',
      '/servers?status=up&q=web',
      '/servers/12',
      '/servers/new',
      '/overview',
      '/overview?seen=7d',
      '/activity',
      '/admin',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control'], url).toBe(PAGE_CACHE_CONTROL);
      expect(res.headers['content-security-policy'], url).toBe(CONSOLE_CSP);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.body, url).toBe(PAGE);
    }
  });

  it('has a policy without inline scripts or styles, eval or other origins', () => {
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|\*|https?:/);
    const directives = new Map(
      CONSOLE_CSP.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    expect(Object.fromEntries(directives)).toStrictEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'img-src': "'self' data:",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      'form-action': "'self'",
    });
  });

  it('serves a hashed asset cached for a year, immutable', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${CONSOLE_ASSETS_PREFIX}index-Ab12Cd34.js` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
    expect(res.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
    expect(res.body).toBe(SCRIPT);
  });

  it('sends the Brotli or gzip form to a browser that accepts it, the file itself to one that accepts neither', async () => {
    const url = `${CONSOLE_ASSETS_PREFIX}index-Ab12Cd34.js`;
    const cases = [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['identity', undefined],
    ] as const;
    for (const [accepted, encoding] of cases) {
      const res = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': accepted } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(res.headers['content-type']).toMatch(/^text\/javascript|^application\/javascript/);
      expect(res.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
      const body =
        encoding === 'br'
          ? brotliDecompressSync(res.rawPayload)
          : encoding === 'gzip'
            ? gunzipSync(res.rawPayload)
            : res.rawPayload;
      expect(body.toString()).toBe(SCRIPT);
    }
  });

  it('answers a missing asset, a hidden file or a path out of the folder with the JSON 404', async () => {
    for (const url of [
      `${CONSOLE_ASSETS_PREFIX}index-missing.js`,
      `${CONSOLE_ASSETS_PREFIX}.hidden`,
      `${CONSOLE_ASSETS_PREFIX}..%2Findex.html`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control'], url).not.toBe(ASSET_CACHE_CONTROL);
    }
  });

  it('answers an address that is none of its pages with the JSON 404, not the page', async () => {
    for (const url of [
      '/nope',
      '/servers/abc',
      '/servers/12/edit',
      '/servers/new/x',
      '/servers/newer',
      '/overview/1',
      '/activity/x',
      '/admin/tokens',
      '/ui/index.html',
    ]) {
      expectRouteNotFound(await t.app.inject({ method: 'GET', url }));
    }
  });

  it("leaves the API's answers their own policy", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
  });
});

describe('the console rebuilt while the server runs', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = join(work, 'rebuilt');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), PAGE);
    t = await buildTestApp({ env: { UI_ENABLED: 'true' }, consoleDir: dir });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it("serves the new build's page, with its headers, and the last page while the build has removed it", async () => {
    expect((await t.app.inject({ method: 'GET', url: '/servers' })).body).toBe(PAGE);
    const rebuilt = PAGE.replace('index-Ab12Cd34.js', 'index-Ef56Gh78.js');
    writeFileSync(join(dir, 'index.html'), rebuilt);
    // Another modification time even on a file system that counts whole seconds.
    utimesSync(join(dir, 'index.html'), new Date(), new Date(Date.now() + 5_000));
    const res = await t.app.inject({ method: 'GET', url: '/servers' });
    expect(res.body).toBe(rebuilt);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe(PAGE_CACHE_CONTROL);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    rmSync(join(dir, 'index.html'));
    const during = await t.app.inject({ method: 'GET', url: '/' });
    expect([during.statusCode, during.body]).toStrictEqual([200, rebuilt]);
  });
});

describe('the console, not built', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { UI_ENABLED: 'true' }, consoleDir: join(work, 'missing') });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('leads / to the documentation and says why in the log', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs/');
    expect(t.logs.text()).toContain('the web console is not built');
  });
});

describe('UI_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { UI_ENABLED: 'false' }, consoleDir: built });
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('leads / to the documentation, as before the console', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs/');
  });

  it("answers the console's pages and assets with the JSON 404", async () => {
    for (const url of ['/servers', '/servers/12', `${CONSOLE_ASSETS_PREFIX}index-Ab12Cd34.js`]) {
      expectRouteNotFound(await t.app.inject({ method: 'GET', url }));
    }
  });
});
