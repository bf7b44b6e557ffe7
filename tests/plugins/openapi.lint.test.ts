// npm run lint:openapi: Redocly CLI's recommended rules on the document the app publishes, offline.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openapiDocument } from '../../scripts/openapi/document.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { EVERY_TYPE, defineFields } from '../helpers/custom-fields.js';
import { fetchDocument } from '../helpers/openapi.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-test-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the script as npm does; resolves with its exit code and output. */
async function lint(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, 'scripts/openapi/lint.ts', ...args], {
      cwd: ROOT,
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

describe('npm run lint:openapi', () => {
  it('passes on the document the app publishes, and fails on a document that breaks the rules', async () => {
    const broken = await openapiDocument();
    const schema = broken.components?.schemas?.ServerInput as Record<string, unknown>;
    schema.errorMessage = 'validator-only';
    delete broken.paths?.['/api/v1/servers']?.get?.security;
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(broken));

    const [published, refused] = await Promise.all([lint(), lint(file)]);
    expect(published.code, published.output).toBe(0);
    expect(published.output).toContain('Your API description is valid');
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toMatch(/struct +Property `errorMessage` is not expected here/);
    expect(refused.output).toMatch(/security-defined/);
    expect(refused.output).toMatch(/Validation failed with 2 errors/);
    // Two processes each load the app or Redocly: seconds, more on a busy machine.
  }, 60_000);

  it('passes on the document of an inventory with custom fields of every type, without a warning', async () => {
    const t = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
    try {
      await defineFields(t.app, EVERY_TYPE);
      const file = join(dir, 'custom-fields.json');
      writeFileSync(file, JSON.stringify(await fetchDocument(t.app)));
      const { code, output } = await lint(file);
      expect(code, output).toBe(0);
      expect(output).toContain('Your API description is valid');
      expect(output).not.toMatch(/You have \d+ warning/);
    } finally {
      await t.app.close();
    }
  }, 60_000);
});
