import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_COMMANDS } from '../../src/cli.usage.js';
import { EnvSchema } from '../../src/config.js';
import { errorRegistry } from '../../src/errors.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import {
  cliTableProblems,
  configurationTableProblems,
  errorTableProblems,
  firstTable,
  npmScriptProblems,
  routeTableProblems,
  section,
} from '../helpers/docs-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const API = read('docs/api.md');
const CONFIGURATION = read('docs/configuration.md');
const OPERATIONS = read('docs/operations.md');
/** The environment's variables and their defaults (every one is a string, as an environment holds). */
const VARIABLES: Record<string, { default?: string }> = Object.fromEntries(
  Object.entries(EnvSchema.properties).map(([name, schema]) => {
    const value: unknown = (schema as { default?: unknown }).default;
    return [name, typeof value === 'string' ? { default: value } : {}];
  }),
);

/** `doc` without the line that holds `text`, which must be there. */
function withoutLine(doc: string, text: string): string {
  const lines = doc.split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  expect(index, text).toBeGreaterThan(-1);
  return lines.filter((_, i) => i !== index).join('\n');
}

/** `doc` with `row` added right after the line that holds `text`. */
function withLineAfter(doc: string, text: string, row: string): string {
  const lines = doc.split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  expect(index, text).toBeGreaterThan(-1);
  return [...lines.slice(0, index + 1), row, ...lines.slice(index + 1)].join('\n');
}

describe('the errors table of docs/api.md', () => {
  it('lists every code of the error registry, with its status, and no other', () => {
    expect(errorTableProblems(API, errorRegistry)).toStrictEqual([]);
    expect(firstTable(section(API, '## Errors')).rows).toHaveLength(Object.keys(errorRegistry).length);
  });

  it('is reported when a code is missing, unknown, listed twice or given another status', () => {
    expect(errorTableProblems(withoutLine(API, '`DATABASE_TIMEOUT`'), errorRegistry)).toStrictEqual([
      'error code DATABASE_TIMEOUT is missing from the documentation',
    ]);
    expect(
      errorTableProblems(
        withLineAfter(API, '`SERVER_NOT_FOUND`', '| 404 | `GADGET_NOT_FOUND` | no such gadget |'),
        errorRegistry,
      ),
    ).toStrictEqual(['error code GADGET_NOT_FOUND is documented but does not exist']);
    expect(
      errorTableProblems(
        withLineAfter(API, '`SERVER_NOT_FOUND`', '| 404 | `SERVER_NOT_FOUND` | again |'),
        errorRegistry,
      ),
    ).toStrictEqual(['error code SERVER_NOT_FOUND is documented twice']);
    const wrongStatus = API.replace(/^\| 409 (\s*)\| `SERVER_CONFLICT`/m, '| 400 $1| `SERVER_CONFLICT`');
    expect(wrongStatus).not.toBe(API);
    expect(errorTableProblems(wrongStatus, errorRegistry)).toStrictEqual([
      'error code SERVER_CONFLICT is documented with status 400, registered with 409',
    ]);
  });

  it('is checked against the registry, not against a copy: a new code fails the check until documented', () => {
    const registry = { ...errorRegistry, GADGET_NOT_FOUND: { status: 404, message: 'Gadget not found: list them' } };
    expect(errorTableProblems(API, registry)).toStrictEqual([
      'error code GADGET_NOT_FOUND is missing from the documentation',
    ]);
  });
});

describe('the variables table of docs/configuration.md', () => {
  it('lists every variable of the environment schema, with its default, and no other', () => {
    expect(configurationTableProblems(CONFIGURATION, VARIABLES)).toStrictEqual([]);
    expect(firstTable(CONFIGURATION).rows).toHaveLength(Object.keys(VARIABLES).length);
  });

  it('is reported when a variable is missing, unknown, or given another default', () => {
    expect(configurationTableProblems(withoutLine(CONFIGURATION, '| `MAX_CONNECTIONS`'), VARIABLES)).toStrictEqual([
      'variable MAX_CONNECTIONS is missing from the documentation',
    ]);
    expect(
      configurationTableProblems(
        withLineAfter(CONFIGURATION, '| `PORT`', '| `LISTEN_BACKLOG` | `511` | pending connections |'),
        VARIABLES,
      ),
    ).toStrictEqual(['variable LISTEN_BACKLOG is documented but does not exist']);
    const wrongDefault = CONFIGURATION.replace(/^(\| `PORT`\s*\| )`5000`/m, '$1`8080`');
    expect(wrongDefault).not.toBe(CONFIGURATION);
    expect(configurationTableProblems(wrongDefault, VARIABLES)).toStrictEqual([
      "variable PORT is documented with the default `8080`, the schema's is `5000`",
    ]);
    const noDefault = CONFIGURATION.replace(/^(\| `INVENTORY_BOOTSTRAP_TOKEN`\s*\| )none/m, '$1`x`');
    expect(configurationTableProblems(noDefault, VARIABLES)).toStrictEqual([
      "variable INVENTORY_BOOTSTRAP_TOKEN is documented with the default `x`, the schema's is none",
    ]);
  });

  it('refuses a document whose first table is another one', () => {
    expect(configurationTableProblems('| Name | Value |\n| - | - |\n| `PORT` | 1 |\n', VARIABLES)).toStrictEqual([
      'the first table is not the variables table (its header: Name | Value)',
    ]);
  });
});

