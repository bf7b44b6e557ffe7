// The reference: a bare node:http server answering GET /api/v1/servers/{id} with the bytes the API sends
// for it (the same body, ETag and headers), every answer computed once at the start. No framework, no
// database, no logging, no serialisation: the ceiling for any Node.js server on this machine.
// Usage: node --import tsx bench/reference-server.ts SERVERS.ndjson HEADERS.json
//   SERVERS.ndjson: the API's NDJSON export (each line a server as lists give it);
//   HEADERS.json: the headers of one of the API's answers to GET /api/v1/servers/{id}, as an object.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [serversFile, headersFile] = process.argv.slice(2);
if (serversFile === undefined || headersFile === undefined) {
  process.stderr.write('usage: reference-server.ts SERVERS.ndjson HEADERS.json\n');
  process.exit(2);
}

/** Headers Node.js writes itself (Date, Connection, Keep-Alive), or that differ per answer (length, ETag). */
const OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'etag', 'transfer-encoding']);
const shared = Object.entries(JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>).filter(
  ([name]) => !OWN.has(name.toLowerCase()),
);

interface Answer {
  body: Buffer;
  headers: string[];
}
const answers = new Map<number, Answer>();
for (const line of readFileSync(serversFile, 'utf8').split('\n')) {
  if (line === '') {
    continue;
  }
  // A server as GET by id gives it: the list's form without last_seen_at (a header there, when set).
  const server = JSON.parse(line) as { id: number; last_seen_at?: unknown };
  delete server.last_seen_at;
  const body = Buffer.from(JSON.stringify(server));
  answers.set(server.id, {
    body,
    // The seeded servers have never been changed: version 1, as the API's ETag says.
    headers: [...shared.flat(), 'etag', `"${server.id}-1"`, 'content-length', String(body.length)],
  });
}

const PREFIX = '/api/v1/servers/';
const notFoundBody = Buffer.from(JSON.stringify({ error: 'Server not found', code: 'SERVER_NOT_FOUND' }));
const NOT_FOUND = ['content-type', 'application/json; charset=utf-8', 'content-length', String(notFoundBody.length)];

const server = createServer((req, res) => {
  const url = req.url ?? '';
  const answer =
    req.method === 'GET' && url.startsWith(PREFIX) ? answers.get(Number(url.slice(PREFIX.length))) : undefined;
  if (answer === undefined) {
    res.writeHead(404, NOT_FOUND).end(notFoundBody);
    return;
  }
  res.writeHead(200, answer.headers).end(answer.body);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') {
    process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
