// The OpenAPI document as GET /api/v1/openapi.json serves it, from the app itself: built on a throwaway
// in-memory SQLite database, never listening. `tsx scripts/openapi/document.ts [file]` writes it
// (to stdout without a file).
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { OpenAPIV3_1 } from 'openapi-types';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { createLogger } from '../../src/logger.js';
import { OPENAPI_PATH } from '../../src/plugins/openapi.js';

/** The document the app publishes, with the given configuration on top of the defaults. */
export async function openapiDocument(env: Record<string, string> = {}): Promise<OpenAPIV3_1.Document> {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent', ...env });
  const db = createDatabase(config.database);
  await migrateToLatest(db);
  // It never serves: no delivery worker.
  const app = await buildApp({ config, db, logger: createLogger(config), deliveryWorker: false });
  try {
    const res = await app.inject({ method: 'GET', url: OPENAPI_PATH });
    if (res.statusCode !== 200) {
      throw new Error(`GET ${OPENAPI_PATH} answered ${res.statusCode}: ${res.body}`);
    }
    return res.json<OpenAPIV3_1.Document>();
  } finally {
    await app.close();
  }
}

// Run as a script, not imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = `${JSON.stringify(await openapiDocument(), null, 2)}\n`;
  const file = process.argv[2];
  if (file === undefined) {
    process.stdout.write(text);
  } else {
    writeFileSync(file, text);
  }
}
