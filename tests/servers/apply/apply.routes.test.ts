import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult } from '../../../src/servers/apply/apply.schemas.js';
import { APPLY_URL as URL, applyRequests } from '../../helpers/apply.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../../helpers/build-test-app.js';
import { dialect, freshDatabaseUrl } from '../../helpers/database.js';

interface ErrorBody {
  code: string;
  details?: { field: string; message: string }[];
}

let t: TestApp;
let clock: Date;
const { apply, applied } = applyRequests(() => t.app);

beforeEach(async () => {
  clock = new Date('2026-06-01T10:00:00.000Z');
  t = await buildTestApp({ now: () => clock });
});
afterEach(async () => {
  await t.app.close();
});

/** Everything an apply may write: the rows (versions and observations included), the feed, the count. */
async function snapshot() {
  const servers = await t.db.selectFrom('servers').selectAll().orderBy('id').execute();
  const changes = await t.db.selectFrom('server_changes').selectAll().orderBy('seq').execute();
  const tags = await t.db.selectFrom('server_tags').selectAll().orderBy('server_id').orderBy('tag').execute();
  const counts = await t.db.selectFrom('server_counts').selectAll().execute();
  return { servers, changes, tags, counts };
}

async function list(query: string): Promise<Record<string, unknown>[]> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ servers: Record<string, unknown>[] }>().servers;
}

const SEEN = [
  { hostname: 'vm-01', ip: '192.0.2.1', environment: 'lab', tags: ['vmware'] },
  { hostname: 'vm-02', ip: '192.0.2.2', os: 'debian-12' },
];

