import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's own PostgreSQL database (created here, dropped after the run); '' on SQLite. */
    postgresUrl: string;
  }
}

/** How old a test database must be before a later run drops it as left behind. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/** `postgres://u@h:5432/postgres` -> the same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a connection of its own to `url`, closed after. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * With TEST_DATABASE_URL (a PostgreSQL server's URL, any database the user may connect to), the suite
 * runs on PostgreSQL: this creates a database of the run's own, which every test file shares through
 * a schema per test database (tests/helpers/database.ts), and drops it when the run ends. Runs never
 * see each other's data, and a failed run leaves nothing behind but an empty name.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl === undefined || serverUrl === '') {
    project.provide('postgresUrl', '');
    return undefined;
  }
  const name = `inventory_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, async (admin) => {
    // A run killed before its end (SIGKILL, a closed terminal) could not drop its database: a day
    // later, the next run does. Younger ones may belong to a run still going.
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname ~ '^inventory_test_[0-9]+_[0-9a-f]+$'",
    );
    for (const { datname } of rows) {
      if (Number(datname.split('_')[2]) < Date.now() - STALE_AFTER_MS) {
        await admin.query(`drop database if exists ${datname} with (force)`);
      }
    }
    // UTF-8 with a Unicode-aware ctype whatever the server's defaults (a bare machine's may be SQL_ASCII):
    // docs/operations.md asks the same of production databases.
    await admin.query(`create database ${name} template template0 encoding 'UTF8' locale 'C.UTF-8'`);
  });
  project.provide('postgresUrl', withDatabase(serverUrl, name));
  return async () => {
    // FORCE closes what a failed test left connected (PostgreSQL 13 and later).
    await withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
  };
}
