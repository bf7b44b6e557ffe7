import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { POSTGRES_CONNECTIONS_FOR_APPS, environmentProblems, imageFacts } from '../helpers/deployment.js';
import { loadConfig } from '../../src/config.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const TEXT = read('docker-compose.yml');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  entrypoint?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  privileged?: boolean;
  deploy?: { replicas?: number };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// Compose resolves YAML merge keys (`<<: *api`), which YAML 1.2 leaves to the parser's option.
const compose = parse(TEXT, { merge: true }) as Compose;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (found === undefined) {
    throw new Error(`no service ${name}`);
  }
  return found;
};
const postgres = service('postgres');
const migrate = service('migrate');
const replicas = Object.entries(compose.services).filter(([name]) => /^api-\d+$/.test(name));
const image = imageFacts();

/** Compose's interpolation: `${NAME}`, `${NAME:-default}`, `${NAME:?error}` (which fails when unset or empty). */
function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)(?:(:[-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const set = env[name];
    if (set !== undefined && set !== '') {
      return set;
    }
    if (op === ':?') {
      throw new Error(arg);
    }
    return op === ':-' ? (arg ?? '') : '';
  });
}
/** Every `${...}` reference to a variable in the file. */
const references = (name: string) => [...TEXT.matchAll(new RegExp(`\\$\\{${name}\\b[^}]*\\}`, 'g'))].map((m) => m[0]);

const SECRETS = { POSTGRES_PASSWORD: 'pw-from-env', INVENTORY_BOOTSTRAP_TOKEN: 'token-from-env-0123456789abcdef0123' };

describe('docker-compose.yml', () => {
  it('runs PostgreSQL of a pinned major on a named volume, healthy once it serves TCP, unpublished', () => {
    expect(postgres.image).toMatch(/^postgres:1[4-7](\.\d+)?-alpine$/);
    const [volume, target] = (postgres.volumes?.[0] ?? '').split(':');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    // Where PostgreSQL 17 and earlier keep their data (the image's PGDATA).
    expect(target).toBe('/var/lib/postgresql/data');
    const env = postgres.environment ?? {};
    expect(postgres.healthcheck?.test).toStrictEqual([
      'CMD',
      'pg_isready',
      '--host=127.0.0.1',
      '--port=5432',
      `--username=${env.POSTGRES_USER}`,
      `--dbname=${env.POSTGRES_DB}`,
    ]);
    expect(postgres.ports).toBeUndefined();
    expect(postgres.restart).toBe('unless-stopped');
  });

  it('migrates once, with the image CLI, after PostgreSQL is healthy', () => {
    expect(migrate.command).toStrictEqual(image.migrateCommand);
    expect(migrate.entrypoint).toBeUndefined();
    expect(migrate.depends_on).toStrictEqual({ postgres: { condition: 'service_healthy' } });
    expect(migrate.restart).toBe('no');
    expect(migrate.healthcheck).toStrictEqual({ disable: true });
    expect(migrate.ports).toBeUndefined();
  });

  it('starts two API replicas only after the migration completed, never migrating themselves', () => {
    expect(replicas.map(([name]) => name)).toStrictEqual(['api-1', 'api-2']);
    for (const [, api] of replicas) {
      expect(api.deploy?.replicas).toBeUndefined();
      expect(api.depends_on).toStrictEqual({
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(api.environment?.INVENTORY_MIGRATE).toBe('false');
      expect(api.restart).toBe('unless-stopped');
    }
  });

  it('believes X-Forwarded-For from nobody: the clients reach the published ports directly', () => {
    for (const [, api] of replicas) {
      expect(api.environment?.TRUST_PROXY).toBe('');
      expect(loadConfig({ TRUST_PROXY: api.environment?.TRUST_PROXY }).trustProxy).toStrictEqual([]);
    }
  });

  it('publishes the replicas on 5000 and 5001 of the loopback, each to the port the image exposes', () => {
    expect(replicas.map(([, api]) => api.ports)).toStrictEqual([
      [`127.0.0.1:5000:${image.port}`],
      [`127.0.0.1:5001:${image.port}`],
    ]);
  });

  it('builds one image from the Dockerfile for the migration and the replicas', () => {
    for (const s of [migrate, ...replicas.map(([, api]) => api)]) {
      expect(s.build).toBe('.');
      expect(s.image).toBe('inventory-api:local');
    }
  });

  it('gives the API the PostgreSQL of this file, with its user, database and password', () => {
    const pg = Object.fromEntries(
      Object.entries(postgres.environment ?? {}).map(([k, v]) => [k, interpolate(v, SECRETS)]),
    ) as Record<string, string>;
    for (const s of [migrate, ...replicas.map(([, api]) => api)]) {
      const url = new URL(interpolate(s.environment?.DATABASE_URL ?? '', SECRETS));
      expect(url.protocol).toBe('postgres:');
      expect(Object.keys(compose.services)).toContain(url.hostname);
      expect(url.hostname).toBe('postgres');
      expect(url.port).toBe('5432');
      expect(url.username).toBe(pg.POSTGRES_USER);
      expect(url.password).toBe(pg.POSTGRES_PASSWORD);
      expect(url.password).toBe(SECRETS.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
      expect(url.searchParams.get('sslmode')).toBe('disable');
    }
  });

  it('sets only variables the app knows, with values it accepts', () => {
    for (const s of [migrate, ...replicas.map(([, api]) => api)]) {
      const env = Object.fromEntries(
        Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v, SECRETS)]),
      ) as Record<string, string>;
      expect(environmentProblems(env)).toStrictEqual([]);
    }
  });

  it('keeps every connection under PostgreSQL max_connections', () => {
    const pool = (s: Service) => Number(s.environment?.DATABASE_POOL_MAX);
    const total = replicas.reduce((sum, [, api]) => sum + pool(api), 0) + pool(migrate);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(POSTGRES_CONNECTIONS_FOR_APPS);
  });

  it('commits no secret: the password and the token come from .env, required, without a default', () => {
    for (const name of Object.keys(SECRETS)) {
      const refs = references(name);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
        expect(() => interpolate(ref, {})).toThrow();
      }
    }
    expect(postgres.environment?.POSTGRES_PASSWORD).toBe(references('POSTGRES_PASSWORD')[0]);
    expect(read('.gitignore').split('\n')).toEqual(expect.arrayContaining(['.env', '!.env.example']));
    expect(read('.dockerignore').split('\n')).toContain('.env');
    const example = Object.fromEntries(
      read('.env.example')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => l.split('=')),
    ) as Record<string, string>;
    expect(example).toStrictEqual({ POSTGRES_PASSWORD: '', INVENTORY_BOOTSTRAP_TOKEN: '' });
  });

  it.each(['postgres', 'migrate', 'api-1', 'api-2'])(
    'runs %s non-root, read-only with a /tmp of its own, without capabilities or new privileges',
    (name) => {
      const s = service(name);
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toContain('/tmp');
      expect(s.cap_drop).toStrictEqual(['ALL']);
      expect(s.cap_add).toBeUndefined();
      expect(s.privileged).toBeUndefined();
      expect(s.security_opt).toContain('no-new-privileges:true');
      const [uid] = (s.user ?? '').split(':');
      expect(Number(uid)).toBeGreaterThan(0);
      if (name !== 'postgres') {
        expect(s.user).toBe(`${image.uid}:${image.gid}`);
      }
    },
  );
});
