// The feeds of an inventory larger than one chunk of rows (FEED_CHUNK): the chunked text must be the
// text of the whole inventory at once, groups must gather hosts from every chunk, and every chunk must
// read the same moment of the inventory.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChangesService } from '../../src/changes/changes.service.js';
import { ansibleWriter } from '../../src/integrations/ansible.js';
import { prometheusWriter } from '../../src/integrations/prometheus.js';
import type { FeedServer } from '../../src/servers/servers.mapper.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import type { ListedServer } from '../../src/servers/servers.schemas.js';
import { FEED_CHUNK, createServersService } from '../../src/servers/servers.service.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { defineFields } from '../helpers/custom-fields.js';
import { type StoredServer, serverRow } from '../helpers/servers.js';

/** No overload protection: the apps other tests build beside it hold the event loop for a second at times. */
const CALM = { MAX_EVENT_LOOP_DELAY_MS: '0' };

/** Two whole chunks and a part of a third. */
const N = 2 * FEED_CHUNK + 500;
/** Stored before host names were checked against the reserved ones, in the middle chunk. */
const RESERVED_AT = FEED_CHUNK + 500;
const DEFINITIONS = [{ name: 'rack' }, { name: 'u' }, { name: 'backup' }];

/** The i-th server (ids 1 to N on the empty inventory). */
function serverAt(i: number): StoredServer {
  const custom: Record<string, string | number | boolean> = {};
  if (i % 11 === 0) {
    custom.backup = i % 2 === 0;
  }
  if (i % 7 === 0) {
    custom.rack = `R{{ ${i} }}`;
    custom.u = (i % 48) + 1;
  }
  return serverRow({
    hostname: i === RESERVED_AT ? 'localhost' : `host-${i}.example.com`,
    ip: i % 5 === 0 ? `fd00::${i.toString(16)}` : `10.1.${i >> 8}.${i & 255}`,
    status: i % 10 === 3 ? 'decommissioned' : i % 10 === 4 ? 'down' : 'up',
    // One value held by the first server and the last only: a group made of two chunks' hosts.
    environment: i === 1 || i === N ? 'edge' : i % 3 === 0 ? null : 'production',
    // Exactly the second chunk's servers.
    role: i > FEED_CHUNK && i <= 2 * FEED_CHUNK ? 'exact' : i % 2 === 0 ? 'web' : 'db',
    location: i % 250 === 0 ? 'par-1' : null,
    tags: i % 4 === 0 ? ['pci'] : i % 4 === 1 ? ['edge', 'pci'] : [],
    notes: i % 100 === 0 ? `{{ lookup("pipe", "id") }} "${i}"\n` : null,
    managed_by: i % 500 === 0 ? 'vcenter-sync' : null,
    custom_fields: custom,
  });
}

const hostname = (i: number) => `host-${i}.example.com`;

/** A writer's text for these servers given all at once, in one chunk. */
function wholeText(
  writer: { start(): string; add(servers: readonly FeedServer[]): string; end(): Iterable<string> },
  servers: readonly FeedServer[],
): string {
  return `${writer.start()}${writer.add(servers)}${[...writer.end()].join('')}`;
}

const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

interface Inventory {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  all: { children: string[] };
  [group: string]: unknown;
}

let t: TestApp;
/** Every server as the export gives it, in id order. */
let stored: ListedServer[];
beforeAll(async () => {
  t = await buildTestApp({ seed: false, env: CALM });
  await defineFields(t.app, [
    { name: 'rack', type: 'string' },
    { name: 'u', type: 'integer' },
    { name: 'backup', type: 'boolean' },
  ]);
  await insertServers(
    t.db,
    Array.from({ length: N }, (_, i) => serverAt(i + 1)),
  );
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=ndjson' });
  stored = res.body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ListedServer);
  expect(stored.map((server) => server.id)).toStrictEqual(Array.from({ length: N }, (_, i) => i + 1));
});
afterAll(async () => {
  await t.app.close();
});

