// The SQL of the list, the export and the feeds, compiled for SQLite and for PostgreSQL whatever database the run
// has, and kept in files (tests/servers/__snapshots__/sql/<case>.<database>.sql) so that a change to
// a query shows in review. Each file is also held against what the API runs: the request is sent to
// the app on the run's own database and must run exactly those statements there.
import { type Compilable, type KyselyPlugin, type RootOperationNode, createQueryId, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { ipKey } from '../../src/servers/ip-key.js';
import { encodeCursor } from '../../src/servers/query/cursor.js';
import { NO_SPEC } from '../../src/custom-fields/custom-fields.schemas.js';
import type { Definition } from '../../src/custom-fields/custom-fields.values.js';
import type { Listing, RawQuery } from '../../src/servers/query/params.js';
import { parseListing } from '../../src/servers/query/parsing.js';
import { countMatching } from '../../src/servers/query/sql.js';
import {
  feedServersQuery,
  insertServers,
  isUnfiltered,
  listServersQuery,
  storedCountQuery,
  unfilteredPageQuery,
} from '../../src/servers/servers.repository.js';
import { EXPORT_CHUNK, FEED_CHUNK } from '../../src/servers/servers.service.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { dialect } from '../helpers/database.js';
import { AT, serverRow } from '../helpers/servers.js';
import { compilers, renderQuery } from '../helpers/sql.js';

/** The custom fields the cases filter and sort by, as the app defines them (see beforeAll). */
const DEFINITIONS: Definition[] = (
  [
    ['rack', 'string'],
    ['u', 'integer'],
    ['pci', 'boolean'],
  ] as const
).map(([name, type], i) => ({
  id: i + 1,
  name,
  type,
  spec: { ...NO_SPEC },
  created_at: AT,
  updated_at: AT,
}));

/** The list's query string as the route hands it to parseListing (after its schema's coercion). */
function listing(url: string): Listing {
  const params = new URL(url, 'http://localhost').searchParams;
  const raw: Record<string, string | string[] | number> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (name === 'limit' || name === 'offset') {
      raw[name] = Number(values[0]);
    } else if (name !== 'format') {
      raw[name] = values.length === 1 ? (values[0] ?? '') : values;
    }
  }
  return parseListing(raw as RawQuery, DEFINITIONS);
}

/** What a page of the list runs: the page (one row more, to know whether there is a next) and the count. */
function listStatements(db: Kysely<Database>, url: string, emptyPage = false): Compilable[] {
  const parsed = listing(url);
  const page = listServersQuery(db, parsed, parsed.limit + 1);
  if (!isUnfiltered(parsed.filters)) {
    return [page, countMatching(db, parsed.filters)];
  }
  // Without filters, one statement: the page with the stored count on each row; after an empty one
  // (no row carried the count), the page and the count again, in one transaction.
  const counted = unfilteredPageQuery(db, parsed, parsed.limit + 1);
  return emptyPage ? [counted, page, storedCountQuery(db)] : [counted];
}

/** What an export runs for its first chunk of rows, after reading the custom fields (its cf_ columns). */
function exportStatements(db: Kysely<Database>, url: string): Compilable[] {
  const { filters, sort } = listing(url);
  // The definitions' read before the first chunk is the custom fields' (see below), not the listing's.
  return [listServersQuery(db, { filters, sort, offset: 0 }, EXPORT_CHUNK)];
}

/** `url` with the cursor of a page ending on a row with these sort values. */
function withCursor(url: string, values: unknown[]): string {
  return `${url}&cursor=${encodeCursor(listing(url), values)}`;
}

interface SqlCase {
  name: string;
  /** The request; null for statements no request of a small inventory reaches (they run directly). */
  url: string | null;
  /** What runs them, for the file's first line. */
  title: string;
  statements: (db: Kysely<Database>) => Compilable[];
}

const list = (name: string, url: string, emptyPage = false): SqlCase => ({
  name,
  url,
  title: `GET ${url}`,
  statements: (db) => listStatements(db, url, emptyPage),
});

/** What a feed runs for its first chunk of rows, after reading the custom fields (its variables). */
function feedStatements(db: Kysely<Database>, url: string): Compilable[] {
  return [feedServersQuery(db, listing(url).filters, undefined, FEED_CHUNK)];
}

const CURSOR_PAGE = withCursor('/api/v1/servers?sort=-ip,hostname&limit=2', [ipKey('10.0.0.9'), 'web-2', 2]);
const CF_SORT = '/api/v1/servers?sort=-cf_u&limit=2';
const EXPORT = '/api/v1/servers?format=csv&status=up&sort=hostname';
const FEED = '/api/v1/integrations/ansible?status=up,down&tag=edge';

