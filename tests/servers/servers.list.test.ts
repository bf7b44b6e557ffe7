import { type Compilable, sql } from 'kysely';
import type { LightMyRequestResponse as LightResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAfter, applyFilters, applySort } from '../../src/servers/query/sql.js';
import { type ServerFields, insertServers } from '../../src/servers/servers.repository.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';
import { DEFAULT_FIELDS } from '../helpers/servers.js';

interface ServerBody {
  id: number;
  hostname: string;
  ip: string;
  status: string;
  environment: string | null;
  tags: string[];
  updated_at: string;
}
interface ListBody {
  servers: ServerBody[];
  count: number;
  next: string | null;
}

const base = DEFAULT_FIELDS;

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
  const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
  const rows: (ServerFields & { created_at: string; updated_at: string })[] = [
    { ...base, hostname: 'web-1', ip: '10.0.0.10', environment: 'production', role: 'web', tags: ['pci', 'edge'] },
    { ...base, hostname: 'web-2', ip: '10.0.0.9', environment: 'production', role: 'web', tags: ['edge'] },
    {
      ...base,
      hostname: 'db-1',
      ip: '10.0.1.5',
      status: 'down',
      environment: 'production',
      role: 'database',
      tags: ['pci'],
    },
    { ...base, hostname: 'db-2', ip: '2001:db8::2', status: 'maintenance', environment: 'staging', role: 'database' },
    {
      ...base,
      hostname: 'cache-1',
      ip: '192.168.1.7',
      environment: 'staging',
      os: 'debian-12',
      notes: 'Rack 4: 50%_full',
    },
    { ...base, hostname: 'old-1', ip: 'fd00::1', status: 'decommissioned', location: 'par-1', notes: 'Équipe Zürich' },
    { ...base, hostname: 'v6-big', ip: '2001:db8::10', location: 'par-1', tags: ['pci'] },
    { ...base, hostname: 'v6-small', ip: '::1', location: 'ams-2' },
  ].map((row, i) => ({ ...row, created_at: at(i), updated_at: at(10 + i) }));
  await insertServers(t.db, rows);
});
afterAll(async () => {
  await t.app.close();
});

async function list(query: string): Promise<ListBody> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers${query}` });
  expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
  return res.json<ListBody>();
}
async function hostnames(query: string): Promise<string[]> {
  return (await list(query)).servers.map((s) => s.hostname);
}

describe('GET /api/v1/servers filters', () => {
  it.each([
    ['?status=down', ['db-1']],
    ['?status=down,maintenance', ['db-1', 'db-2']],
    ['?status=down&status=maintenance', ['db-1', 'db-2']],
    ['?environment=staging', ['db-2', 'cache-1']],
    ['?role=database&environment=production', ['db-1']],
    ['?location=par-1', ['old-1', 'v6-big']],
    ['?os=debian-12', ['cache-1']],
    ['?hostname=WEB-1', ['web-1']],
    ['?hostname=web', []],
    ['?ip=2001:DB8:0::2', ['db-2']],
    ['?ip=10.0.0.9,::1', ['web-2', 'v6-small']],
    ['?tag=pci', ['web-1', 'db-1', 'v6-big']],
    ['?tag=pci&tag=edge', ['web-1']],
    ['?tag=pci,edge', ['web-1']],
    ['?q=DB', ['db-1', 'db-2']],
    ['?q=rack', ['cache-1']],
    ['?q=50%25_', ['cache-1']],
    ['?q=%25', ['cache-1']],
    ['?q=_', ['cache-1']],
    ['?q=%C3%89QUIPE', ['old-1']],
    ['?q=%C3%A9quipe', ['old-1']],
    ['?q=%5C', []],
    ['?cidr=10.0.0.0/8', ['web-1', 'web-2', 'db-1']],
    ['?cidr=10.0.0.0/24', ['web-1', 'web-2']],
    ['?cidr=10.0.0.9/32', ['web-2']],
    ['?cidr=2001:db8::/32', ['db-2', 'v6-big']],
    ['?cidr=::/0', ['db-2', 'old-1', 'v6-big', 'v6-small']],
    ['?cidr=0.0.0.0/0', ['web-1', 'web-2', 'db-1', 'cache-1']],
    ['?cidr=10.0.1.0/24,192.168.0.0/16', ['db-1', 'cache-1']],
    ['?updated_since=2026-01-01T00:15:00Z', ['old-1', 'v6-big', 'v6-small']],
    ['?updated_since=2026-01-01T01:15:00%2B01:00', ['old-1', 'v6-big', 'v6-small']],
    ['?status=up&cidr=10.0.0.0/8&tag=edge', ['web-1', 'web-2']],
  ])('%s', async (query, expected) => {
    const body = await list(query);
    expect(body.servers.map((s) => s.hostname)).toStrictEqual(expected);
    expect(body.count).toBe(expected.length);
  });

  it.each([
    ['?status=upp', 'status'],
    ['?status=up,', 'status'],
    ['?environment=', 'environment'],
    ['?ip=10.0.0', 'ip'],
    ['?ip=010.0.0.1', 'ip'],
    ['?tag=PCI', 'tag'],
    ['?cidr=10.0.0.0', 'cidr'],
    ['?cidr=10.0.0.0/33', 'cidr'],
    ['?cidr=fd00::/129', 'cidr'],
    ['?cidr=10/8', 'cidr'],
    ['?updated_since=yesterday', 'updated_since'],
    ['?updated_since=2026-12-31T23:59:60Z', 'updated_since'],
    ['?updated_since=9999-12-31T23:59:59-23:59', 'updated_since'],
    ['?q=%00', 'q'],
    ['?q=a%0Ab', 'q'],
    ['?hostname=not%20a%20host', 'hostname'],
    ['?updated_since=2026-01-01', 'updated_since'],
    ['?q=', 'q'],
    ['?q=a&q=b', 'q'],
    ['?stauts=up', 'stauts'],
    ['?limit=0', 'limit'],
    ['?limit=1001', 'limit'],
    ['?offset=-1', 'offset'],
    ['?sort=name', 'sort'],
    ['?sort=ip,-ip', 'sort'],
    ['?cursor=garbage', 'cursor'],
    ['?format=xml', 'format'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers${query}` });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; details: { field: string }[] }>();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.details.map((d) => d.field)).toContain(field);
  });

  it('names every bad parameter at once', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?status=x&cidr=y&sort=z' });
    expect(res.json<{ details: { field: string }[] }>().details.map((d) => d.field)).toStrictEqual([
      'status',
      'cidr',
      'sort',
    ]);
  });
});

