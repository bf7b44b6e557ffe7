// The framework's floor: a bare Fastify server answering GET /api/v1/servers/{id} from the API's SQLite
// database (opened read-only) with one prepared statement, the API's own mapper (toServer) and response
// schema, and its ETag. No hooks: no request id, logging, metrics, security headers, authentication,
// validation or load checks, and no query builder. What the API does on top of Fastify costs what the
// API measures below this; what this measures below the bare node:http reference is Fastify's own
// share (docs/benchmarks.md).
// Usage: node --import tsx bench/fastify-floor.ts DATABASE_FILE
import Fastify from 'fastify';
import { SQLite } from '../src/db/sqlite-driver.js';
import type { ServerRow } from '../src/db/types.js';
import { SERVER_COLUMNS } from '../src/servers/servers.repository.js';
import { toServer } from '../src/servers/servers.mapper.js';
import { Server } from '../src/servers/servers.schemas.js';

const [file] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: fastify-floor.ts DATABASE_FILE\n');
  process.exit(2);
}

const db = new SQLite(file, { readonly: true });
const byId = db.prepare<[number], ServerRow>(
  `SELECT ${SERVER_COLUMNS.map((column) => `"${column}"`).join(', ')} FROM servers WHERE id = ?`,
);
const notFound = { error: 'Server not found', code: 'SERVER_NOT_FOUND' };

const app = Fastify({ logger: false, keepAliveTimeout: 72_000 });
app.get<{ Params: { id: string } }>(
  '/api/v1/servers/:id',
  { schema: { response: { 200: Server } } },
  (request, reply) => {
    const row = byId.get(Number(request.params.id));
    if (row === undefined) {
      return reply.code(404).send(notFound);
    }
    return reply.header('etag', `"${row.id}-${row.version}"`).send(toServer(row));
  },
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${url}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
