// @ts-check
// `npm start`'s first step: compiles src/ into dist/, and builds the web console from web/ into
// web/dist/, each only when it was not built from these exact sources, so that a start answers in
// about a second instead of after a 5 s `tsc`, and never serves code older than the sources. The
// sources are compared by content (not by time, which a checkout or a copy can set back), and every
// module must have its output. Plain JavaScript: it runs before
// anything is compiled, and without tsx's start-up cost. `--web` builds the console only.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.sources.sha256');
const WEB = join(ROOT, 'web');
const WEB_DIST = join(WEB, 'dist');
const WEB_STAMP = join(WEB_DIST, '.sources.sha256');

/** @param {string} dir @returns {string[]} */
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** @param {string[]} inputs @returns {string} */
function digestOf(inputs) {
  const hash = createHash('sha256');
  for (const file of inputs) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** @param {string} stamp @param {string} digest */
function builtFrom(stamp, digest) {
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === digest;
}

const webOnly = process.argv.includes('--web');

if (!webOnly) {
  const sources = filesUnder(SRC);
  const digest = digestOf([
    ...sources,
    join(ROOT, 'tsconfig.json'),
    join(ROOT, 'tsconfig.build.json'),
    join(ROOT, 'package-lock.json'),
  ]);
  const outputsPresent = sources
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .every((file) => existsSync(join(DIST, relative(SRC, file)).replace(/\.ts$/, '.js')));
  if (!builtFrom(STAMP, digest) || !outputsPresent) {
    process.stderr.write('Compiling src/ into dist/ (the sources changed since the last build)\n');
    // From scratch: the outputs of deleted sources go too.
    rmSync(DIST, { recursive: true, force: true });
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
    writeFileSync(STAMP, digest);
  }
}

// The console: its page, sources, build configuration and the dependencies' versions.
const webDigest = digestOf([
  ...filesUnder(WEB).filter((file) => !file.startsWith(`${WEB_DIST}/`)),
  join(ROOT, 'package-lock.json'),
]);
if (!builtFrom(WEB_STAMP, webDigest) || !existsSync(join(WEB_DIST, 'index.html'))) {
  process.stderr.write('Building the web console into web/dist/ (its sources changed since the last build)\n');
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', join(WEB, 'vite.config.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(WEB_STAMP, webDigest);
}
