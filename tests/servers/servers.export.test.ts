import { request as httpRequest } from 'node:http';
import { Worker } from 'node:worker_threads';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomFieldType } from '../../src/custom-fields/custom-fields.schemas.js';
import { valueFromText } from '../../src/custom-fields/custom-fields.values.js';
import { csvHeader, exportStream, undefuse } from '../../src/servers/servers.export.js';
import { insertServers } from '../../src/servers/servers.repository.js';
import type { ListedServer, Server } from '../../src/servers/servers.schemas.js';
import { EXPORT_CHUNK } from '../../src/servers/servers.service.js';
import { AS_BOOTSTRAP, type TestApp, buildTestApp } from '../helpers/build-test-app.js';
import { defineFields } from '../helpers/custom-fields.js';
import { PYTHON_CSV_READER, PYTHON_NDJSON_READER, hasPython, python } from '../helpers/python.js';
import { AT, DEFAULT_FIELDS, serverRow } from '../helpers/servers.js';

const base = DEFAULT_FIELDS;

describe('exports of GET /api/v1/servers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
    await insertServers(t.db, [
      { ...base, hostname: 'plain', ip: '10.0.0.1', tags: ['a', 'b'], created_at: AT, updated_at: AT },
      {
        ...base,
        hostname: 'tricky',
        ip: '2001:db8::1',
        status: 'down',
        environment: '=HYPERLINK("http://x")',
        role: '+cmd',
        location: '-2+3',
        os: '@SUM(A1)',
        notes: 'comma, "quote"\nnew line',
        created_at: AT,
        updated_at: AT,
      },
    ]);
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('streams RFC 4180 CSV with a header row, formula cells defused, for format=csv', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toBe('attachment; filename="servers.csv"');
    expect(res.body).toBe(
      'id,hostname,ip,status,environment,role,location,os,tags,notes,managed_by,created_at,updated_at,last_seen_at\r\n' +
        `1,plain,10.0.0.1,up,,,,,a b,,,${AT},${AT},\r\n` +
        `2,tricky,2001:db8::1,down,"'=HYPERLINK(""http://x"")",'+cmd,'-2+3,'@SUM(A1),,"comma, ""quote""\nnew line",,${AT},${AT},\r\n`,
    );
  });

  it('answers CSV for Accept: text/csv and NDJSON for Accept: application/x-ndjson', async () => {
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/servers', headers: { accept: 'text/csv' } });
    expect(csv.body.split('\r\n')[0]).toBe(
      'id,hostname,ip,status,environment,role,location,os,tags,notes,managed_by,created_at,updated_at,last_seen_at',
    );
    const ndjson = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers?status=down',
      headers: { accept: 'application/x-ndjson' },
    });
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = ndjson.body.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ id: 2, hostname: 'tricky', notes: 'comma, "quote"\nnew line' });
  });

  it('weighs Accept by q, says it varies by Accept, and answers JSON when CSV is refused', async () => {
    const refused = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers',
      headers: { accept: 'text/csv;q=0, application/json' },
    });
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(refused.headers.vary).toBe('Accept');
    const preferred = await t.app.inject({
      method: 'GET',
      url: '/api/v1/servers',
      headers: { accept: 'text/csv;q=0.5, application/x-ndjson;q=0.9' },
    });
    expect(preferred.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(preferred.headers.vary).toBe('Accept');
  });

  it('answers HEAD on an export with its headers only', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/api/v1/servers?format=csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.body).toBe('');
  });

  it('exports only the header row when nothing matches', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&status=maintenance' });
    expect(res.body).toBe(
      'id,hostname,ip,status,environment,role,location,os,tags,notes,managed_by,created_at,updated_at,last_seen_at\r\n',
    );
    const nd = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=ndjson&status=maintenance' });
    expect(nd.body).toBe('');
  });

  it('refuses paging parameters on an export', async () => {
    for (const query of ['limit=10', 'offset=1', 'cursor=x']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?format=csv&${query}` });
      expect(res.statusCode, query).toBe(400);
    }
  });
});

/** The custom fields of the export tests, defined in this order (not the order of their names). */
const DEFINITIONS: { name: string; type: CustomFieldType; choices?: string[] }[] = [
  { name: 'rack', type: 'string' },
  { name: 'u', type: 'integer' },
  { name: 'weight', type: 'number' },
  { name: 'backup', type: 'boolean' },
  { name: 'bought', type: 'date' },
  { name: 'audited_at', type: 'datetime' },
  { name: 'docs', type: 'url' },
  { name: 'tier', type: 'enum', choices: ['gold', 'silver'] },
];
const FIXED_HEADER =
  'id,hostname,ip,status,environment,role,location,os,tags,notes,managed_by,created_at,updated_at,last_seen_at';
/** Strings a spreadsheet would run, and strings that only look like a defused one. */
const HOSTILE = ['=HYPERLINK("http://x","y")', '+1', '-1+2', '@SUM(A1)', ' =1', '\t=1', '＝1', "'=1", "'plain", 'a,b'];

describe('custom field columns of exports of GET /api/v1/servers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
    await defineFields(t.app, DEFINITIONS);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/servers',
      headers: AS_BOOTSTRAP,
      payload: [
        {
          hostname: 'full',
          ip: '10.0.0.1',
          custom_fields: {
            tier: 'gold',
            rack: 'R12',
            u: -3,
            weight: 1.5,
            backup: true,
            bought: '2024-02-29',
            audited_at: '2026-01-02T03:04:05+02:00',
            docs: 'https://wiki.example/r12?a=1,b',
          },
        },
        { hostname: 'none', ip: '10.0.0.2' },
        { hostname: 'some', ip: '10.0.0.3', custom_fields: { u: 0, weight: 1e21, backup: false } },
        ...HOSTILE.map((rack, i) => ({ hostname: `hostile-${i}`, ip: `10.0.1.${i}`, custom_fields: { rack } })),
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
  });
  afterAll(async () => {
    await t.app.close();
  });

  /** The export's records by id, split at CRLF: the header first, '' last. */
  const csv = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/servers?format=csv&sort=id${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.body.split('\r\n');
  };
  /** A record's cells after the fixed ones (no fixed cell of these servers needs quotes). */
  const customCells = (record: string | undefined) => String(record).split(',').slice(14).join(',');

  it('has a cf_ column per definition after the fixed columns, in the order the fields were defined', async () => {
    const [header] = await csv('&hostname=none');
    expect(header).toBe(`${FIXED_HEADER},cf_rack,cf_u,cf_weight,cf_backup,cf_bought,cf_audited_at,cf_docs,cf_tier`);
  });

  it('writes each type as text and an empty cell for no value; a negative number is defused as any cell', async () => {
    const [, full, none, some] = await csv();
    expect(customCells(full)).toBe(
      `R12,'-3,1.5,true,2024-02-29,2026-01-02T01:04:05.000Z,"https://wiki.example/r12?a=1,b",gold`,
    );
    // Seven empty fixed cells, the timestamps, no last_seen_at, then eight empty custom cells.
    expect(none).toMatch(/^2,none,10\.0\.0\.2,up,{8}[^,]+,[^,]+,{9}$/);
    expect(customCells(some)).toBe(',0,1e+21,false,,,,');
  });

  it('defuses a hostile string value exactly as a fixed text cell', async () => {
    const records = (await csv()).filter((record) => /^\d+,hostile-/.test(record));
    expect(records.map((record) => customCells(record).replace(/,{7}$/, ''))).toStrictEqual([
      `"'=HYPERLINK(""http://x"",""y"")"`,
      "'+1",
      "'-1+2",
      "'@SUM(A1)",
      "' =1",
      "'\t=1",
      "'＝1",
      "''=1",
      "'plain",
      '"a,b"',
    ]);
    // The same text in a fixed column (notes) is written the same way.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/servers/4',
      headers: AS_BOOTSTRAP,
      payload: { notes: HOSTILE[0] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const record = (await csv()).find((line) => line.startsWith('4,hostile-0,'));
    const cell = `"'=HYPERLINK(""http://x"",""y"")"`;
    expect(record?.split(cell)).toHaveLength(3);
  });

  it.runIf(hasPython)(
    'gives every value back, read by a CSV reader, undefused and read as its type (as an apply reads it)',
    async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&sort=id' });
      const [header = [], ...records] = python(PYTHON_CSV_READER, res.body) as string[][];
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/servers?sort=id&limit=100' });
      const servers = list.json<{ servers: Server[] }>().servers;
      expect(records).toHaveLength(servers.length);
      const read = records.map((record) =>
        Object.fromEntries(
          DEFINITIONS.flatMap(({ name, type }) => {
            const value = valueFromText(type, undefuse(record[header.indexOf(`cf_${name}`)] ?? ''));
            return value === null ? [] : [[name, value]];
          }),
        ),
      );
      expect(read).toStrictEqual(servers.map((server) => server.custom_fields));
      expect(read.slice(3).map((values) => values.rack)).toStrictEqual(HOSTILE);
    },
  );

  it('carries custom_fields in every NDJSON object: the set values in name order, {} for none', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=ndjson&sort=id&hostname=full,none' });
    const objects = res.body
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Server);
    expect(objects.map((server) => [server.hostname, server.custom_fields])).toStrictEqual([
      [
        'full',
        {
          audited_at: '2026-01-02T01:04:05.000Z',
          backup: true,
          bought: '2024-02-29',
          docs: 'https://wiki.example/r12?a=1,b',
          rack: 'R12',
          tier: 'gold',
          u: -3,
          weight: 1.5,
        },
      ],
      ['none', {}],
    ]);
    expect(Object.keys(objects[0]?.custom_fields ?? {})).toStrictEqual([
      'audited_at',
      'backup',
      'bought',
      'docs',
      'rack',
      'tier',
      'u',
      'weight',
    ]);
  });

  it('drops the column of a deleted field and adds one for a new field, in the header of an empty export too', async () => {
    await defineFields(t.app, [{ name: 'spare', type: 'string' }]);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/custom-fields/weight?force=true',
      headers: AS_BOOTSTRAP,
    });
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await csv('&status=maintenance')).toStrictEqual([
      `${FIXED_HEADER},cf_rack,cf_u,cf_backup,cf_bought,cf_audited_at,cf_docs,cf_tier,cf_spare`,
      '',
    ]);
  });
});

