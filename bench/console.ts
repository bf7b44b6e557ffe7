// The web console's list of 100 servers in a real browser (Debian's chromium, driven by playwright-core):
// how long after the API's answer the rows are on screen, beside a reference that puts the same rows
// on the same page with bare DOM calls. See docs/benchmarks.md.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Target } from './report.js';

/** Debian's chromium by default; CHROMIUM_PATH names another Chromium-based browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The most that still feels instant: a tenth of a second (the classic limit of response-time studies). */
export const INSTANT_MS = 100;

export interface ConsoleRenderResult {
  /** Per load: from the end of the list's API answer to the frame after its 100th row was added. */
  render: number[];
  /** Per load: from the navigation's start to that frame. */
  total: number[];
  /** Per load: the same 100 rows built with document.createElement and textContent, to the frame after. */
  reference: number[];
  targets: Target[];
  /** The same, with the CPU slowed four times (a low-end laptop): informative. */
  slow: { render: number[]; reference: number[] };
}

const p = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

// The code that runs in the page, as source text: the harness is compiled without the DOM's types.

/** Before the page's scripts: notes when the table first holds 100 rows, at the frame after (once painted). */
const WATCH_ROWS = `
  const observer = new MutationObserver(() => {
    if (document.querySelectorAll('tbody tr').length >= 100) {
      observer.disconnect();
      requestAnimationFrame(() => {
        // The frame's callbacks run before it paints; a message posted from one arrives after the paint.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.__rowsAt = performance.now(); };
        channel.port2.postMessage(null);
      });
    }
  });
  observer.observe(document, { childList: true, subtree: true });
`;

/** The time of that frame, and the end of the list's API answer, both from the navigation's start. */
const READ_TIMES = `({
  rowsAt: window.__rowsAt,
  answered: performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/servers?'))?.responseEnd ?? NaN,
})`;

/** The reference: the same answer parsed and its rows built with bare DOM calls in the page's main, timed to the frame after. */
const bareRows = (listUrl: string) => `(async () => {
  const text = await (await fetch(${JSON.stringify(listUrl)})).text();
  const columns = ['hostname', 'ip', 'status', 'environment', 'role', 'location', 'updated_at'];
  // From the answer's text, as the console's time starts at the end of its answer: parsing included.
  const began = performance.now();
  const body = JSON.parse(text);
  const tbody = document.createElement('tbody');
  for (const server of body.servers) {
    const tr = document.createElement('tr');
    for (const column of columns) {
      const td = document.createElement('td');
      td.textContent = String(server[column] ?? '');
      tr.append(td);
    }
    tbody.append(tr);
  }
  const table = document.createElement('table');
  table.append(tbody);
  document.querySelector('main').replaceChildren(table);
  return new Promise((resolve) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve(performance.now() - began);
    channel.port2.postMessage(null);
  }));
})()`;

/**
 * Opens `/servers?limit=100` on the API at `url` `loads` times (after two unrecorded loads) in one
 * browser, measuring each; then the same with the CPU slowed 4x. Undefined when there is no browser.
 */
export async function consoleRenderScenario(
  url: string,
  loads: number,
  log: (line: string) => void,
): Promise<ConsoleRenderResult | undefined> {
  if (!existsSync(CHROMIUM)) {
    log(`  console: no browser at ${CHROMIUM} (apt-get install chromium): skipped`);
    return undefined;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript({ content: WATCH_ROWS });
    const cdp = await context.newCDPSession(page);
    const listUrl = `${url}/api/v1/servers?limit=100`;
    const once = async () => {
      await page.goto(`${url}/servers?limit=100`);
      // A function, not source text: the console's policy forbids the page to evaluate text.
      await page.waitForFunction(() => (globalThis as { __rowsAt?: number }).__rowsAt !== undefined, null, {
        timeout: 30_000,
      });
      const { rowsAt, answered } = await page.evaluate<{ rowsAt: number; answered: number }>(READ_TIMES);
      const reference = await page.evaluate<number>(bareRows(listUrl));
      return { render: rowsAt - answered, total: rowsAt, reference };
    };
    const run = async (count: number) => {
      await once();
      await once();
      const results = [];
      for (let i = 0; i < count; i++) {
        results.push(await once());
      }
      return results;
    };
    log(`  console: the list of 100 servers, ${loads} loads, then ${loads} with the CPU slowed 4x`);
    const fast = await run(loads);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const slowed = await run(loads);
    const render = fast.map((r) => r.render);
    const reference = fast.map((r) => r.reference);
    const slow = { render: slowed.map((r) => r.render), reference: slowed.map((r) => r.reference) };
    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    const targets: Target[] = [
      {
        name: `Console, list of 100 servers: from the API's answer to the rows on screen, p95 of ${loads} loads`,
        measured: `${f(p(render, 0.95))} (p50 ${f(p(render, 0.5))}; bare DOM reference p50 ${f(p(reference, 0.5))}; page load to rows p50 ${f(
          p(
            fast.map((r) => r.total),
            0.5,
          ),
        )})`,
        limit: `<= ${INSTANT_MS} ms`,
        pass: p(render, 0.95) <= INSTANT_MS,
      },
      {
        name: `The same with the CPU slowed 4x, p95`,
        measured: `${f(p(slow.render, 0.95))} (p50 ${f(p(slow.render, 0.5))}; bare DOM reference p50 ${f(p(slow.reference, 0.5))})`,
        limit: `<= ${INSTANT_MS} ms`,
        pass: p(slow.render, 0.95) <= INSTANT_MS,
        informative: true,
      },
    ];
    return { render, total: fast.map((r) => r.total), reference, targets, slow };
  } finally {
    await browser.close();
  }
}
