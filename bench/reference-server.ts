// The references: a bare node:http server answering
// - GET /api/v1/servers/{id} with the bytes the API sends for it (the same body, ETag and headers),
//   every answer computed once at the start. No framework, no database, no logging, no serialisation:
//   the ceiling for any Node.js server on this machine;
// - GET /api/v1/servers (given PAGE.json) with the API's default page, serialised from memory with
//   JSON.stringify on each request, and the API's headers for it: a server with no database.
// Usage: node --import tsx bench/reference-server.ts SERVERS.ndjson HEADERS.json [PAGE.json PAGE_HEADERS.json]
//   SERVERS.ndjson: the API's NDJSON export (each line a server as lists give it);
//   HEADERS.json: the headers of one of the API's answers to GET /api/v1/servers/{id}, as an object;
//   PAGE.json, PAGE_HEADERS.json: the API's answer to GET /api/v1/servers and its headers.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [serversFile, headersFile, pageFile, pageHeadersFile] = process.argv.slice(2);
if (
  serversFile === undefined ||
  headersFile === undefined ||
  (pageFile === undefined) !== (pageHeadersFile === undefined)
) {
  process.stderr.write('usage: reference-server.ts SERVERS.ndjson HEADERS.json [PAGE.json PAGE_HEADERS.json]\n');
  process.exit(2);
}

/** Headers Node.js writes itself (Date, Connection, Keep-Alive), or that differ per answer (length, ETag). */
const OWN = new Set(['date', 'connection', 'keep-alive', 'content-length', 'etag', 'transfer-encoding']);
/** The headers of an answer of the API (a JSON object in `file`), but those of OWN. */
const headersOf = (file: string) =>
  Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
    .filter(([name]) => !OWN.has(name.toLowerCase()))
    .flat();
const shared = headersOf(headersFile);

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
    headers: [...shared, 'etag', `"${server.id}-1"`, 'content-length', String(body.length)],
  });
}

/** The default page as objects, and its headers: serialised on each request, as a server of objects would. */
const page = pageFile === undefined ? undefined : (JSON.parse(readFileSync(pageFile, 'utf8')) as unknown);
const pageHeaders = pageHeadersFile === undefined ? [] : headersOf(pageHeadersFile);

const LIST = '/api/v1/servers';
const PREFIX = '/api/v1/servers/';
const notFoundBody = Buffer.from(JSON.stringify({ error: 'Server not found', code: 'SERVER_NOT_FOUND' }));
const NOT_FOUND = ['content-type', 'application/json; charset=utf-8', 'content-length', String(notFoundBody.length)];

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (page !== undefined && req.method === 'GET' && url === LIST) {
    const body = JSON.stringify(page);
    res.writeHead(200, [...pageHeaders, 'content-length', String(Buffer.byteLength(body))]).end(body);
    return;
  }
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
