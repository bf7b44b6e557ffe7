import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/connect.js';
import { migrateToLatest, pendingMigrations } from './db/migrator.js';
import { initialiseInventory } from './db/seed.js';
import { createLogger } from './logger.js';

function readConfig() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = createLogger(config);

async function prepareDatabase() {
  const db = createDatabase(config.database, {
    onIdleConnectionError: (err) => {
      logger.warn({ err }, 'an idle database connection failed; it is replaced');
    },
  });
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      if (!config.migrate) {
        throw new Error(
          `The database schema is behind this version: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
            'Run the migrations first (node cli.mjs migrate, or npm run cli -- migrate), or set INVENTORY_MIGRATE=true.',
        );
      }
      // Several replicas may start at once: the migrator's lock lets one apply, the others find nothing to do.
      await migrateToLatest(db);
    }
    const { seeded } = await initialiseInventory(db, { seed: config.seed });
    if (seeded) {
      logger.info('new database: seeded the sample servers');
    }
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

let db;
try {
  db = await prepareDatabase();
} catch (err) {
  logger.fatal({ err }, 'could not open and migrate the database');
  process.exit(1);
}
const app = await buildApp({ config, db, logger });

// In-flight requests get SHUTDOWN_GRACE_MS to finish; past that the process exits 1.
closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ signal, err }) => {
  if (err !== undefined) {
    logger.error({ err }, 'shutting down after an uncaught error');
  } else {
    logger.info({ signal }, 'shutting down');
  }
  await app.close();
});

await app.listen({ port: config.port, host: config.host });