const CASES: SqlCase[] = [
  list('list-unfiltered', '/api/v1/servers'),
  list('list-status', '/api/v1/servers?status=down,maintenance'),
  list('list-labels', '/api/v1/servers?environment=production&role=web&location=par-1&os=debian-12'),
  list('list-hostname', '/api/v1/servers?hostname=WEB-1'),
  list('list-ip', '/api/v1/servers?ip=2001:DB8::1'),
  list('list-tag-two-values', '/api/v1/servers?tag=pci,edge'),
  list('list-cidr-v4', '/api/v1/servers?cidr=10.0.0.0/8'),
  list('list-cidr-v6', '/api/v1/servers?cidr=2001:db8::/32'),
  list('list-q', '/api/v1/servers?q=50%25_full'),
  list('list-updated-since', '/api/v1/servers?updated_since=2026-01-01T00:05:00Z'),
  list('list-managed-by-or-none', '/api/v1/servers?managed_by=vcenter-sync,(none)'),
  list('list-stale', '/api/v1/servers?managed_by=vcenter-sync&last_seen_before=2026-01-01T00:05:00Z'),
  list('list-seen-after', '/api/v1/servers?last_seen_after=2026-01-01T00:05:00Z'),
  list('list-sort-several-keys', '/api/v1/servers?sort=-status,environment,-ip'),
  // Past the last server: an empty page.
  list('list-cursor-page-2', CURSOR_PAGE, true),
  list('list-limit-offset', '/api/v1/servers?limit=2&offset=3'),
  list(
    'list-cf-filters',
    '/api/v1/servers?cf_rack=R1&cf_rack=R1,2&cf_u__gte=2&cf_u__lte=10&cf_pci=true&cf_pci__empty=false',
  ),
  list('list-cf-empty', '/api/v1/servers?cf_u__empty=true'),
  list('list-cf-sort', CF_SORT),
  list('list-cf-sort-cursor', withCursor(CF_SORT, [[0, 8], 3])),
  list('list-cf-sort-cursor-without-value', withCursor(CF_SORT, [[1, 0], 3])),
  // An address after the custom key: the parts select its key for the union's order.
  list('list-cf-sort-then-ip', withCursor('/api/v1/servers?sort=cf_u,-ip&limit=2', [[0, 8], ipKey('10.0.0.9'), 2])),
  list('list-cf-sort-offset', '/api/v1/servers?sort=cf_rack,-hostname&limit=2&offset=2'),
  list('list-cf-second-key', withCursor('/api/v1/servers?sort=status,-cf_pci&limit=2', ['up', [0, 1], 2])),
  { name: 'export-csv', url: EXPORT, title: `GET ${EXPORT}`, statements: (db) => exportStatements(db, EXPORT) },
  {
    name: 'export-csv-next-chunk',
    url: null,
    title: `GET ${EXPORT}, its chunks after the first (here after host name web-2, id 2)`,
    statements: (db) => {
      const { filters, sort } = listing(EXPORT);
      return [listServersQuery(db, { filters, sort, offset: 0, after: ['web-2', 2] }, EXPORT_CHUNK)];
    },
  },
  { name: 'feed', url: FEED, title: `GET ${FEED}`, statements: (db) => feedStatements(db, FEED) },
  {
    name: 'feed-next-chunk',
    url: null,
    title: `GET ${FEED}, its chunks after the first (here after id 2)`,
    statements: (db) => [feedServersQuery(db, listing(FEED).filters, 2, FEED_CHUNK)],
  },
];

function rendered(statements: Compilable[]): string {
  return statements.map((statement) => renderQuery(statement.compile())).join('\n');
}

describe('the SQL of GET /api/v1/servers (list and export) and of the feeds', () => {
  let t: TestApp;
  /** The statements the app ran, as Kysely's tree: compiled afterwards by the run's database. */
  let ran: RootOperationNode[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node }) => {
      ran.push(node);
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  };

  beforeAll(async () => {
    t = await buildTestApp({ seed: false, wrapDb: (db) => db.withPlugin(recorder) });
    await insertServers(t.db, [
      serverRow({ hostname: 'web-1', ip: '10.0.0.10', environment: 'production', role: 'web', tags: ['pci', 'edge'] }),
      serverRow({ hostname: 'web-2', ip: '10.0.0.9', environment: 'production', role: 'web', tags: ['edge'] }),
      serverRow({ hostname: 'db-1', ip: '2001:db8::1', status: 'down', location: 'par-1', os: 'debian-12' }),
      serverRow({ hostname: 'cache-1', ip: '192.168.1.7', notes: 'Rack 4: 50%_full' }),
    ]);
    for (const { name, type } of DEFINITIONS) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/custom-fields',
        headers: AS_BOOTSTRAP,
        payload: { name, type },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each(CASES)(
    '$name: compiles as its snapshot says on SQLite and on PostgreSQL',
    async ({ name, title, statements }) => {
      for (const [database, db] of Object.entries(compilers)) {
        await expect(`-- ${title}\n\n${rendered(statements(db))}`).toMatchFileSnapshot(
          `./__snapshots__/sql/${name}.${database}.sql`,
        );
      }
    },
  );

  it.each(CASES)(`$name: is what the API runs on the run's database (${dialect})`, async ({ url, statements }) => {
    const expected = statements(t.db).map((statement) => renderQuery(statement.compile()));
    if (url === null) {
      for (const statement of statements(t.db)) {
        await t.db.executeQuery(statement.compile());
      }
      return;
    }
    // Once before recording: a query compiled once shows its tree a second time at its first run.
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    ran = [];
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    const executor = t.db.getExecutor();
    const compiled = statements(t.db).map((statement) => statement.compile());
    const actual = ran
      .map((node) => executor.compileQuery(node, createQueryId()))
      // Authentication's look-up of the token, when there is one, and the custom fields' definitions
      // (read for the request's parsing) are not the listing's.
      .filter(({ sql: text }) => !text.includes('"api_tokens"') && !text.includes('from "custom_fields"'))
      .map((query, i) => {
        // A query compiled once (src/db/compiled.ts) shows its tree, built with stand-ins for its
        // parameters: its text must be the expected one, and its values are bound at each run
        // (tests/db/compiled.test.ts checks that binding).
        const standIns = query.parameters.some((value) => typeof value === 'string' && value.startsWith('\u0000'));
        const expectedQuery = compiled[i];
        return renderQuery(
          standIns && expectedQuery?.sql === query.sql ? { ...query, parameters: expectedQuery.parameters } : query,
        );
      });
    expect(actual).toStrictEqual(expected);
  });
});