describe('GET /api/v1/servers sort', () => {
  it('sorts by ip numerically, IPv4 before IPv6', async () => {
    expect(await list('?sort=ip').then((b) => b.servers.map((s) => s.ip))).toStrictEqual([
      '10.0.0.9',
      '10.0.0.10',
      '10.0.1.5',
      '192.168.1.7',
      '::1',
      '2001:db8::2',
      '2001:db8::10',
      'fd00::1',
    ]);
    expect(await list('?sort=-ip').then((b) => b.servers.map((s) => s.ip)[0])).toBe('fd00::1');
  });

  it.each([
    ['?sort=hostname', ['cache-1', 'db-1', 'db-2', 'old-1', 'v6-big', 'v6-small', 'web-1', 'web-2']],
    ['?sort=-hostname', ['web-2', 'web-1', 'v6-small', 'v6-big', 'old-1', 'db-2', 'db-1', 'cache-1']],
    ['?sort=status,hostname', ['old-1', 'db-1', 'db-2', 'cache-1', 'v6-big', 'v6-small', 'web-1', 'web-2']],
    ['?sort=environment', ['old-1', 'v6-big', 'v6-small', 'web-1', 'web-2', 'db-1', 'db-2', 'cache-1']],
    ['?sort=-environment,-id', ['cache-1', 'db-2', 'db-1', 'web-2', 'web-1', 'v6-small', 'v6-big', 'old-1']],
    ['?sort=-updated_at', ['v6-small', 'v6-big', 'old-1', 'cache-1', 'db-2', 'db-1', 'web-2', 'web-1']],
    ['?sort=created_at', ['web-1', 'web-2', 'db-1', 'db-2', 'cache-1', 'old-1', 'v6-big', 'v6-small']],
    ['?sort=-id', ['v6-small', 'v6-big', 'old-1', 'cache-1', 'db-2', 'db-1', 'web-2', 'web-1']],
  ])('%s', async (query, expected) => {
    expect(await hostnames(query)).toStrictEqual(expected);
  });
});