describe('the commands table of docs/operations.md', () => {
  it('lists every command of the CLI, with its arguments, and no other', () => {
    expect(cliTableProblems(OPERATIONS, CLI_COMMANDS)).toStrictEqual([]);
    expect(CLI_COMMANDS.map((c) => c.name)).toStrictEqual([
      'migrate',
      'token create',
      'token list',
      'token rotate',
      'token revoke',
      'help',
    ]);
  });

  it('is reported when a command is missing, unknown, or its arguments differ', () => {
    expect(cliTableProblems(withoutLine(OPERATIONS, '| `token list`'), CLI_COMMANDS)).toStrictEqual([
      'command token list is missing from the documentation',
    ]);
    expect(
      cliTableProblems(withLineAfter(OPERATIONS, '| `migrate`', '| `seed` | adds the sample servers |'), CLI_COMMANDS),
    ).toStrictEqual(['command seed is documented but does not exist']);
    const otherArgs = OPERATIONS.replace('`token revoke NAME`', '`token revoke --name NAME`');
    expect(otherArgs).not.toBe(OPERATIONS);
    expect(cliTableProblems(otherArgs, CLI_COMMANDS)).toStrictEqual([
      'command token revoke --name NAME is documented but does not exist',
      'command token revoke NAME is missing from the documentation',
    ]);
  });
});

describe('the routes table of docs/api.md', () => {
  let t: TestApp;
  let openapi: { paths: Record<string, object> };
  beforeAll(async () => {
    t = await buildTestApp();
    openapi = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('lists every operation of the OpenAPI document, and no other', () => {
    expect(routeTableProblems(API, openapi)).toStrictEqual([]);
    expect(firstTable(section(API, '## Routes')).rows.length).toBeGreaterThanOrEqual(15);
  });

  it('is reported when an operation is missing or the table names one the API does not have', () => {
    expect(routeTableProblems(withoutLine(API, '| `PATCH /api/v1/servers/{id}`'), openapi)).toStrictEqual([
      'operation PATCH /api/v1/servers/{id} is missing from the documentation',
    ]);
    expect(
      routeTableProblems(
        withLineAfter(API, '| `GET /api/v1/changes`', '| `GET /api/v1/gadgets` | the gadgets |'),
        openapi,
      ),
    ).toStrictEqual(['operation GET /api/v1/gadgets is documented but does not exist']);
  });

  it('is reported when the API gains an operation', () => {
    const paths = { ...openapi.paths, '/api/v1/gadgets': { get: {}, post: {} } };
    expect(routeTableProblems(API, { paths })).toStrictEqual([
      'operation GET /api/v1/gadgets is missing from the documentation',
      'operation POST /api/v1/gadgets is missing from the documentation',
    ]);
  });
});

describe('the npm scripts the docs name', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const documents = Object.fromEntries(
    ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)]
      .filter((f) => f.endsWith('.md'))
      .map((f) => [f, read(f)]),
  );

  it('all exist in package.json', () => {
    expect(npmScriptProblems(documents, scripts)).toStrictEqual([]);
    // The check does see them: the README names start, test and cli.
    const { start, test, cli } = scripts;
    expect(npmScriptProblems(documents, { start, test, cli } as Record<string, string>)).not.toStrictEqual([]);
  });

  it('is reported when a document names a script that does not exist', () => {
    expect(npmScriptProblems({ 'x.md': 'Run `npm run --silent seed` then `npm test`.' }, scripts)).toStrictEqual([
      'x.md names npm script "seed", which package.json does not have',
    ]);
    expect(npmScriptProblems({ 'x.md': 'npm start' }, { test: 'vitest run' })).toStrictEqual([
      'x.md names npm script "start", which package.json does not have',
    ]);
  });
});

describe('section', () => {
  it('ends at the next heading of the same level, not at a comment inside a code block', () => {
    const doc = '# T\n## A\na\n```sh\n# not a heading\n```\n### A.1\nb\n## B\nc\n';
    expect(section(doc, '## A')).toBe('a\n```sh\n# not a heading\n```\n### A.1\nb');
    expect(() => section(doc, '## C')).toThrow('no heading "## C"');
  });
});