describe.runIf(hasPython)('exports of text that spreadsheets and line splitters misread', () => {
  // No NUL among them: PostgreSQL stores none in text (the unit tests of the CSV cover it).
  const FORMULAS = [' =1+2', '\t =1+2', '\n=1+2', '\u00a0@SUM(A1)', '＝1+2', '＋1', '－1', '＠SUM(A1)'];
  // Every line boundary of Python's str.splitlines(); JSON escapes all but the last three.
  const LINE_BREAKS = ['a\u2028b', 'c\u2029d', 'e\u0085f', '\u000b\u000c\u001c\u001d\u001e\r\n\u2028\u2029\u0085'];
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: false });
    await insertServers(
      t.db,
      [...FORMULAS, ...LINE_BREAKS, 'plain'].map((notes, i) =>
        serverRow({ hostname: `h${i}`, ip: `10.1.0.${i}`, notes }),
      ),
    );
  });
  afterAll(async () => {
    await t.app.close();
  });

  it('defuses in CSV a formula behind white space or a line break, and in fullwidth forms', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=csv&sort=id' });
    const [header = [], ...records] = python(PYTHON_CSV_READER, res.body) as string[][];
    const notes = header.indexOf('notes');
    expect(records.map((record) => record[notes])).toStrictEqual([
      ...FORMULAS.map((formula) => `'${formula}`),
      ...LINE_BREAKS,
      'plain',
    ]);
  });

  it('escapes U+2028, U+2029 and U+0085 in NDJSON, so that each line read by str.splitlines() is one server', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/servers?format=ndjson&sort=id' });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/servers?sort=id&limit=100' });
    const servers = list.json<{ servers: unknown[] }>().servers;
    expect(servers).toHaveLength(FORMULAS.length + LINE_BREAKS.length + 1);
    expect(python(PYTHON_NDJSON_READER, res.body)).toStrictEqual(servers);
    expect(res.body).not.toMatch(/[\u2028\u2029\u0085]/);
  });
});