describe(`POST ${URL}`, () => {
  it('creates what is missing, owned by the source and seen now, with a history row by the token', async () => {
    const result = await applied({ source: 'vcenter-sync', servers: SEEN });
    expect(result).toStrictEqual({
      dry_run: false,
      source: 'vcenter-sync',
      created: [
        { hostname: 'vm-01', id: 3 },
        { hostname: 'vm-02', id: 4 },
      ],
      updated: [],
      deleted: [],
      unchanged: 0,
      summary: { created: 2, updated: 0, deleted: 0, unchanged: 0 },
    });
    const [vm1] = await list('hostname=vm-01');
    expect(vm1).toMatchObject({
      environment: 'lab',
      tags: ['vmware'],
      status: 'up',
      managed_by: 'vcenter-sync',
      last_seen_at: clock.toISOString(),
      created_at: clock.toISOString(),
    });
    const history = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/3/history' })).json<{
      changes: { action: string; actor: string; changes: Record<string, unknown> }[];
    }>().changes;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'create', actor: 'bootstrap' });
    expect(history[0]?.changes.managed_by).toStrictEqual({ from: null, to: 'vcenter-sync' });
  });

  it('sets the fields given, keeps those left out, clears with null, and adopts a server owned by no one', async () => {
    // web-prod-01 (the sample) is owned by no one.
    const result = await applied({
      source: 'vcenter-sync',
      servers: [{ hostname: 'WEB-PROD-01', role: 'frontend', environment: null, tags: ['edge'] }],
    });
    expect(result.updated).toStrictEqual([
      {
        hostname: 'web-prod-01',
        id: 1,
        changes: {
          environment: { from: 'production', to: null },
          role: { from: 'web', to: 'frontend' },
          tags: { from: [], to: ['edge'] },
          managed_by: { from: null, to: 'vcenter-sync' },
        },
      },
    ]);
    const server = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1' })).json<Record<string, unknown>>();
    expect(server).toMatchObject({ ip: '10.0.0.1', status: 'up', role: 'frontend', environment: null });
    const history = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/1/history' })).json<{
      changes: { action: string; changes: Record<string, unknown> }[];
    }>().changes;
    expect(history.at(-1)?.changes.managed_by).toStrictEqual({ from: null, to: 'vcenter-sync' });
  });

  it('writes nothing the second time but last_seen_at, which moves neither the version, the ETag nor the history', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    const before = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3' });
    const feed = await snapshot();
    clock = new Date('2026-06-01T10:05:00.000Z');
    const again = await applied({ source: 'vcenter-sync', servers: SEEN });
    expect(again.summary).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 2 });
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/servers/3' });
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.body).toBe(before.body);
    expect(before.headers['last-seen-at']).toBe('2026-06-01T10:00:00.000Z');
    expect(after.headers['last-seen-at']).toBe('2026-06-01T10:05:00.000Z');
    // An editor's If-Match from before the sync still holds.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/3',
      headers: { ...AS_BOOTSTRAP, 'if-match': String(before.headers.etag) },
      payload: { notes: 'edited by hand' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const now = await snapshot();
    expect(now.changes.length).toBe(feed.changes.length + 1);
    // A 304 carries the observation, so that a cache's copy of the header is brought up to date.
    const notModified = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers/3',
      headers: { 'if-none-match': String(patched.headers.etag) },
    });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.headers['last-seen-at']).toBe('2026-06-01T10:05:00.000Z');
  });

  it('refuses the whole apply with 409 naming every server another source owns, and writes nothing', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    const before = await snapshot();
    const res = await apply({
      source: 'cmdb',
      servers: [{ hostname: 'new-01', ip: '192.0.2.50' }, { hostname: 'vm-02' }, { hostname: 'vm-01', role: 'x' }],
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<ErrorBody>()).toMatchObject({
      code: 'SERVER_OWNED_ELSEWHERE',
      details: [
        { field: 'servers[1].hostname', message: 'belongs to vcenter-sync (server 4)' },
        { field: 'servers[2].hostname', message: 'belongs to vcenter-sync (server 3)' },
      ],
    });
    expect(await snapshot()).toStrictEqual(before);
  });

  it('prunes only the servers the source owns and no longer sees', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    await applied({ source: 'cmdb', servers: [{ hostname: 'db-9', ip: '192.0.2.9' }] });
    const result = await applied({ source: 'vcenter-sync', servers: [SEEN[1]], prune: true });
    expect(result.deleted).toStrictEqual([{ hostname: 'vm-01', id: 3 }]);
    expect(result.summary).toStrictEqual({ created: 0, updated: 0, deleted: 1, unchanged: 1 });
    const names = (await list('')).map((s) => s.hostname);
    expect(names).toStrictEqual(['web-prod-01', 'db-prod-01', 'vm-02', 'db-9']);
    const history = (await t.app.inject({ method: 'GET', url: '/api/v1/servers/3/history' })).json<{
      changes: { action: string; actor: string }[];
    }>().changes;
    expect(history.at(-1)).toMatchObject({ action: 'delete', actor: 'bootstrap' });
  });

  it('answers a dry run with exactly what the apply then does, and writes nothing at all', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    const input = {
      source: 'vcenter-sync',
      servers: [
        { hostname: 'vm-02', ip: '192.0.2.20', status: 'down' },
        { hostname: 'web-prod-01' },
        { hostname: 'vm-03', ip: '192.0.2.3' },
      ],
      prune: true,
    };
    const before = await snapshot();
    clock = new Date('2026-06-01T11:00:00.000Z');
    const plan = await applied({ ...input, dry_run: true });
    expect(await snapshot()).toStrictEqual(before);
    const real = await applied(input);
    expect(plan.dry_run).toBe(true);
    expect(real.dry_run).toBe(false);
    expect(plan.created).toStrictEqual([{ hostname: 'vm-03' }]);
    expect({
      ...plan,
      dry_run: false,
      created: plan.created.map((c, i) => ({ ...c, id: real.created[i]?.id })),
    }).toStrictEqual(real);
    expect(real.summary).toStrictEqual({ created: 1, updated: 2, deleted: 1, unchanged: 0 });
  });

  it('takes NDJSON and CSV with source, prune and dry_run in the query', async () => {
    const ndjson = `${SEEN.map((s) => JSON.stringify(s)).join('\n')}\n`;
    const planned = await applied(
      ndjson,
      { 'content-type': 'application/x-ndjson' },
      '?source=vcenter-sync&dry_run=true',
    );
    expect(planned.summary.created).toBe(2);
    expect(await list('managed_by=vcenter-sync')).toStrictEqual([]);
    await applied(ndjson, { 'content-type': 'application/x-ndjson' }, '?source=vcenter-sync');
    // As a spreadsheet in a locale with a decimal comma saves it: semicolons, a BOM, a comma in a cell.
    const semicolons = '\ufeffhostname;ip;notes\r\nvm-09;192.0.2.9;"rack 4; left, top"\r\n';
    const created09 = await applied(semicolons, { 'content-type': 'text/csv' }, '?source=sheet-eu');
    expect(created09.created.map((c) => c.hostname)).toStrictEqual(['vm-09']);
    expect((await list('hostname=vm-09'))[0]?.notes).toBe('rack 4; left, top');
    const csv = 'hostname,ip,os\r\nvm-02,192.0.2.2,debian-13\r\n';
    const result = await applied(csv, { 'content-type': 'text/csv; charset=utf-8' }, '?source=vcenter-sync&prune=true');
    expect(result.updated).toStrictEqual([
      { hostname: 'vm-02', id: 4, changes: { os: { from: 'debian-12', to: 'debian-13' } } },
    ]);
    expect(result.deleted).toStrictEqual([{ hostname: 'vm-01', id: 3 }]);
  });

  it('applies an exported CSV back without a change, formulas, apostrophes, quotes and line breaks included', async () => {
    const tricky = [
      { hostname: 'csv-1', ip: '192.0.2.31', notes: '=HYPERLINK("http://x")', tags: ['a', 'b'] },
      { hostname: 'csv-2', ip: '2001:db8::32', notes: "'=already quoted", environment: 'lab' },
      { hostname: 'csv-3', ip: '192.0.2.33', notes: 'two\r\nlines, "quoted"', role: 'web' },
      { hostname: 'csv-4', ip: '192.0.2.34', notes: "'plain apostrophe", status: 'maintenance' },
      { hostname: 'csv-5', ip: '192.0.2.35', notes: '' },
    ];
    await applied({ source: 'sheet', servers: tricky });
    const before = await snapshot();
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&managed_by=sheet' });
    expect(exported.body).toContain("''=already quoted");
    const result = await applied(exported.body, { 'content-type': 'text/csv' }, '?source=sheet');
    expect(result.summary).toStrictEqual({ created: 0, updated: 0, deleted: 0, unchanged: 5 });
    // The clock stands still: the observation is rewritten with the same time, and nothing else is.
    expect(await snapshot()).toStrictEqual(before);
  });

  it('names the CSV line of a bad value, counting the lines inside quoted cells', async () => {
    const csv = [
      'hostname,ip,notes',
      'a-1,192.0.2.1,',
      'a-2,192.0.2.2,"three',
      'line',
      'note"',
      'a-3,192.0.2.3,',
      'a-4,not-an-ip,',
      '',
    ].join('\r\n');
    const res = await apply(csv, { 'content-type': 'text/csv' }, '?source=sheet');
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().details).toStrictEqual([
      { field: 'line 7.ip', message: expect.stringContaining('IPv4') as string },
    ]);
  });

  it('names the NDJSON line of a bad value or of broken JSON', async () => {
    const bad = await apply(
      '{"hostname":"a-1","ip":"192.0.2.1"}\n\n{"hostname":"a-2","ip":"192.0.2.2","status":"gone"}\n',
      { 'content-type': 'application/x-ndjson' },
      '?source=feed',
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().details?.[0]?.field).toBe('line 3.status');
    const broken = await apply(
      '{"hostname":"a-1","ip":"192.0.2.1"}\n{"hostname":',
      { 'content-type': 'application/x-ndjson' },
      '?source=feed',
    );
    expect(broken.statusCode).toBe(400);
    expect(broken.json<ErrorBody>()).toMatchObject({ code: 'INVALID_JSON', details: [{ field: 'line 2' }] });
    // A byte order mark is dropped; a body without a server is refused (with prune it would delete them all).
    const withBom = await apply(
      '\ufeff{"hostname":"bom-1","ip":"192.0.2.71"}\n',
      { 'content-type': 'application/x-ndjson' },
      '?source=feed&dry_run=true',
    );
    expect(withBom.statusCode, withBom.body).toBe(200);
    const empty = await apply('\n\n', { 'content-type': 'application/x-ndjson' }, '?source=feed&prune=true');
    expect(empty.statusCode).toBe(400);
    expect(empty.json<ErrorBody>().details?.[0]?.field).toBe('body');
    const notAServer = await apply('[1]\n', { 'content-type': 'application/x-ndjson' }, '?source=feed');
    expect(notAServer.statusCode).toBe(400);
    expect(notAServer.json<ErrorBody>().details).toStrictEqual([{ field: 'line 1', message: 'must be an object' }]);
  });

  it('refuses broken CSV, unknown columns and a missing hostname column with the line at fault', async () => {
    const cases: [string, string, string][] = [
      ['hostname,ip\r\na-1,192.0.2.1,extra\r\n', 'INVALID_CSV', 'line 2'],
      ['hostname,ip\r\n"a-1,192.0.2.1\r\n', 'INVALID_CSV', 'line 2'],
      ['hostname,colour\r\na-1,red\r\n', 'VALIDATION_FAILED', 'line 1'],
      ['ip\r\n192.0.2.1\r\n', 'VALIDATION_FAILED', 'line 1'],
      ['', 'INVALID_CSV', 'body'],
      // Faults past the first row, and after blank lines, are placed on their own line.
      ['hostname,ip\r\na-1,192.0.2.1\r\na-2,192.0.2.2\r\na-3,192.0.2.3,x\r\n', 'INVALID_CSV', 'line 4'],
      ['hostname,ip\r\na-1,192.0.2.1\r\n\r\n\r\n"a-2,x', 'INVALID_CSV', 'line 5'],
      [
        'hostname,ip,notes\r\na-1,192.0.2.1,"two\r\nlines"\r\n\r\na-2,192.0.2.2,\r\na-3,1,2,3\r\n',
        'INVALID_CSV',
        'line 6',
      ],
      [
        `hostname,ip\r\n${Array.from({ length: 5000 }, (_v, i) => `h-${i},10.9.${i >> 8}.${i & 255}\r\n`).join('')}bad,1,2\r\n`,
        'INVALID_CSV',
        'line 5002',
      ],
    ];
    for (const [csv, code, field] of cases) {
      const res = await apply(csv, { 'content-type': 'text/csv' }, '?source=sheet');
      expect([
        csv,
        res.statusCode,
        res.json<ErrorBody>().code,
        res.json<ErrorBody>().details?.[0]?.field,
      ]).toStrictEqual([csv, 400, code, field]);
    }
  });

  it('names bad items of a JSON body by index, and refuses read-only fields and repeated host names', async () => {
    const res = await apply({
      source: 'feed',
      servers: [
        { hostname: 'ok-1', ip: '192.0.2.1' },
        { hostname: 'x', ip: '999.0.0.1', managed_by: 'other', id: 4 },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json<ErrorBody>()
        .details?.map((d) => d.field)
        .sort(),
    ).toStrictEqual(['servers[1].id', 'servers[1].ip', 'servers[1].managed_by']);
    const repeated = await apply({
      source: 'feed',
      servers: [
        { hostname: 'dup-1', ip: '192.0.2.1' },
        { hostname: 'DUP-1', ip: '192.0.2.2' },
      ],
    });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json<ErrorBody>().details).toStrictEqual([
      { field: 'servers[1].hostname', message: 'repeats the host name of servers[0]: give each server once' },
    ]);
    const noAddress = await apply({ source: 'feed', servers: [{ hostname: 'new-1' }] });
    expect(noAddress.statusCode).toBe(400);
    expect(noAddress.json<ErrorBody>().details?.[0]?.field).toBe('servers[0].ip');
  });

  it('answers 409 naming both sides of an address clash, and lets two servers of the input swap addresses', async () => {
    const clash = await apply({ source: 'feed', servers: [{ hostname: 'new-1', ip: '10.0.0.2' }] });
    expect(clash.statusCode).toBe(409);
    expect(clash.json<ErrorBody>()).toMatchObject({
      code: 'SERVER_CONFLICT',
      details: [{ field: 'servers[0].ip', message: 'is already used by server 2 (db-prod-01)' }],
    });
    const swapped = await applied({
      source: 'feed',
      servers: [
        { hostname: 'web-prod-01', ip: '10.0.0.2' },
        { hostname: 'db-prod-01', ip: '10.0.0.1' },
      ],
    });
    expect(swapped.summary.updated).toBe(2);
    const servers = await list('');
    expect(servers.map((s) => [s.hostname, s.ip])).toStrictEqual([
      ['web-prod-01', '10.0.0.2'],
      ['db-prod-01', '10.0.0.1'],
    ]);
    // Swapping again while a server holds an address of the discard prefix 100::/64 (which parking
    // once used): the dry run and the real run agree.
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: { hostname: 'discard-1', ip: '100::1' },
    });
    const back = {
      source: 'feed',
      servers: [
        { hostname: 'web-prod-01', ip: '10.0.0.1' },
        { hostname: 'db-prod-01', ip: '10.0.0.2' },
      ],
    };
    const planned = await applied({ ...back, dry_run: true });
    const done = await applied(back);
    expect({ ...planned, dry_run: false }).toStrictEqual(done);
    expect((await list('')).slice(0, 2).map((s) => s.ip)).toStrictEqual(['10.0.0.1', '10.0.0.2']);
    // A pruned server frees its address for a new one in the same apply.
    const moved = await applied({
      source: 'feed',
      servers: [{ hostname: 'db-new', ip: '10.0.0.2' }, { hostname: 'web-prod-01' }],
      prune: true,
    });
    expect(moved.summary).toStrictEqual({ created: 1, updated: 0, deleted: 1, unchanged: 1 });
  });

  it('takes 10,000 servers in a body past the usual 1 MiB, and refuses 10,001', async () => {
    const servers = Array.from({ length: 10_001 }, (_v, i) => ({
      hostname: `bulk-${i}`,
      ip: `10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
      notes: 'seen by the bulk source, which writes a long note on every server it reports',
    }));
    const tooMany = await apply({ source: 'bulk', servers, dry_run: true });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json<ErrorBody>().details?.[0]?.message).toContain('at most 10000');
    const ndjson = servers.map((s) => JSON.stringify(s)).join('\n');
    const tooManyLines = await apply(ndjson, { 'content-type': 'application/x-ndjson' }, '?source=bulk&dry_run=true');
    expect(tooManyLines.statusCode).toBe(400);
    expect(tooManyLines.json<ErrorBody>().details?.[0]?.message).toContain('at most 10000');
    const body = { source: 'bulk', servers: servers.slice(0, 10_000), dry_run: true };
    expect(JSON.stringify(body).length).toBeGreaterThan((1024 * 1024) / 2);
    const plan = await applied(body);
    expect(plan.summary.created).toBe(10_000);
    // Written for real, then changed: past the slices in which items are checked and rows written.
    const some = servers.slice(0, 1_200);
    expect((await applied({ source: 'bulk', servers: some })).summary.created).toBe(1_200);
    const changed = await applied({ source: 'bulk', servers: some.map((s) => ({ ...s, notes: 'moved' })) });
    expect(changed.summary).toStrictEqual({ created: 0, updated: 1_200, deleted: 0, unchanged: 0 });
    expect((await list('managed_by=bulk&limit=1000&q=moved')).length).toBe(1_000);
  });

  it('checks where source, prune and dry_run are given, and that a body is sent', async () => {
    const both = await apply({ source: 'a', servers: [] }, {}, '?source=a');
    expect(both.statusCode).toBe(400);
    expect(both.json<ErrorBody>().details?.[0]?.field).toBe('source');
    const none = await apply('{"hostname":"x","ip":"192.0.2.1"}\n', { 'content-type': 'application/x-ndjson' });
    expect(none.statusCode).toBe(400);
    expect(none.json<ErrorBody>().details?.[0]?.field).toBe('source');
    const badSource = await apply({ source: 'Not A Name', servers: [] });
    expect(badSource.statusCode).toBe(400);
    const empty = await t.app.inject({ method: 'POST', url: URL, headers: AS_BOOTSTRAP });
    expect(empty.statusCode).toBe(400);
    const anonymous = await t.app.inject({ method: 'POST', url: URL, payload: { source: 'a', servers: [] } });
    expect(anonymous.statusCode).toBe(401);
    // The other routes take no CSV or NDJSON.
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: { ...AS_BOOTSTRAP, 'content-type': 'text/csv' },
      payload: 'hostname,ip\r\na,192.0.2.1\r\n',
    });
    expect(elsewhere.statusCode).toBe(415);
  });

  it('rolls everything back when the database fails in the middle of an apply', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    if (dialect === 'sqlite') {
      await sql`create trigger apply_fails before insert on servers when new.hostname = 'boom'
                begin select raise(abort, 'injected failure'); end`.execute(t.db);
    } else {
      await sql`create function apply_fails() returns trigger language plpgsql as $$
                begin if new.hostname = 'boom' then raise exception 'injected failure'; end if; return new; end $$`.execute(
        t.db,
      );
      await sql`create trigger apply_fails before insert on servers for each row execute function apply_fails()`.execute(
        t.db,
      );
    }
    const before = await snapshot();
    clock = new Date('2026-06-02T00:00:00.000Z');
    // Deletes, updates and a first create run before the insert that fails.
    const res = await apply({
      source: 'vcenter-sync',
      servers: [
        { hostname: 'vm-02', status: 'down' },
        { hostname: 'ok-new', ip: '192.0.2.60' },
        { hostname: 'boom', ip: '192.0.2.61' },
      ],
      prune: true,
    });
    expect(res.statusCode).toBe(500);
    expect(await snapshot()).toStrictEqual(before);
  });

  it('filters by owner, no owner, and what a source has not seen since a time', async () => {
    await applied({ source: 'vcenter-sync', servers: SEEN });
    clock = new Date('2026-06-01T12:00:00.000Z');
    await applied({ source: 'vcenter-sync', servers: [SEEN[0]] });
    expect((await list('managed_by=vcenter-sync')).map((s) => s.hostname)).toStrictEqual(['vm-01', 'vm-02']);
    expect((await list('managed_by=(none)')).map((s) => s.hostname)).toStrictEqual(['web-prod-01', 'db-prod-01']);
    const stale = await list('managed_by=vcenter-sync&last_seen_before=2026-06-01T11:00:00Z');
    expect(stale.map((s) => [s.hostname, s.last_seen_at])).toStrictEqual([['vm-02', '2026-06-01T10:00:00.000Z']]);
    // Never seen counts as not seen since: before and after split the inventory in two.
    expect((await list('last_seen_before=2026-06-01T11:00:00Z')).length).toBe(3);
    expect((await list('last_seen_after=2026-06-01T11:00:00Z')).map((s) => s.hostname)).toStrictEqual(['vm-01']);
    for (const [query, field] of [
      ['managed_by=Bad%20Name', 'managed_by'],
      ['last_seen_before=yesterday', 'last_seen_before'],
      ['last_seen_after=2026-13-01T00:00:00Z', 'last_seen_after'],
    ]) {
      const bad = await t.app.inject({ method: 'GET', url: `/api/v1/servers?${query}` });
      expect([query, bad.statusCode, bad.json<ErrorBody>().details?.[0]?.field]).toStrictEqual([query, 400, field]);
    }
  });

  it('lets plain writes set and clear managed_by, which an apply then honours', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/2',
      headers: AS_BOOTSTRAP,
      payload: { managed_by: 'cmdb' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<{ managed_by: string }>().managed_by).toBe('cmdb');
    const refused = await apply({ source: 'vcenter-sync', servers: [{ hostname: 'db-prod-01' }] });
    expect(refused.statusCode).toBe(409);
    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/2',
      headers: AS_BOOTSTRAP,
      payload: { managed_by: '-x' },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe(`POST ${URL} from two replicas at once`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-apply-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serialises two applies of one source: no lost update, no duplicate', async () => {
    const url = await freshDatabaseUrl(join(dir, 'inventory.db'));
    const one = await buildTestApp({ env: { DATABASE_URL: url } });
    const two = await buildTestApp({ env: { DATABASE_URL: url } });
    try {
      const servers = (names: string[], role: string) =>
        names.map((n) => ({ hostname: n, ip: `192.0.2.${100 + Number(n.slice(2))}`, role }));
      const send = (app: TestApp, payload: unknown) =>
        app.app.inject({ method: 'POST', url: URL, headers: AS_BOOTSTRAP, payload: payload as object });
      const [a, b] = await Promise.all([
        send(one, { source: 'sync', servers: servers(['r-1', 'r-2', 'r-3'], 'one') }),
        send(two, { source: 'sync', servers: servers(['r-2', 'r-3', 'r-4'], 'two') }),
      ]);
      expect([a.statusCode, b.statusCode]).toStrictEqual([200, 200]);
      const results = [a.json<ApplyResult>(), b.json<ApplyResult>()];
      // Whichever ran second saw what the first created: four servers created in all, never twice.
      expect(results.map((r) => r.summary.created).sort()).toStrictEqual([1, 3]);
      const rows = await one.db
        .selectFrom('servers')
        .select(['hostname', 'role'])
        .where('managed_by', '=', 'sync')
        .execute();
      expect(rows.map((r) => r.hostname).sort()).toStrictEqual(['r-1', 'r-2', 'r-3', 'r-4']);
      const creates = await one.db
        .selectFrom('server_changes')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('action', '=', 'create')
        .executeTakeFirstOrThrow();
      expect(Number(creates.n)).toBe(2 + 4);
      // The second apply's roles won where both named a server: its updates were not lost.
      const second = results[0]?.summary.created === 3 ? 'two' : 'one';
      const shared = rows.filter((r) => r.hostname === 'r-2' || r.hostname === 'r-3').map((r) => r.role);
      expect(shared).toStrictEqual([second, second]);
    } finally {
      await one.app.close();
      await two.app.close();
    }
  });
});

describe(`POST ${URL} under load`, () => {
  it('runs two applies at a time per process, and answers a third 503 with Retry-After, before reading its body', async () => {
    // Applies wait at a gate before their handler: the first two stay in flight until it opens.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let waiting = 0;
    const held = await buildTestApp({
      extend: (app) => {
        app.addHook('preHandler', async (request) => {
          if (request.url.startsWith(URL)) {
            waiting += 1;
            await gate;
          }
        });
      },
    });
    try {
      const send = () =>
        held.app.inject({
          method: 'POST',
          url: URL,
          headers: AS_BOOTSTRAP,
          payload: { source: 'load', servers: [{ hostname: 'l-1', ip: '192.0.2.90' }], dry_run: true },
        });
      const first = send();
      const second = send();
      // Until both wait at the gate, at most 5 s.
      for (let i = 0; i < 500 && waiting < 2; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(waiting).toBe(2);
      const third = await send();
      expect(third.statusCode).toBe(503);
      expect(third.json<ErrorBody>().code).toBe('OVERLOADED');
      expect(third.headers['retry-after']).toBe('1');
      expect(waiting).toBe(2);
      open();
      expect([(await first).statusCode, (await second).statusCode]).toStrictEqual([200, 200]);
      // Both finished: the next one runs.
      expect((await send()).statusCode).toBe(200);
    } finally {
      open();
      await held.app.close();
    }
  });
});
