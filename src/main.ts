import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, describeDatabase, loadConfig } from './config.js';
import { dropOrphanValueIndexes } from './custom-fields/custom-fields.indexes.js';
import { createDatabase } from './db/connect.js';
import { ensureSchema } from './db/migrator.js';
import { initialiseInventory } from './db/seed.js';
import { createLogger, flushLogs } from './logger.js';

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
    onConnectionError: ({ message, code }) => {
      // The message and code only: the error carries the whole client, its cancel key included.
      logger.warn({ err: { message, code } }, 'a database connection failed; the pool replaces it');
    },
  });
  try {
    await ensureSchema(db, { migrate: config.migrate });
    const { seeded } = await initialiseInventory(db, { seed: config.seed });
    if (seeded) {
      logger.info('new database: seeded the sample servers');
    }
    const dropped = await dropOrphanValueIndexes(db, logger);
    if (dropped.length > 0) {
      logger.info({ indexes: dropped }, 'dropped the indexes of deleted custom fields');
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
  await flushLogs();
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
  // The last lines, the shutdown's included, reach a slow reader before the process exits.
  await flushLogs();
});

const url = await app.listen({ port: config.port, host: config.host });
const database = describeDatabase(config.database);
const consoleAt = config.uiEnabled ? `console at ${url}/, ` : '';
logger.info(
  { url, docs: `${url}/docs`, database },
  `inventory-api ${url}: ${consoleAt}documentation at ${url}/docs, database ${database}`,
);