describe('GET /api/v1/integrations/ansible over several chunks of servers', () => {
  it('answers the text of the whole inventory at once, byte for byte, with its length and ETag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(wholeText(ansibleWriter(DEFINITIONS), stored));
    // What JSON.stringify gives for the inventory as an object.
    expect(JSON.stringify(res.json())).toBe(res.body);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    expect(res.headers.etag).toBe(etagOf(res.body));
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('lists every host once in id order, groups with hosts from every chunk, and leaves out the reserved name', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    const inventory = res.json<Inventory>();
    const expected = Array.from({ length: N }, (_, i) => i + 1)
      .filter((i) => i !== RESERVED_AT)
      .map(hostname);
    expect(Object.keys(inventory._meta.hostvars)).toStrictEqual(expected);
    expect(inventory.env_edge).toStrictEqual({ hosts: [hostname(1), hostname(N)] });
    const pci = expected.filter((_, index) => {
      const i = index + 1 >= RESERVED_AT ? index + 2 : index + 1;
      return i % 4 === 0 || i % 4 === 1;
    });
    expect(inventory.tag_pci).toStrictEqual({ hosts: pci });
    expect(inventory.role_exact).toStrictEqual({
      hosts: Array.from({ length: FEED_CHUNK }, (_, i) => FEED_CHUNK + 1 + i)
        .filter((i) => i !== RESERVED_AT)
        .map(hostname),
    });
    expect(res.body).not.toContain('"localhost"');
    // A host of the last chunk, with its custom variables and its notes unsafe.
    expect(inventory._meta.hostvars[hostname(2100)]).toMatchObject({
      server_id: 2100,
      server_notes: { __ansible_unsafe: '{{ lookup("pipe", "id") }} "2100"\n' },
      server_cf_rack: { __ansible_unsafe: 'R{{ 2100 }}' },
      server_cf_u: (2100 % 48) + 1,
    });
    expect(inventory._meta.hostvars[hostname(2100)]).not.toHaveProperty('server_cf_backup');
    expect(inventory._meta.hostvars[hostname(2310)]).toMatchObject({ server_cf_backup: true, server_cf_u: 7 });
    const warnings = t.logs.entries().filter((entry) => entry.level === 40);
    expect(warnings.at(-1)).toMatchObject({ hostnames: ['localhost'] });
  });

  it('answers a filter that matches exactly one chunk, and one that matches nothing', async () => {
    const exact = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible?role=exact' });
    expect(exact.statusCode).toBe(200);
    expect(Object.keys(exact.json<Inventory>()._meta.hostvars)).toHaveLength(FEED_CHUNK - 1);
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible?role=nothing' });
    expect(none.body).toBe('{"_meta":{"hostvars":{}},"all":{"children":["ungrouped"]},"ungrouped":{"hosts":[]}}');
    expect(none.headers['content-length']).toBe(String(none.body.length));
  });
});

describe('GET /api/v1/integrations/prometheus over several chunks of servers', () => {
  it('answers the text of every target at once, byte for byte, with its length and ETag', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/prometheus?port=9182' });
    expect(res.statusCode).toBe(200);
    const listed = stored.filter((server) => server.status !== 'decommissioned');
    expect(res.body).toBe(wholeText(prometheusWriter(9182, DEFINITIONS), listed));
    expect(JSON.stringify(res.json())).toBe(res.body);
    const targets = res.json<{ targets: string[]; labels: Record<string, string> }[]>();
    expect(targets).toHaveLength(listed.length);
    expect(targets.at(-1)).toStrictEqual({
      targets: [`[fd00::${N.toString(16)}]:9182`],
      labels: {
        __meta_inventory_id: String(N),
        __meta_inventory_hostname: hostname(N),
        __meta_inventory_status: 'up',
        __meta_inventory_environment: 'edge',
        __meta_inventory_role: 'web',
        __meta_inventory_location: 'par-1',
        __meta_inventory_os: '',
        __meta_inventory_tags: ',pci,',
        __meta_inventory_managed_by: 'vcenter-sync',
      },
    });
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    expect(res.headers.etag).toBe(etagOf(res.body));
  });

  it('answers a filter that matches exactly one chunk, and one that matches nothing', async () => {
    const exact = await t.app.inject({
      method: 'GET',
      url: '/api/v1/integrations/prometheus?role=exact&status=up,down,maintenance,decommissioned',
    });
    expect(exact.json<unknown[]>()).toHaveLength(FEED_CHUNK);
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/prometheus?role=nothing' });
    expect(none.body).toBe('[]');
  });
});

