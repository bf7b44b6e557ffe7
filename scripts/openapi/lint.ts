// npm run lint:openapi: Redocly CLI's recommended rules (redocly.yaml) on the OpenAPI document the app
// publishes, written from the app itself (no server runs), or on the document file given. Offline: no
// usage data, no update check, no login. Exits with Redocly's status: 1 on any error.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../payload.js';
import { openapiDocument } from './document.js';

const REDOCLY = join(
  resolve(createRequire(import.meta.url).resolve('@redocly/cli/package.json'), '..'),
  'bin',
  'cli.js',
);

/** The environment Redocly CLI runs in: no usage data, no update notice (which asks the registry). */
export const REDOCLY_ENV = { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' } as const;

/** Runs `redocly lint` on a document file with the repository's redocly.yaml; resolves with its exit code. */
export function redoclyLint(file: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [REDOCLY, 'lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'stylish', file],
    { cwd: ROOT, env: { ...process.env, ...REDOCLY_ENV }, stdio: 'inherit' },
  );
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code) => {
      done(code ?? 1);
    });
  });
}

async function main(): Promise<number> {
  const given = process.argv[2];
  if (given !== undefined) {
    return redoclyLint(given);
  }
  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(await openapiDocument(), null, 2));
    return await redoclyLint(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
