// `npm start` compiles only when the sources changed (scripts/build-if-stale.mjs), and then always:
// run here on a copy of the sources, so that the checkout's own dist/ is left alone.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm start: scripts/build-if-stale.mjs', () => {
  let dir: string;
  const build = async () =>
    (await run(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs')], { timeout: 120_000 })).stderr;
  const routes = () => join(dir, 'src', 'health', 'health.routes.ts');
  const compiled = () => readFileSync(join(dir, 'dist', 'health', 'health.routes.js'), 'utf8');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'inventory-start-'));
    for (const path of [
      'src',
      'scripts',
      'tsconfig.json',
      'tsconfig.build.json',
      'package-lock.json',
      'package.json',
      'web',
    ]) {
      // The checkout's own build of the console stays behind: the copy builds its own.
      cpSync(join(ROOT, path), join(dir, path), {
        recursive: true,
        filter: (source) => !source.startsWith(join(ROOT, 'web', 'dist')),
      });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles a checkout without dist/ and builds its console, then does nothing while the sources stay the same', async () => {
    const first = await build();
    expect(first).toContain('Compiling src/ into dist/');
    expect(first).toContain('Building the web console into web/dist/');
    expect(existsSync(join(dir, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(dir, 'web', 'dist', 'index.html'))).toBe(true);
    expect(await build()).toBe('');
  });

  it('builds the console again, and only the console, when one of its sources changes', async () => {
    const styles = join(dir, 'web', 'src', 'styles.css');
    writeFileSync(styles, `${readFileSync(styles, 'utf8')}\n.marker-of-the-test {\n  color: red;\n}\n`);
    const stderr = await build();
    expect(stderr).toContain('Building the web console');
    expect(stderr).not.toContain('Compiling');
    const css = /href="\/ui\/(assets\/[^"]+\.css)"/.exec(
      readFileSync(join(dir, 'web', 'dist', 'index.html'), 'utf8'),
    )?.[1];
    expect(readFileSync(join(dir, 'web', 'dist', css ?? 'missing.css'), 'utf8')).toContain('.marker-of-the-test');
  });

  it('compiles again when an output is missing', async () => {
    rmSync(join(dir, 'dist', 'app.js'));
    expect(await build()).toContain('Compiling');
    expect(existsSync(join(dir, 'dist', 'app.js'))).toBe(true);
  });

  it('compiles again when a source changes, even to an older modification time, and serves the change', async () => {
    const before = readFileSync(routes(), 'utf8');
    expect(compiled()).not.toContain('MARKER');
    writeFileSync(routes(), `${before}\nexport const MARKER = 'changed';\n`);
    // A time in the past, as a copy or an archive can leave it: the comparison is by content.
    utimesSync(routes(), new Date('2000-01-01'), new Date('2000-01-01'));
    expect(await build()).toContain('Compiling');
    expect(compiled()).toContain("export const MARKER = 'changed';");
  });
});