describe('ServersService.feedServers', () => {
  it('reads every chunk at the moment of the first: a rename meanwhile shows in the next feed only', async () => {
    const service = createServersService(t.db, createChangesService(t.db));
    const seen: string[] = [];
    const chunkSizes: number[] = [];
    let rename: Promise<unknown> | undefined;
    await service.feedServers({}, (servers) => {
      chunkSizes.push(servers.length);
      seen.push(...servers.map((server) => server.hostname));
      // Renames a server of the last chunk while the feed is read (on PostgreSQL, on another connection).
      rename ??= t.app
        .inject({
          method: 'PATCH',
          url: `/api/v1/servers/${N}`,
          headers: AS_BOOTSTRAP,
          payload: { hostname: 'renamed-last' },
        })
        .then((res) => {
          expect(res.statusCode, res.body).toBe(200);
        });
    });
    await rename;
    expect(chunkSizes).toStrictEqual([FEED_CHUNK, FEED_CHUNK, N - 2 * FEED_CHUNK]);
    expect(seen.at(-1)).toBe(hostname(N));
    expect(seen).not.toContain('renamed-last');
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/integrations/ansible' });
    expect(Object.keys(after.json<Inventory>()._meta.hostvars).at(-1)).toBe('renamed-last');
  });
});

describe('ansibleWriter and prometheusWriter', () => {
  /** Servers with unique host names, some of them reserved (`*.localhost`), and the chunks they are cut into. */
  const cutInventory = fc
    .array(
      fc.record({
        reserved: fc.boolean(),
        role: fc.constantFrom(null, 'web', 'web-app', 'web_app'),
        tags: fc.uniqueArray(fc.constantFrom('a', 'b.c', 'b_c'), { maxLength: 3 }),
        rack: fc.option(fc.constantFrom('R1', '{{ x }}', '"q"\\'), { nil: undefined }),
        u: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
      }),
      { maxLength: 25 },
    )
    .chain((fields) =>
      fc.record({
        servers: fc.constant(
          fields.map(({ reserved, role, tags, rack, u }, i): FeedServer => ({
            ...serverRow({ hostname: reserved ? `h${i}.localhost` : `h${i}`, ip: `10.0.0.${i}`, role, tags }),
            id: i + 1,
            status: i % 3 === 0 ? 'down' : 'up',
            custom_fields: { ...(rack === undefined ? {} : { rack }), ...(u === undefined ? {} : { u }) },
          })),
        ),
        cuts: fc.uniqueArray(fc.integer({ min: 0, max: fields.length }), { maxLength: 6 }),
      }),
    );

  /** The servers in chunks at the given cut points (empty chunks and chunks of reserved names among them). */
  function chunked(servers: FeedServer[], cuts: number[]): FeedServer[][] {
    const points = [0, ...[...cuts].sort((a, b) => a - b), servers.length];
    return points.slice(1).map((end, i) => servers.slice(points[i], end));
  }

  it('write the same text however the servers are cut into chunks', () => {
    const definitions = [{ name: 'rack' }, { name: 'u' }];
    fc.assert(
      fc.property(cutInventory, ({ servers, cuts }) => {
        for (const make of [() => ansibleWriter(definitions), () => prometheusWriter(9100, definitions)]) {
          const writer = make();
          const text = [writer.start(), ...chunked(servers, cuts).map((chunk) => writer.add(chunk)), ...writer.end()];
          expect(text.join('')).toBe(wholeText(make(), servers));
          // Valid JSON, in the form JSON.stringify gives.
          expect(JSON.stringify(JSON.parse(text.join('')))).toBe(text.join(''));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('name the servers left out in their order, whichever chunk they come in', () => {
    const writer = ansibleWriter([]);
    const [a, b, c] = [1, 2, 3].map((id): FeedServer => ({
      ...serverRow({ hostname: id === 2 ? 'h2' : `h${id}.localhost`, ip: `10.0.0.${id}` }),
      id,
      status: 'up',
    })) as [FeedServer, FeedServer, FeedServer];
    expect(writer.add([a])).toBe('');
    expect(writer.add([b])).toMatch(/^"h2":\{/);
    expect(writer.add([c])).toBe('');
    expect(writer.leftOut).toStrictEqual(['h1.localhost', 'h3.localhost']);
  });
});