describe('GET /api/v1/servers paging', () => {
  it('pages with limit and offset; count stays the total', async () => {
    const page = await list('?sort=hostname&limit=3&offset=3');
    expect(page.servers.map((s) => s.hostname)).toStrictEqual(['old-1', 'v6-big', 'v6-small']);
    expect(page.count).toBe(8);
    expect(page.next).not.toBeNull();
  });

  it('defaults to 100 a page', async () => {
    const { app, db } = await buildTestApp({ seed: false });
    const rows = Array.from({ length: 150 }, (_, i) => ({
      ...base,
      hostname: `h${i}`,
      ip: `10.9.${i >> 8}.${i & 255}`,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    }));
    await insertServers(db, rows);
    const body = (await app.inject({ method: 'GET', url: '/api/v1/servers' })).json<ListBody>();
    expect(body.servers).toHaveLength(100);
    expect(body.count).toBe(150);
    await app.close();
  });

  it.each(['?sort=ip', '?sort=-environment,hostname', '?sort=-status,-ip', '?tag=pci&sort=-updated_at'])(
    'walks %s with cursors through the Link header, each row once',
    async (query) => {
      const all = await hostnames(query);
      const seen: string[] = [];
      let url: string | undefined = `/api/v1/servers${query}&limit=3`;
      while (url !== undefined) {
        const res: LightResponse = await t.app.inject({ method: 'GET', url });
        const body = res.json<ListBody>();
        seen.push(...body.servers.map((s) => s.hostname));
        const link: unknown = res.headers.link;
        if (body.next === null) {
          expect(link).toBeUndefined();
          url = undefined;
        } else {
          expect(link).toMatch(/^<\/api\/v1\/servers\?.*cursor=.*>; rel="next"$/);
          url = /^<([^>]+)>/.exec(String(link))?.[1];
        }
      }
      expect(seen).toStrictEqual(all);
    },
  );

  it.each([
    ['an object', { x: 1 }],
    ['a boolean', true],
    ['an array', [1, 2]],
    ['a number for a text key', 7],
    ['null', null],
    ['bad hex for an address', { b: 'zz' }],
  ])('refuses a tampered cursor holding %s with a 400, never a 500', async (_what, value) => {
    const { next } = await list('?limit=1&sort=-environment,ip');
    const decoded = JSON.parse(Buffer.from(String(next), 'base64url').toString()) as { f: string; k: unknown[] };
    const key = value !== null && typeof value === 'object' && 'b' in value ? 1 : 0;
    decoded.k[key] = value;
    const forged = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/servers?limit=1&sort=-environment,ip&cursor=${forged}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ details: { field: string }[] }>().details[0]?.field).toBe('cursor');
  });

  it('refuses a cursor from another sort or other filters, and a cursor with an offset', async () => {
    const { next } = await list('?sort=ip&limit=2');
    expect(next).not.toBeNull();
    for (const query of [
      `?sort=hostname&cursor=${next}`,
      `?sort=ip&status=up&cursor=${next}`,
      `?sort=ip&offset=2&cursor=${next}`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers${query}` });
      expect(res.statusCode, query).toBe(400);
    }
  });
});

describe('GET /api/v1/servers at scale', () => {
  it('walks 10,000 servers by cursor while others are created and deleted, never skipping or repeating one', async () => {
    const { app, db } = await buildTestApp({ seed: false });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      ...base,
      hostname: `n${i}`,
      ip: i % 2 === 0 ? `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` : `fd00::${i.toString(16)}`,
      status: ['up', 'down', 'maintenance'][i % 3] ?? 'up',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      await insertServers(db, rows.slice(i, i + 1000));
    }
    const original = new Set(rows.map((r) => r.hostname));
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    const deleted = new Set<string>();
    const deletedAhead = new Set<string>();
    do {
      const url = `/api/v1/servers?sort=-status,ip&limit=997${cursor === null ? '' : `&cursor=${cursor}`}`;
      const body: ListBody = (await app.inject({ method: 'GET', url })).json<ListBody>();
      seen.push(...body.servers.map((s) => s.hostname));
      cursor = body.next;
      // Between pages: a create and a delete through the API, on rows not yet seen and already seen.
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/servers',
        headers: AS_BOOTSTRAP,
        payload: { hostname: `new-${added}`, ip: `172.16.0.${added}`, status: 'down' },
      });
      expect(created.statusCode).toBe(201);
      added++;
      // Delete one row already served and one not reached yet (the last of the walk's order that remains).
      const victim = body.servers[0];
      if (victim !== undefined) {
        await app.inject({ method: 'DELETE', url: `/api/v1/servers/${victim.id}`, headers: AS_BOOTSTRAP });
        deleted.add(victim.hostname);
      }
      // The walk's order reversed: its first row is the last the walk will reach.
      const ahead = (
        await app.inject({ method: 'GET', url: '/api/v1/servers?sort=status,-ip,-id&limit=1' })
      ).json<ListBody>().servers[0];
      if (ahead !== undefined && cursor !== null) {
        await app.inject({ method: 'DELETE', url: `/api/v1/servers/${ahead.id}`, headers: AS_BOOTSTRAP });
        deletedAhead.add(ahead.hostname);
      }
    } while (cursor !== null);
    const originalSeen = seen.filter((h) => original.has(h));
    expect(new Set(seen).size).toBe(seen.length);
    // Every original row that was still there when the walk reached it was served, once.
    const expected = [...original].filter((h) => !deletedAhead.has(h) || seen.includes(h));
    expect(originalSeen.sort()).toStrictEqual(expected.sort());
    expect(deletedAhead.size).toBeGreaterThan(5);
    expect(seen.filter((h) => deletedAhead.has(h))).toStrictEqual([]);
    expect(deleted.size).toBeGreaterThan(5);
    await app.close();
  }, 120_000);

  /**
   * The plan of a query the app builds. PostgreSQL is told to avoid sequential scans and sorts where
   * it can: with a handful of rows it would rightly scan the table, so this asks whether an index
   * serves the query's shape (the right expression, the right collation), which is what matters at scale.
   */
  async function planOf(query: Compilable): Promise<string> {
    const compiled = query.compile();
    if (dialect === 'sqlite') {
      const { rows } = await t.db.executeQuery<{ detail: string }>({
        ...compiled,
        sql: `explain query plan ${compiled.sql}`,
      });
      return rows.map((r) => r.detail).join('\n');
    }
    return t.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      await sql`set local enable_sort = off`.execute(trx);
      const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>({
        ...compiled,
        sql: `explain ${compiled.sql}`,
      });
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }
  /**
   * A sort of all the rows read: they came out of order. PostgreSQL may add an incremental sort on
   * top of an index read in order (for the id after the unique ip_key: groups of one row), which
   * streams and stops at the limit like the index read itself, so only a full sort counts.
   */
  const SORTED = dialect === 'sqlite' ? /TEMP B-TREE/ : /(^|->\s+)Sort\s+\(cost/m;
  const usesIndex = (name: string) =>
    dialect === 'sqlite'
      ? new RegExp(`USING (COVERING )?INDEX ${name}\\b`)
      : new RegExp(`Index (Only )?Scan using ${name} `);

  const ipSort = [
    { field: 'ip' as const, descending: false },
    { field: 'id' as const, descending: false },
  ];

  it('reads a cursor page sorted by ip as an index range, and an environment sort in index order', async () => {
    const afterPlan = await planOf(
      applySort(
        t.db,
        applyAfter(t.db, t.db.selectFrom('servers').selectAll(), ipSort, [Buffer.from([4, 10, 0, 0, 9]), 2]),
        ipSort,
      ).limit(10),
    );
    expect(afterPlan).toMatch(usesIndex('servers_ip_key_key'));
    // A range on the index, not a walk of all of it with a filter.
    expect(afterPlan).toMatch(dialect === 'sqlite' ? /\(ip_key>\?\)/ : /Index Cond: \(ip_key >=? /);
    expect(afterPlan).not.toMatch(SORTED);

    const envSort = [
      { field: 'environment' as const, descending: false },
      { field: 'id' as const, descending: false },
    ];
    const envPlan = await planOf(applySort(t.db, t.db.selectFrom('servers').selectAll(), envSort).limit(10));
    expect(envPlan).toMatch(usesIndex('servers_environment_sort_idx'));
    expect(envPlan).not.toMatch(SORTED);
  });

  it('filters by cidr and sorts by ip through the address index', async () => {
    const ten = { from: Buffer.from([4, 10, 0, 0, 0]), to: Buffer.from([4, 10, 255, 255, 255]) };
    const cidrPlan = await planOf(applyFilters(t.db, t.db.selectFrom('servers').selectAll(), { cidr: [ten] }));
    expect(cidrPlan).toMatch(usesIndex('servers_ip_key_key'));
    expect(cidrPlan).toMatch(
      dialect === 'sqlite' ? /ip_key>\? AND ip_key<\?/ : /Index Cond: \(\(ip_key >= .*ip_key <= /,
    );

    const sortPlan = await planOf(applySort(t.db, t.db.selectFrom('servers').selectAll(), ipSort).limit(100));
    expect(sortPlan).toMatch(usesIndex('servers_ip_key_key'));
    expect(sortPlan).not.toMatch(SORTED);

    // The unindexed column sorts by a sort step: the check above can fail.
    const notesPlan = await planOf(t.db.selectFrom('servers').selectAll().orderBy('notes').limit(100));
    expect(notesPlan).toMatch(SORTED);
  });

  it('builds its list query on ip_key for cidr and ip sorts', async () => {
    const { sql: text } = applySort(
      t.db,
      applyFilters(t.db, t.db.selectFrom('servers').selectAll(), {
        cidr: [{ from: Buffer.from([4, 10, 0, 0, 0]), to: Buffer.from([4, 10, 255, 255, 255]) }],
      }),
      [
        { field: 'ip', descending: false },
        { field: 'id', descending: false },
      ],
    ).compile();
    const [from, to] = dialect === 'sqlite' ? ['?', '?'] : ['$1', '$2'];
    expect(text).toBe(
      `select * from "servers" where "ip_key" between ${from} and ${to} order by "ip_key" asc, "id" asc`,
    );
  });
});
