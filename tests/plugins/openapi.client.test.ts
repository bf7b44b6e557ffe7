// The typed client of contrib/client-example: types generated from the document by openapi-typescript,
// the example program and the document's type checks compiled against them by tsc, then the program
// run against the API on a loopback port. A document that loses a field or a body's type fails here.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { OpenAPIV3_1 } from 'openapi-types';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTypes } from '../../scripts/openapi/types.js';
import { AS_BOOTSTRAP, BOOTSTRAP_TOKEN, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { EVERY_TYPE, defineFields } from '../helpers/custom-fields.js';
import { fetchDocument } from '../helpers/openapi.js';

const run = promisify(execFile);
const EXAMPLE_DIR = fileURLToPath(new URL('../../contrib/client-example/', import.meta.url));
const TYPES = join(EXAMPLE_DIR, 'openapi.d.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A compilation takes seconds (more on a busy machine); the next one reuses this one's files. */
let previous: ts.Program | undefined;

/**
 * Compiles the example folder as `tsc -p contrib/client-example` does, with `types` in place of the
 * generated openapi.d.ts (in memory: a file a developer generated stays as it is). Returns the errors.
 */
function typeCheck(types: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(EXAMPLE_DIR, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (config === undefined) {
    throw new Error('no tsconfig.json in the example');
  }
  const host = ts.createCompilerHost(config.options);
  const onDisk = { fileExists: host.fileExists.bind(host), readFile: host.readFile.bind(host) };
  host.fileExists = (file) => file === TYPES || onDisk.fileExists(file);
  host.readFile = (file) => (file === TYPES ? types : onDisk.readFile(file));
  const program = ts.createProgram({
    rootNames: config.fileNames.filter((file) => file !== TYPES),
    options: config.options,
    host,
    oldProgram: previous,
  });
  previous = program;
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where =
      diagnostic.file === undefined
        ? ''
        : `${diagnostic.file.fileName.slice(EXAMPLE_DIR.length)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `;
    return `${where}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

let t: TestApp;
let document: OpenAPIV3_1.Document;
beforeAll(async () => {
  // tsc runs in this process and holds its event loop: overload protection would answer the program 503.
  t = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
  document = await fetchDocument(t.app);
});
afterAll(async () => {
  await t.app.close();
});

describe('contrib/client-example, typed from the OpenAPI document', () => {
  it('compiles against the types generated from the document', async () => {
    const types = await generateTypes(document);
    expect(types).toContain('Server: {');
    expect(typeCheck(types)).toStrictEqual([]);
  }, 60_000);

  it('compiles against the types of a document with custom fields, which type each field', async () => {
    const defined = await buildTestApp({ env: { MAX_EVENT_LOOP_DELAY_MS: '0' } });
    let types: string;
    try {
      await defineFields(defined.app, EVERY_TYPE);
      types = await generateTypes(await fetchDocument(defined.app));
    } finally {
      await defined.app.close();
    }
    // Required fields are always there in a server as read; the others may be absent.
    // In a server as read: required fields always there, the others possibly absent, none null.
    for (const field of ['rack: string;', 'asset_tag?: string;', 'u?: number;', 'monitored: boolean;']) {
      expect(types).toContain(field);
    }
    expect(types).toContain('tier?: "gold" | "silver";');
    // In a body, null removes a value.
    expect(types).toContain('tier?: "gold" | "silver" | null;');
    expect(typeCheck(types)).toStrictEqual([]);
  }, 60_000);

  it('does not compile when the document loses a field or the type of a body', async () => {
    const regressed = structuredClone(document);
    const server = regressed.components?.schemas?.Server;
    if (server?.properties?.hostname === undefined) {
      throw new Error('the document has no Server with a hostname');
    }
    delete server.properties.hostname;
    server.required = server.required?.filter((name) => name !== 'hostname');
    const create = regressed.paths?.['/api/v1/servers']?.post?.requestBody as OpenAPIV3_1.RequestBodyObject;
    create.content = { 'application/json': { schema: {} } };
    const errors = typeCheck(await generateTypes(regressed));
    // The example reads a server's host name; the document's checks want a typed POST body.
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^example\.ts:\d+: Property 'hostname' does not exist/),
        expect.stringMatching(/^document-types\.ts:\d+: Type 'false' does not satisfy the constraint 'true'/),
      ]),
    );
  }, 60_000);

  it('lists, creates and patches a server on a real server', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('no address');
    }
    const example = (hostname: string, ip: string) =>
      run(process.execPath, ['--import', TSX, join(EXAMPLE_DIR, 'example.ts'), hostname, ip], {
        env: {
          PATH: process.env.PATH ?? '',
          INVENTORY_URL: `http://127.0.0.1:${address.port}`,
          INVENTORY_TOKEN: BOOTSTRAP_TOKEN,
        },
        timeout: 20_000,
      });

    const { stdout } = await example('client-01', '192.0.2.10');
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
    expect(lines[0]).toStrictEqual({ listed: { count: 1, hostnames: ['web-prod-01'] } });
    const id = lines[1]?.created?.id;
    expect(lines[1]).toStrictEqual({ created: { id, hostname: 'client-01', etag: `"${String(id)}-1"` } });
    expect(lines[2]).toStrictEqual({
      patched: { id, status: 'maintenance', notes: 'Patched by the typed client example' },
    });

    const stored = await t.app.inject({ method: 'GET', url: `/api/v1/servers/${String(id)}`, headers: AS_BOOTSTRAP });
    expect(stored.json()).toMatchObject({
      hostname: 'client-01',
      ip: '192.0.2.10',
      environment: 'staging',
      tags: ['example'],
      status: 'maintenance',
      notes: 'Patched by the typed client example',
    });

    // The API's refusal reaches the program as the typed error body, and the program fails.
    const again = await example('client-01', '192.0.2.11').then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(again?.code).toBe(1);
    expect(again?.stderr).toMatch(/creating failed: SERVER_CONFLICT/);
  }, 90_000);
});
