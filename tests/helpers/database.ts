import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { type DatabaseConfig, loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrations } from '../../src/db/migrations/index.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { withClient } from '../setup/postgres.js';

/** The run's PostgreSQL database when the suite runs on PostgreSQL (TEST_DATABASE_URL), else ''. */
export const postgresUrl = inject('postgresUrl');
/** The database the suite runs on. */
export const dialect: 'sqlite' | 'postgres' = postgresUrl === '' ? 'sqlite' : 'postgres';

/** A new, empty schema in the run's database; the run's end drops it with the database. */
export async function createSchema(): Promise<string> {
  const schema = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
  await withClient(postgresUrl, (client) => client.query(`create schema ${schema}`));
  return schema;
}

/** A URL of the run's database whose connections see `schema` only (and pg_catalog). */
export function schemaUrl(schema: string): string {
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * The DATABASE_URL of a new, empty database of the dialect the suite runs on: on SQLite the file
 * given (for tests where several processes share it) or a throwaway in-memory one; on PostgreSQL a
 * new schema of the run's database.
 */
export async function freshDatabaseUrl(sqliteFile = ':memory:'): Promise<string> {
  return dialect === 'sqlite' ? `sqlite:${sqliteFile}` : schemaUrl(await createSchema());
}

/** The configuration of a fresh database (see freshDatabaseUrl). */
export async function freshDatabaseConfig(sqliteFile?: string): Promise<DatabaseConfig> {
  return loadConfig({ DATABASE_URL: await freshDatabaseUrl(sqliteFile) }).database;
}

/** A database migrated by the migrator the app runs: a fresh one (see freshDatabaseUrl) unless told otherwise. */
export async function migratedDatabase(config?: DatabaseConfig): Promise<Kysely<Database>> {
  const db = createDatabase(config ?? (await freshDatabaseConfig()));
  await migrateToLatest(db);
  return db;
}

/** The migration just before `name` in the list the app runs, whichever that is when others are added. */
export function migrationBefore(name: string): string {
  const names = Object.keys(migrations);
  const at = names.indexOf(name);
  if (at < 1) {
    throw new Error(`no migration before ${name}: it is ${at === 0 ? 'the first' : 'not in the list'}`);
  }
  return names[at - 1] ?? '';
}

/** A fresh database (see freshDatabaseUrl) migrated up to `name` and no further: a migration's test starts there. */
export async function databaseMigratedTo(name: string): Promise<Kysely<Database>> {
  const db = createDatabase(await freshDatabaseConfig());
  const { error } = await (await createMigrator(db)).migrateTo(name);
  if (error !== undefined) {
    await db.destroy();
    throw new Error(`migrating to ${name} failed`, { cause: error });
  }
  return db;
}