/** Counts the SELECTs on servers that reach the database (not those of the custom fields' definitions). */
class QueryCounter implements KyselyPlugin {
  selects = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'SelectQueryNode' && readsServers(args.node)) {
      this.selects++;
    }
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** Whether a query reads the servers table (rather than another, such as the custom fields' definitions). */
function readsServers(node: RootOperationNode): boolean {
  return JSON.stringify(node).includes('"name":"servers"');
}

/** An app on `total` servers (h0, h1 ... on 10.0.0.0/8) listening on a loopback port, its queries counted. */
async function listeningAppWith(total: number, counter: QueryCounter, notes: string | null): Promise<TestApp> {
  const t = await buildTestApp({ seed: false, wrapDb: (db) => db.withPlugin(counter) });
  const rows = Array.from({ length: total }, (_, i) => ({
    ...base,
    hostname: `h${i}`,
    ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    notes,
    created_at: AT,
    updated_at: AT,
  }));
  for (let i = 0; i < total; i += 1000) {
    await insertServers(t.db, rows.slice(i, i + 1000));
  }
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return t;
}

describe('a large export', () => {
  const TOTAL = 12_000;
  let t: TestApp;
  const counter = new QueryCounter();
  beforeAll(async () => {
    t = await listeningAppWith(TOTAL, counter, 'x'.repeat(4000));
  }, 60_000);
  afterAll(async () => {
    await t.app.close();
  });

  function port(): number {
    const address = t.app.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  it('reads the database a chunk at a time and delivers every row', async () => {
    counter.selects = 0;
    const res = await fetch(`http://127.0.0.1:${port()}/api/v1/servers?format=ndjson&sort=ip`);
    const text = await res.text();
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(TOTAL);
    expect(counter.selects).toBe(Math.floor(TOTAL / EXPORT_CHUNK) + 1);
  });

  it('reads nothing for a HEAD', async () => {
    counter.selects = 0;
    const res = await fetch(`http://127.0.0.1:${port()}/api/v1/servers?format=csv`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(counter.selects).toBe(0);
  });

  it('answers each feed with one query', async () => {
    for (const feed of ['ansible', 'prometheus']) {
      counter.selects = 0;
      const res = await fetch(`http://127.0.0.1:${port()}/api/v1/integrations/${feed}?cidr=10.0.0.0/24`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(counter.selects, feed).toBe(1);
    }
  });

  it('stops reading when the client goes away', async () => {
    counter.selects = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: port(), path: '/api/v1/servers?format=csv', headers: { accept: 'text/csv' } },
        (res) => {
          res.once('data', () => {
            // The first bytes are here: hang up.
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET') {
          reject(error);
        }
      });
      req.end();
    });
    // Give the server time to notice, and to read on if it wrongly would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const whole = Math.floor(TOTAL / EXPORT_CHUNK) + 1;
    expect(counter.selects).toBeGreaterThan(0);
    expect(counter.selects).toBeLessThan(whole / 2);
  });
});

describe('an export to a client that keeps up', () => {
  const TOTAL = 20_000;
  let t: TestApp;
  const counter = new QueryCounter();
  beforeAll(async () => {
    t = await listeningAppWith(TOTAL, counter, null);
  }, 60_000);
  afterAll(async () => {
    await t.app.close();
  });

  it('reads one chunk per turn of the event loop, so other requests and timers still run', async () => {
    const address = t.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    // The client reads in another thread as fast as the server writes: the socket never fills, so
    // back-pressure never pauses the export, and only the export itself can let other work run.
    const client = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
      fetch(workerData).then(async (res) => {
        let bytes = 0;
        for await (const chunk of res.body) bytes += chunk.length;
        parentPort.postMessage(bytes);
      });`,
      { eval: true, workerData: `${url}/api/v1/servers?format=csv` },
    );
    counter.selects = 0;
    let mostPerTurn = 0;
    let seen = 0;
    let done = false;
    const turn = () => {
      mostPerTurn = Math.max(mostPerTurn, counter.selects - seen);
      seen = counter.selects;
      if (!done) {
        setImmediate(turn);
      }
    };
    setImmediate(turn);
    const bytes = await new Promise<number>((resolve, reject) => {
      client.once('message', resolve);
      client.once('error', reject);
    });
    done = true;
    await client.terminate();
    expect(bytes).toBeGreaterThan(TOTAL * 50);
    expect(counter.selects).toBe(TOTAL / EXPORT_CHUNK + 1);
    expect(mostPerTurn).toBeLessThanOrEqual(2);
  });
});

describe('the export stream of GET /api/v1/servers?format=csv|ndjson', () => {
  const servers: ListedServer[] = [
    {
      id: 1,
      ...serverRow({ hostname: 'münchen-01', ip: '10.0.0.1', notes: 'Grüße € 😀' }),
      status: 'up',
      last_seen_at: null,
    },
    { id: 2, ...serverRow({ hostname: 'plain', ip: '10.0.0.2', tags: ['a'] }), status: 'down', last_seen_at: AT },
  ];
  async function* inChunks(): AsyncGenerator<ListedServer[]> {
    for (const server of servers) {
      yield [server];
    }
  }

  it('hands the response whole UTF-8 strings, not Buffers, in either format', async () => {
    for (const format of ['ndjson', 'csv'] as const) {
      const stream = exportStream(format, [], inChunks());
      expect(stream.readableEncoding, format).toBe('utf8');
      const parts: unknown[] = [];
      for await (const part of stream) {
        parts.push(part);
      }
      expect(parts.length, format).toBe(servers.length);
      expect(
        parts.every((part) => typeof part === 'string'),
        format,
      ).toBe(true);
      const text = parts.join('');
      if (format === 'ndjson') {
        expect(
          text
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as unknown),
        ).toEqual(servers);
      } else {
        expect(text.startsWith(csvHeader([])), format).toBe(true);
        expect(text).toContain('münchen-01');
        expect(text).toContain('Grüße € 😀');
      }
    }
  });
});
