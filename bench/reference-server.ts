// The reference: a bare node:http server answering GET /api/v1/servers/{id} with the same JSON as
// the API, from memory. No framework, no database, no logging: the ceiling for any Node.js API on
// this machine. Usage: node --import tsx bench/reference-server.ts SERVERS.json
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: reference-server.ts SERVERS.json\n');
  process.exit(2);
}
const servers = new Map<number, { id: number }>();
for (const server of JSON.parse(readFileSync(file, 'utf8')) as { id: number; version?: number }[]) {
  servers.set(server.id, server);
}

const PATH = /^\/api\/v1\/servers\/([1-9][0-9]{0,9})$/;
const NOT_FOUND = JSON.stringify({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });

const server = createServer((req, res) => {
  const id = PATH.exec(req.url ?? '')?.[1];
  const found = req.method === 'GET' && id !== undefined ? servers.get(Number(id)) : undefined;
  if (found === undefined) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(NOT_FOUND);
    return;
  }
  // Serialised per request, as the API does, with the same ETag header.
  res
    .writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: `"${found.id}-1"` })
    .end(JSON.stringify(found));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') {
    process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
