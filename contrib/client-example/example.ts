// A typed client of the inventory API with openapi-fetch, its types generated from the API's own
// OpenAPI document (`npm run client:types` writes ./openapi.d.ts). It lists the production web
// servers, creates a server, and puts it in maintenance with a JSON Merge Patch:
//
//   INVENTORY_URL=http://127.0.0.1:5000 INVENTORY_TOKEN=... npx tsx contrib/client-example/example.ts web-test-01 192.0.2.10
//
// Every request and answer is checked against the document by tsc: a path, a parameter or a field
// that the API no longer has is a compile error here.
import createClient from 'openapi-fetch';
import type { components, paths } from './openapi.js';

type Server = components['schemas']['Server'];
type ApiError = components['schemas']['Error'];

const baseUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:5000';
const token = process.env.INVENTORY_TOKEN;
const [hostname = 'web-test-01', ip = '192.0.2.10'] = process.argv.slice(2);

const client = createClient<paths>({
  baseUrl,
  headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
});

/** The error body as one line: the code, then what was wrong, field by field. */
function describe(error: ApiError): string {
  const details = (error.details ?? []).map((d) => `${d.field}: ${d.message}`).join('; ');
  return `${error.code}: ${error.error}${details === '' ? '' : ` (${details})`}`;
}

function print(what: string, value: unknown): void {
  process.stdout.write(`${JSON.stringify({ [what]: value })}\n`);
}

// A filter takes several values (repeated in the query); `limit` is a number, `status` a known status.
const listed = await client.GET('/api/v1/servers', {
  params: { query: { environment: ['production'], role: ['web'], status: ['up', 'maintenance'], limit: 10 } },
});
if (listed.error !== undefined) {
  throw new Error(`listing failed: ${describe(listed.error)}`);
}
print('listed', { count: listed.data.count, hostnames: listed.data.servers.map((s) => s.hostname) });

// One server in, one server out (an array in would give an array out).
const created = await client.POST('/api/v1/servers', {
  body: { hostname, ip, environment: 'staging', role: 'web', tags: ['example'] },
});
if (created.error !== undefined) {
  throw new Error(`creating failed: ${describe(created.error)}`);
}
if (Array.isArray(created.data)) {
  throw new Error('one server was sent, an array came back');
}
const server: Server = created.data;
print('created', { id: server.id, hostname: server.hostname, etag: created.response.headers.get('etag') });

const patched = await client.PATCH('/api/v1/servers/{id}', {
  params: { path: { id: String(server.id) } },
  headers: { 'content-type': 'application/merge-patch+json', 'if-match': created.response.headers.get('etag') },
  body: { status: 'maintenance', notes: 'Patched by the typed client example' },
});
if (patched.error !== undefined) {
  throw new Error(`patching failed: ${describe(patched.error)}`);
}
print('patched', { id: patched.data.id, status: patched.data.status, notes: patched.data.notes });
