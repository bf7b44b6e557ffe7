// The benchmark's webhook receiver: a bare node:http server in a process of its own that answers every
// POST with 204 at once and records when it arrived (the moment its headers were parsed) and its
// webhook-id. It checks no signature: what it measures is the inventory's delivery, not a receiver.
// GET /arrivals?from=N answers the arrivals from the N-th on, as [[webhook-id, ms], ...], where ms is
// performance.timeOrigin + performance.now(): the harness times its writes on the same clock.
// Usage: node --import tsx bench/webhook-receiver.ts
import { createServer } from 'node:http';

const ids: string[] = [];
const times: number[] = [];

const server = createServer((req, res) => {
  const at = performance.timeOrigin + performance.now();
  if (req.method === 'POST') {
    ids.push(String(req.headers['webhook-id'] ?? ''));
    times.push(at);
    // Answered before the body is read: the sender has written it whole already (one small write), and
    // node:http reads what is left before the connection closes.
    res.writeHead(204).end();
    req.resume();
    return;
  }
  const url = new URL(req.url ?? '/', 'http://receiver');
  if (req.method === 'GET' && url.pathname === '/arrivals') {
    const from = Number(url.searchParams.get('from') ?? 0);
    const arrivals = ids.slice(from).map((id, i) => [id, times[from + i]]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: ids.length, arrivals }));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: ids.length }));
    return;
  }
  res.writeHead(404).end();
});
// Every attempt opens a connection of its own: a backlog that holds a burst of them.
server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') {
    process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
