import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plugin, type Metafile, build } from 'esbuild';
import { build as viteBuild } from 'vite';

const require = createRequire(import.meta.url);

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where `npm run build:bundle` puts the runtime payload, relative to the root: the one folder the
 * Dockerfile's runtime stage copies to /app.
 */
export const PAYLOAD_DIR = 'build/app';

/** The SQLite driver the image loads (Node 22 and later), shipped with its prebuilt Node-API binaries. */
export const SQLITE_PACKAGE = 'better-sqlite3-napi';

/** The entry points of the bundle: the server and the command-line tool. */
export const ENTRY_POINTS = { main: 'src/main.ts', cli: 'src/cli.ts' } as const;

/** A prebuilt binary of the SQLite driver, named as in its `prebuilds/` folder (`linuxmusl-x64`, ...). */
export type PrebuildTarget = `${'linux' | 'linuxmusl' | 'darwin' | 'win32'}-${'x64' | 'arm64'}`;

function isMusl(): boolean {
  if (process.platform !== 'linux') {
    return false;
  }
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime === undefined;
}

/** The prebuilt binary this machine loads: `linuxmusl-x64` on Alpine, `linux-x64` on a glibc Linux. */
export function hostPrebuildTarget(): PrebuildTarget {
  const platform = isMusl() ? 'linuxmusl' : process.platform;
  return `${platform}-${process.arch}` as PrebuildTarget;
}

/**
 * Bundles the server and the CLI into ESM files (`main.mjs`, `cli.mjs`) that need only Node.js and the
 * SQLite driver: no dev dependency, no TypeScript source, no npm. The driver is not bundled: it loads
 * a native binary from its own folder, and src/db/sqlite-driver.ts requires it at run time through
 * createRequire (which esbuild leaves as it is; `external` keeps it so for a static import too).
 */
/**
 * Packages that a dependency requires inside a try/catch, as an optional extra: `debug` (pulled in by
 * the docs' static file server) asks for `supports-color` to pick terminal colours; `pg` loads
 * `pg-native` (libpq bindings) only when `pg.native` is read, which the app never does: it uses the
 * pure JavaScript client. The bundle gets an empty module in their place, so the runtime carries and
 * imports nothing more.
 */
const OPTIONAL_ABSENT = ['supports-color', 'pg-native'];

function optionalAbsent(names: string[]): Plugin {
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
  return {
    name: 'optional-absent',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'optional-absent' }));
      build.onLoad({ filter: /.*/, namespace: 'optional-absent' }, () => ({
        contents: 'module.exports = undefined;',
        loader: 'js',
      }));
    },
  };
}

export async function bundle(outDir: string): Promise<Metafile> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['better-sqlite3', SQLITE_PACKAGE],
    // CommonJS dependencies call require() for Node's built-in modules; an ES module has no require
    // of its own, so the bundle gets one. (src/db/sqlite-driver.ts makes its own; esbuild renames it.)
    // CommonJS dependencies also read __dirname (the docs' assets); in the bundle it is the bundle's folder.
    banner: {
      js: [
        "import { createRequire as __bundleCreateRequire } from 'node:module';",
        "import { dirname as __bundleDirname } from 'node:path';",
        "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
        'const require = __bundleCreateRequire(import.meta.url);',
        'const __filename = __bundleFileURLToPath(import.meta.url);',
        'const __dirname = __bundleDirname(__filename);',
      ].join('\n'),
    },
    // Identifiers stay readable in stack traces; whitespace and syntax shrink the file.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
    plugins: [optionalAbsent(OPTIONAL_ABSENT)],
  });
  return result.metafile;
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      copyTree(source, target);
    } else if (entry.isFile()) {
      copyFileSync(source, target);
    }
  }
}

/**
 * Copies the SQLite driver into `<outDir>/node_modules`: its JavaScript, licence and package.json,
 * and the one prebuilt binary for `target`. Its `node-addon-api` dependency only serves a build from
 * source and is left out; nothing under lib/ requires it.
 */
export function copySqliteDriver(outDir: string, target: PrebuildTarget): void {
  const source = dirname(require.resolve(`${SQLITE_PACKAGE}/package.json`));
  const binary = join(source, 'prebuilds', `${target}.node`);
  if (!existsSync(binary)) {
    throw new Error(`${SQLITE_PACKAGE} ships no prebuilt binary for ${target}`);
  }
  const dest = join(outDir, 'node_modules', SQLITE_PACKAGE);
  mkdirSync(join(dest, 'prebuilds'), { recursive: true });
  for (const file of ['package.json', 'LICENSE']) {
    copyFileSync(join(source, file), join(dest, file));
  }
  copyTree(join(source, 'lib'), join(dest, 'lib'));
  copyFileSync(binary, join(dest, 'prebuilds', `${target}.node`));
}

/**
 * The interactive documentation's page assets (Swagger UI), served from the payload itself at /docs:
 * into `static/` beside the bundle, where src/plugins/openapi.ts looks for them when no
 * node_modules is there.
 */
export function copyDocsAssets(outDir: string): void {
  const source = join(dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static');
  copyTree(source, join(outDir, 'static'));
}

/** The web console's Vite configuration (web/ into web/dist/ by default). */
export const CONSOLE_CONFIG = join(ROOT, 'web', 'vite.config.ts');

/**
 * The web console, built from web/ into `ui/` beside the bundle, where src/plugins/console.ts looks for
 * it when no web/dist/ is there. The build fails over the first page's size budget (web/budget.ts).
 */
export async function buildConsole(outDir: string): Promise<void> {
  await viteBuild({
    configFile: CONSOLE_CONFIG,
    build: { outDir: join(outDir, 'ui'), emptyOutDir: true },
    logLevel: 'error',
  });
}

/**
 * Builds the complete runtime payload into an emptied `outDir`: what the image runs, and nothing else.
 * Returns esbuild's metafile of the bundle (its inputs, outputs and external imports).
 */
export async function assemblePayload(
  outDir: string,
  target: PrebuildTarget = hostPrebuildTarget(),
): Promise<Metafile> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const metafile = await bundle(outDir);
  copySqliteDriver(outDir, target);
  copyDocsAssets(outDir);
  await buildConsole(outDir);
  return metafile;
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else {
        files.push(relative(dir, path));
      }
    }
  };
  walk(dir);
  return files.sort();
}

/** The total size in bytes of the files under `dir`. */
export function totalSize(dir: string): number {
  return listFiles(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}
