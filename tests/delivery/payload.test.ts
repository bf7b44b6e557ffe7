import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrebuildTarget,
  SQLITE_PACKAGE,
  assemblePayload,
  copySqliteDriver,
  hostPrebuildTarget,
  listFiles,
  totalSize,
} from '../../scripts/payload.js';

/** The module names a CommonJS file requires. */
function requiredModules(code: string): Set<string> {
  return new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? ''));
}

describe('the image payload (what the runtime stage copies to /app)', () => {
  let dir: string;
  let metafile: Metafile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inventory-payload-'));
    // The image's own target, assembled on this machine.
    metafile = await assemblePayload(join(dir, 'app'), 'linuxmusl-x64');
  }, 60_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the two bundles, the console and the SQLite driver with the one binary of its target, and nothing else', () => {
    const files = listFiles(join(dir, 'app'));
    const driver = `node_modules/${SQLITE_PACKAGE}/`;
    expect(
      files.filter((f) => !f.startsWith(driver) && !f.startsWith('static/') && !f.startsWith('ui/assets/')),
    ).toStrictEqual(['cli.mjs', 'main.mjs', 'ui/index.html']);
    // The console's page, script and stylesheet, under content-hashed names, each with its Brotli
    // and gzip forms (web/precompress.ts).
    const assets = files.filter((f) => f.startsWith('ui/assets/'));
    expect(assets.map((f) => f.replace(/-[\w-]{8}\./, '-HASH.')).sort()).toStrictEqual([
      'ui/assets/index-HASH.css',
      'ui/assets/index-HASH.css.br',
      'ui/assets/index-HASH.css.gz',
      'ui/assets/index-HASH.js',
      'ui/assets/index-HASH.js.br',
      'ui/assets/index-HASH.js.gz',
    ]);
    expect(files).toContain('static/swagger-ui-bundle.js');
    const driverFiles = files.filter((f) => f.startsWith(driver)).map((f) => f.slice(driver.length));
    expect(driverFiles.filter((f) => !f.startsWith('lib/'))).toStrictEqual([
      'LICENSE',
      'package.json',
      'prebuilds/linuxmusl-x64.node',
    ]);
    expect(driverFiles).toContain('lib/index.js');
    expect(files.some((f) => f.endsWith('.ts'))).toBe(false);
    // A guard against bloat, far under the image's 100 MB: the two bundles each carry every dependency
    // (csv-parse for the apply's CSV bodies, canonicalize and structured-headers for Idempotency-Key
    // took it past 8 MiB).
    expect(totalSize(join(dir, 'app'))).toBeLessThan(9 * 1024 * 1024);
  });

  it('carries a binary linked against musl, for Alpine', () => {
    const binary = readFileSync(join(dir, 'app', 'node_modules', SQLITE_PACKAGE, 'prebuilds', 'linuxmusl-x64.node'));
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(binary.includes('libc.musl-x86_64.so.1')).toBe(true);
    expect(binary.includes('libc.so.6')).toBe(false);
  });

  it('bundles every dependency: the bundles import Node built-ins only, and load the SQLite driver at run time', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const outputs = Object.entries(metafile.outputs).map(([path, output]) => ({
      bundle: path.replace(/^.*\//, ''),
      external: output.imports.filter((i) => i.external && !builtins.has(i.path)).map((i) => i.path),
    }));
    expect(outputs.map((o) => o.bundle).sort()).toStrictEqual(['cli.mjs', 'main.mjs']);
    for (const { bundle, external } of outputs) {
      expect([bundle, external]).toStrictEqual([bundle, []]);
      // src/db/sqlite-driver.ts requires the driver through createRequire, from the payload's node_modules.
      const code = readFileSync(join(dir, 'app', bundle), 'utf8');
      expect(code).toMatch(/\brequire\d*\("better-sqlite3-napi"\)/);
    }
    // The sources are bundled, the dependencies too: fastify, kysely, pino, typebox among them.
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('src/main.ts');
    for (const dependency of ['fastify', 'kysely', 'pino', 'typebox']) {
      expect(inputs.some((i) => i.startsWith(`node_modules/${dependency}/`))).toBe(true);
    }
  });

  it('needs no node-addon-api at run time: nothing under the driver lib/ requires it', () => {
    const lib = join(dir, 'app', 'node_modules', SQLITE_PACKAGE, 'lib');
    for (const file of listFiles(lib)) {
      const required = [...requiredModules(readFileSync(join(lib, file), 'utf8'))];
      const packages = required.filter((m) => !m.startsWith('.') && !builtinModules.includes(m));
      expect([file, packages]).toStrictEqual([file, []]);
    }
  });

  it('refuses a target the driver ships no binary for', () => {
    expect(() => {
      copySqliteDriver(join(dir, 'other'), 'linux-ia32' as PrebuildTarget);
    }).toThrow(`${SQLITE_PACKAGE} ships no prebuilt binary for linux-ia32`);
  });

  it('picks the binary of the machine it runs on by default', () => {
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
      .glibcVersionRuntime;
    expect(hostPrebuildTarget()).toBe(`${glibc === undefined ? 'linuxmusl' : 'linux'}-${process.arch}`);
  });
});

describe('npm run image:payload', () => {
  const script = fileURLToPath(new URL('../../scripts/check-image-payload.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const nodeMajor = Number(process.versions.node.split('.', 1)[0]);

  it(
    nodeMajor >= 22
      ? 'serves the API from the payload folder alone and stops cleanly on SIGTERM'
      : 'refuses to run on Node 20, whose SQLite driver the payload does not carry',
    () => {
      const result = spawnSync(process.execPath, ['--import', tsx, script], { encoding: 'utf8', timeout: 90_000 });
      if (nodeMajor >= 22) {
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^payload: \d+ files, \d+\.\d\d MiB/);
        expect(result.stdout).toContain('and exited 0 on SIGTERM');
      } else {
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
          `image payload check failed: it needs Node.js 22 or later (the image runs 24), this is ${process.version}\n`,
        );
      }
    },
    100_000,
  );
});
