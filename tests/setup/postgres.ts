import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's own PostgreSQL database (created here, dropped after the run); '' on SQLite. */
    postgresUrl: string;
  }
}

/** `postgres://u@h:5432/postgres` -> the same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
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
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  project.provide('postgresUrl', withDatabase(serverUrl, name));
  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      // FORCE closes what a failed test left connected (PostgreSQL 13 and later).
      await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  };
}
