// The console's size budget: the build fails when the first page's gzipped JavaScript and CSS pass it.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type BundleFile, FIRST_PAGE_BUDGET_BYTES, measureFirstPage, sizeBudget } from '../../web/budget.js';

/** Text that gzip cannot shrink: random bytes, `bytes` of them weigh at least `bytes` gzipped. */
function incompressible(bytes: number): string {
  return randomBytes(bytes).toString('latin1');
}

const gz = (text: string) => gzipSync(text, { level: 9 }).length;

function chunk(fileName: string, code: string, options: Partial<Extract<BundleFile, { type: 'chunk' }>> = {}) {
  return { type: 'chunk', fileName, code, isEntry: false, imports: [], ...options } as const;
}

function bundleOf(...files: BundleFile[]): Record<string, BundleFile> {
  return Object.fromEntries(files.map((f) => [f.fileName, f]));
}

const app = bundleOf(
  chunk('assets/index-a.js', 'entry();', {
    isEntry: true,
    imports: ['assets/vendor-b.js'],
    viteMetadata: { importedCss: new Set(['assets/index-c.css']) },
  }),
  chunk('assets/vendor-b.js', 'vendor();'),
  chunk('assets/lazy-d.js', incompressible(200_000)),
  { type: 'asset', fileName: 'assets/index-c.css', source: 'body{margin:0}' },
  { type: 'asset', fileName: 'index.html', source: '<!doctype html>' },
);

/** Runs the plugin's hook as Vite would: `this.error` throws. */
function runPlugin(limit: number, bundle: Record<string, BundleFile>) {
  const lines: string[] = [];
  const plugin = sizeBudget(limit);
  const configResolved = plugin.configResolved as (config: unknown) => void;
  configResolved({ logger: { info: (line: string) => lines.push(line) } });
  const hook = plugin.generateBundle as (this: unknown, options: unknown, bundle: unknown) => void;
  const context = {
    error: (message: string) => {
      throw new Error(message);
    },
  };
  hook.call(context, {}, bundle);
  return lines;
}

describe('the first page size', () => {
  it('counts the entry, what it imports statically and its CSS, gzipped; not the lazy chunks or the HTML', () => {
    const size = measureFirstPage(app);
    expect(size.files).toStrictEqual([
      { fileName: 'assets/index-a.js', gzipBytes: gz('entry();') },
      { fileName: 'assets/index-c.css', gzipBytes: gz('body{margin:0}') },
      { fileName: 'assets/vendor-b.js', gzipBytes: gz('vendor();') },
    ]);
    expect(size.total).toBe(gz('entry();') + gz('body{margin:0}') + gz('vendor();'));
  });

  it('counts a chunk imported twice once', () => {
    const shared = bundleOf(
      chunk('a.js', 'a();', { isEntry: true, imports: ['c.js', 'b.js'] }),
      chunk('b.js', 'b();', { imports: ['c.js'] }),
      chunk('c.js', 'c();', { imports: ['a.js'] }),
    );
    expect(measureFirstPage(shared).files.map((f) => f.fileName)).toStrictEqual(['a.js', 'b.js', 'c.js']);
  });

  it('is 100 KB', () => {
    expect(FIRST_PAGE_BUDGET_BYTES).toBe(102_400);
  });
});

describe('the size budget in the build', () => {
  it('passes a first page under the budget and says what it weighs', () => {
    const lines = runPlugin(FIRST_PAGE_BUDGET_BYTES, app);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^first page: 0\.\d KB gzipped JS\+CSS \(budget 100\.0 KB\): assets\/index-a\.js/);
  });

  it('fails the build when the first page passes the budget', () => {
    const heavy = bundleOf(chunk('assets/index-a.js', incompressible(110 * 1024), { isEntry: true }));
    expect(() => runPlugin(FIRST_PAGE_BUDGET_BYTES, heavy)).toThrow(/^over the size budget: first page: 1\d\d\.\d KB/);
  });

  it('fails at exactly one byte over', () => {
    const size = measureFirstPage(app).total;
    expect(() => runPlugin(size, app)).not.toThrow();
    expect(() => runPlugin(size - 1, app)).toThrow(/over the size budget/);
  });
});
