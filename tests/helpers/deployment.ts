import { readFileSync } from 'node:fs';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { ENTRY_POINTS } from '../../scripts/payload.js';
import { ConfigError, EnvSchema, loadConfig } from '../../src/config.js';
import { envPairs, parseDockerfile } from './dockerfile.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Variables that Node.js reads itself, not the app (src/config.ts never sees them). */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS']);

/**
 * What src/config.ts would object to in an environment that a deployment file gives the app: names it
 * does not know, values its schema or its range checks refuse (but Node.js's own, RUNTIME_VARIABLES).
 * DATABASE_URL is left to the caller, which checks it against the database it names. Messages name
 * variables, never values.
 */
export function environmentProblems(env: Readonly<Record<string, string>>): string[] {
  const properties: Record<string, TSchema | undefined> = EnvSchema.properties;
  const problems: string[] = [];
  const known: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const schema = properties[name];
    if (RUNTIME_VARIABLES.has(name)) {
      continue;
    }
    if (schema !== undefined) {
      if (Value.Check(schema, value)) {
        known[name] = value;
      } else {
        problems.push(`${name}: src/config.ts refuses its value`);
      }
    } else {
      problems.push(`${name}: not a variable of src/config.ts`);
    }
  }
  delete known.DATABASE_URL;
  try {
    loadConfig(known);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw error;
    }
    problems.push(...error.problems);
  }
  return problems;
}

/** What the deployment files must agree with: the image's user, port and migration command. */
export interface ImageFacts {
  uid: number;
  gid: number;
  port: number;
  /** The image's command that applies the migrations, as a container's args (after tini). */
  migrateCommand: string[];
  /** The runtime stage's environment (its ENV instructions). */
  env: Record<string, string>;
}

/** The MiB a V8 flag of NODE_OPTIONS sets, if it sets it. */
function flagMiB(nodeOptions: string | undefined, flag: string): number | undefined {
  const match = new RegExp(`(?:^|\\s)--${flag}=(\\d+)(?:\\s|$)`).exec(nodeOptions ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The MiB of each of V8's semi-spaces that NODE_OPTIONS sets (--max-semi-space-size), if it sets it. */
export function semiSpaceMiB(nodeOptions: string | undefined): number | undefined {
  return flagMiB(nodeOptions, 'max-semi-space-size');
}

/**
 * The MiB of V8's heap limit that NODE_OPTIONS sets, if it sets the old generation's
 * (--max-old-space-size): that, and the young generation's three semi-spaces (V8's heap_size_limit is
 * the sum, on Node.js 24); without --max-semi-space-size, 1 MiB each, what V8 gives in a 256 MiB group.
 */
export function heapLimitMiB(nodeOptions: string | undefined): number | undefined {
  const old = flagMiB(nodeOptions, 'max-old-space-size');
  return old === undefined ? undefined : old + 3 * (semiSpaceMiB(nodeOptions) ?? 1);
}

/** What a container's memory limit must leave beside V8's heap: code, SQLite's cache, buffers, sockets. */
export const NON_HEAP_MIB = 96;

export function imageFacts(): ImageFacts {
  const [builder, runtime] = parseDockerfile(read('Dockerfile')).stages;
  const last = (keyword: string) =>
    (runtime?.instructions ?? []).filter((i) => i.keyword === keyword).at(-1)?.args ?? '';
  const [uid = '', gid = ''] = last('USER').split(':');
  // The builder proves that the bundled CLI (named after its entry point) migrates a database, and the
  // CLI's source has the command.
  const proof = (builder?.instructions ?? [])
    .filter((i) => i.keyword === 'RUN')
    .map((i) => /node \S*\/([\w-]+)\.mjs migrate\b/.exec(i.args)?.[1])
    .find((name) => name !== undefined);
  if (proof !== 'cli' || !('cli' in ENTRY_POINTS) || !read(ENTRY_POINTS.cli).includes("case 'migrate':")) {
    throw new Error('the image has no bundled CLI with a migrate command');
  }
  return {
    uid: Number(uid),
    gid: Number(gid),
    port: Number(last('EXPOSE')),
    migrateCommand: ['node', `${proof}.mjs`, 'migrate'],
    env: Object.fromEntries(
      (runtime?.instructions ?? []).filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)),
    ),
  };
}

/** `250m` -> 0.25, `1` -> 1; `128Mi` -> 134217728, `1G` -> 1e9: Kubernetes and Compose quantities. */
export function quantity(value: string | number): number {
  const match = /^([0-9.]+)(m|k|Ki|M|Mi|G|Gi)?$/.exec(String(value));
  if (match === null) {
    throw new Error(`not a quantity: ${String(value)}`);
  }
  const factor: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 1024,
    M: 1e6,
    Mi: 1024 ** 2,
    G: 1e9,
    Gi: 1024 ** 3,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : (factor[match[2]] ?? Number.NaN));
}

/** PostgreSQL's default max_connections less its default superuser_reserved_connections. */
export const POSTGRES_CONNECTIONS_FOR_APPS = 100 - 3;
