import { gzipSync } from 'node:zlib';
import type { Logger, Plugin } from 'vite';

/** The most the first page may weigh: its JavaScript and CSS, gzipped, in bytes. */
export const FIRST_PAGE_BUDGET_BYTES = 100 * 1024;

/** The parts of Vite's output bundle that the budget reads (a chunk or an asset). */
export type BundleFile =
  | {
      type: 'chunk';
      fileName: string;
      code: string;
      isEntry: boolean;
      imports: readonly string[];
      viteMetadata?: { importedCss: ReadonlySet<string> };
    }
  | { type: 'asset'; fileName: string; source: string | Uint8Array };

export interface FirstPageSize {
  /** Each file the first page loads, with its gzipped size. */
  files: { fileName: string; gzipBytes: number }[];
  total: number;
}

/**
 * What the browser loads before the first page shows: every entry chunk, the chunks they import
 * statically (not the lazy ones), and the CSS of all of those. Each is gzipped at the level a server
 * or proxy would use.
 */
export function measureFirstPage(bundle: Readonly<Record<string, BundleFile>>): FirstPageSize {
  const wanted = new Set<string>();
  const visit = (fileName: string) => {
    const file = bundle[fileName];
    if (file === undefined || wanted.has(fileName)) {
      return;
    }
    wanted.add(fileName);
    if (file.type === 'chunk') {
      file.imports.forEach(visit);
      file.viteMetadata?.importedCss.forEach(visit);
    }
  };
  for (const file of Object.values(bundle)) {
    if (file.type === 'chunk' && file.isEntry) {
      visit(file.fileName);
    }
  }
  const files = [...wanted]
    .filter((fileName) => /\.(m?js|css)$/.test(fileName))
    .sort()
    .map((fileName) => {
      const file = bundle[fileName];
      const content = file === undefined ? '' : file.type === 'chunk' ? file.code : file.source;
      return { fileName, gzipBytes: gzipSync(content, { level: 9 }).length };
    });
  return { files, total: files.reduce((sum, f) => sum + f.gzipBytes, 0) };
}

/**
 * Vite plugin: the build fails when the first page's gzipped JavaScript and CSS exceed `limit` bytes;
 * otherwise it says what the page weighs, at Vite's info level.
 */
export function sizeBudget(limit: number = FIRST_PAGE_BUDGET_BYTES): Plugin {
  let logger: Pick<Logger, 'info'> | undefined;
  return {
    name: 'first-page-size-budget',
    apply: 'build',
    configResolved(config) {
      logger = config.logger;
    },
    generateBundle(_options, bundle) {
      const size = measureFirstPage(bundle);
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      const line = `first page: ${kb(size.total)} gzipped JS+CSS (budget ${kb(limit)}): ${size.files
        .map((f) => `${f.fileName} ${kb(f.gzipBytes)}`)
        .join(', ')}`;
      if (size.total > limit) {
        this.error(`over the size budget: ${line}`);
      }
      logger?.info(line);
    },
  };
}
