import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrator.js';

const USAGE = `Usage: npm run cli -- <command>

Commands:
  migrate   bring the database schema up to date (DATABASE_URL), then exit
  help      show this message

Configuration comes from the same environment variables as the server.`;

async function migrate(): Promise<void> {
  const config = loadConfig(process.env);
  const db = createDatabase(config.database);
  try {
    const { results } = await migrateToLatest(db);
    const applied = (results ?? []).filter((r) => r.status === 'Success');
    process.stdout.write(
      applied.length === 0
        ? 'Database schema is up to date.\n'
        : applied.map((r) => `Applied ${r.migrationName}\n`).join(''),
    );
  } finally {
    await db.destroy();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true });
  const [command] = positionals;
  switch (command) {
    case 'migrate':
      await migrate();
      return 0;
    case 'help':
    case undefined:
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
