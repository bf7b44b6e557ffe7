// npm run bench [-- --smoke] [-- --pg] [-- --node-flags FLAGS] [-- --node PATH --memory-limit MIB] [-- --servers N --seconds S --connections C --only SCENARIOS --out FILE --strict --keep --profile DIR]
// Builds the production bundle, starts it on a temporary SQLite file (or, with --pg, a temporary
// PostgreSQL database on BENCH_DATABASE_URL's server) with the production defaults,
// seeds it through the bulk path, drives it with autocannon from this process, and compares it with
// a bare node:http reference in the same run. See docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import pg from 'pg';
import { imageFacts } from '../tests/helpers/deployment.js';
import { type ApplyResult, applyScenarios } from './apply.js';
import { type ConsoleRenderResult, consoleRenderScenario } from './console.js';
import { type MemoryGroupReport, createMemoryGroup, memoryGroupsAvailable } from './memory-group.js';
import {
  CUSTOM_FIELDS,
  CUSTOM_FILTER,
  CUSTOM_LOT,
  CUSTOM_RANGE,
  FILTER_CIDR,
  customValuesAt,
  serverAt,
} from './data.js';
import { type LoadOptions, type Measurement, combine, fromTimes, measure } from './load.js';
import { type Started, freePort, rssOf, sampleRss, startProcess, watchHealth } from './processes.js';
import { type Row, type Target, mib, resultsTable, targetsTable, writeResults } from './report.js';
import { type Patch, type WebhookResults, webhookScenarios } from './webhooks.js';
import { type Pinning, pinPostgres } from './postgres-affinity.js';
import { GENERATOR_CORE, SERVER_CORE, type WrkMeasurement, pin, unpin, wrkAvailable, wrkMeasure } from './wrk.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    servers: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    out: { type: 'string' },
    strict: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
    only: { type: 'string' },
    pg: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    node: { type: 'string' },
    'memory-limit': { type: 'string' },
  },
});

/** With --pg: the PostgreSQL server the run creates its database on (and drops it from after). */
const PG_SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const pgDatabase = `inventory_bench_${Date.now()}_${randomBytes(4).toString('hex')}`;
/** The URL of the database `name` on the PostgreSQL server. */
function pgUrlOf(name: string): string {
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}
const pgUrl = pgUrlOf(pgDatabase);
/** With --pg: the copies of the inventory that the apply scenarios write to (dropped at the end). */
const pgCopies: string[] = [];

/** Runs one statement on the PostgreSQL server (create, drop, show) or a database of the run's (analyze). */
async function onPostgres<R extends pg.QueryResultRow = pg.QueryResultRow>(
  database: 'server' | 'bench' | { url: string },
  statement: string,
): Promise<R[]> {
  const connectionString = database === 'server' ? PG_SERVER : database === 'bench' ? pgUrl : database.url;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<R>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** The groups of scenarios `--only` picks from (comma-separated); all of them without it. */
const GROUPS = ['get', 'list', 'custom', 'feeds', 'export', 'writes', 'webhooks', 'apply', 'console'] as const;
type Group = (typeof GROUPS)[number];
const only = args.only === undefined ? undefined : args.only.split(',').map((name) => name.trim());
const unknownGroups = (only ?? []).filter((name) => !(GROUPS as readonly string[]).includes(name));
if (unknownGroups.length > 0 || only?.length === 0) {
  process.stderr.write(`--only takes a comma-separated list of: ${GROUPS.join(', ')} (got "${args.only ?? ''}")\n`);
  process.exit(2);
}
const wants = (group: Group) => only === undefined || only.includes(group);
const smoke = args.smoke;
const N = Number(args.servers ?? (smoke ? 300 : 100_000));
const SMALL = smoke ? 100 : Math.min(1000, N);
const FEED = smoke ? 200 : Math.min(10_000, N);
const SECONDS = Number(args.seconds ?? (smoke ? 1 : 8));
const WARMUP = smoke ? 0.25 : 1;
const CONNECTIONS = Number(args.connections ?? 10);
const MAX_REQUESTS = smoke ? 20_000 : 2_000_000;
// A partial run (--smoke, --only) writes no results unless asked to: it would replace the full table.
const OUT = args.out ?? (smoke || only !== undefined ? undefined : join(ROOT, 'docs', 'benchmarks.md'));
const BATCH = 1000;
/** How many servers each measured apply sends: the route's most. */
const APPLY_ITEMS = smoke ? 100 : Math.min(10_000, N);
const MiB = 1024 * 1024;

const log = (line: string) => process.stderr.write(`${line}\n`);

const work = mkdtempSync(join(tmpdir(), 'inventory-bench-'));
const token = randomBytes(24).toString('hex');
const auth = { authorization: `Bearer ${token}` };
const rows: Row[] = [];
const seeded: { id: number }[] = [];
let server: Started | undefined;
let reference: Started | undefined;
let quiet: Started | undefined;
let sqliteTwin: Started | undefined;
let floor: Started | undefined;
let starts = 0;

const mainDatabaseUrl = args.pg ? pgUrl : `sqlite:${join(work, 'inventory.db')}`;

/** The production defaults, on a temporary database; the environment is built, not inherited. */
function serverEnv(
  logLevel: string,
  port: number,
  databaseUrl = mainDatabaseUrl,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: logLevel,
    // No sample servers: the benchmark's inventory is the only data.
    INVENTORY_SEED: 'false',
    INVENTORY_BOOTSTRAP_TOKEN: token,
    // Metrics are on in production once they exist; this branch has none yet, and the app ignores
    // variables it does not know.
    METRICS_ENABLED: 'true',
    ...extra,
  };
}

/** With --node: the Node.js binary of the API's processes (the container's version, say); the harness's otherwise. */
const serverNode = args.node ?? process.execPath;
const serverNodeVersion = execFileSync(serverNode, ['--version'], { encoding: 'utf8' }).trim();
/** With --memory-limit MIB: each API process runs in a memory group of its own with that limit (bench/memory-group.ts). */
const memoryLimit = args['memory-limit'] === undefined ? undefined : Number(args['memory-limit']) * MiB;
if (memoryLimit !== undefined && (!(memoryLimit > 0) || !memoryGroupsAvailable())) {
  process.stderr.write('--memory-limit takes a size in MiB, and needs the cgroup v1 memory controller\n');
  process.exit(2);
}
/** What each API process's memory group counted, by the process's log name. */
const memoryReports: { name: string; report: MemoryGroupReport }[] = [];
let groups = 0;

/** Starts an API process on the bundle (build/app/main.mjs), with --node's binary and --memory-limit's group. */
async function startApi(name: string, env: Record<string, string>, port: number): Promise<Started> {
  const group =
    memoryLimit === undefined
      ? undefined
      : createMemoryGroup(`inventory-bench-${process.pid}-${++groups}`, memoryLimit);
  try {
    const started = await startProcess(
      [...nodeFlags(), join(ROOT, 'build', 'app', 'main.mjs')],
      env,
      join(work, `${name}.log`),
      {
        healthUrl: `http://127.0.0.1:${port}/api/v1/health`,
        node: serverNode,
        memoryGroup: group,
      },
    );
    if (group === undefined) {
      return started;
    }
    let stopped: Promise<void> | undefined;
    return {
      ...started,
      // Once: the group's report is read, and the group removed, after the process's exit.
      stop: () =>
        (stopped ??= (async () => {
          await started.stop();
          memoryReports.push({ name, report: group.report() });
          group.remove();
        })()),
    };
  } catch (error) {
    group?.remove();
    throw error;
  }
}

async function startServer(
  logLevel = 'info',
  databaseUrl = mainDatabaseUrl,
  extra: Record<string, string> = {},
): Promise<Started> {
  await server?.stop();
  starts++;
  const port = await freePort();
  server = await startApi(`server-${starts}`, serverEnv(logLevel, port, databaseUrl, extra), port);
  return server;
}

/**
 * The slowest health check answered while a bulk create ran: health needs no database, so its wait is
 * the time the event loop was held by the create (parsing, validating and writing 1000 servers).
 */
let slowestHealthDuringSeed = 0;

/** Seeds servers [from, to) through POST /api/v1/servers in arrays of 1000; returns the seconds spent. */
async function seed(url: string, from: number, to: number): Promise<number> {
  const health = watchHealth(url);
  try {
    return await seedBatches(url, from, to);
  } finally {
    slowestHealthDuringSeed = Math.max(slowestHealthDuringSeed, await health.stop());
  }
}

/** Defines the custom fields (CUSTOM_FIELDS) through the API, which creates the index of each. */
async function defineCustomFields(url: string): Promise<void> {
  for (const field of CUSTOM_FIELDS) {
    const response = await fetch(`${url}/api/v1/custom-fields`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(field),
    });
    if (response.status !== 201) {
      throw new Error(`defining ${field.name}: POST answered ${response.status}: ${await response.text()}`);
    }
  }
}

/** How many times seeding sends a batch that an overloaded API turned away (503 with Retry-After). */
const SEED_ATTEMPTS = 5;
/** The batches sent again after a 503 while seeding (reported with the seeding's target). */
let seedRetries = 0;

async function seedBatches(url: string, from: number, to: number, record = true): Promise<number> {
  let seconds = 0;
  for (let start = from; start < to; start += BATCH) {
    const servers = Array.from({ length: Math.min(BATCH, to - start) }, (_, i) => ({
      ...serverAt(start + i),
      custom_fields: customValuesAt(start + i),
    }));
    const body = JSON.stringify(servers);
    const began = performance.now();
    let response: Response;
    let text: string;
    for (let attempt = 1; ; attempt++) {
      response = await fetch(`${url}/api/v1/servers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      text = await response.text();
      // As a client should: an overloaded API (503 with Retry-After) gets the same batch again when it
      // says, a few times. Nothing was written; the retries are counted and reported.
      const retryAfter = Number(response.headers.get('retry-after'));
      if (
        response.status !== 503 ||
        !(retryAfter > 0) ||
        attempt >= SEED_ATTEMPTS ||
        errorCode(text) !== 'OVERLOADED'
      ) {
        break;
      }
      if (record) {
        seedRetries++;
      }
      await sleep(retryAfter * 1000);
    }
    seconds += (performance.now() - began) / 1000;
    if (response.status !== 201) {
      throw new Error(`seeding: POST answered ${response.status}: ${text.slice(0, 500)}`);
    }
    if (record) {
      seeded.push(...(JSON.parse(text) as { id: number }[]).map(({ id }) => ({ id })));
    }
  }
  return seconds;
}

/** The `code` of an error body, or undefined when the body is not one. */
function errorCode(text: string): unknown {
  try {
    return (JSON.parse(text) as { code?: unknown }).code;
  } catch {
    return undefined;
  }
}

function randomId(): number {
  return (seeded[Math.floor(Math.random() * seeded.length)] as { id: number }).id;
}

function fixed(path: string): autocannon.Request[] {
  return [{ path }];
}

/** Follows `next` page after page, in the given sort; back to the first page after the last. */
function cursorWalk(sort = 'ip'): autocannon.Request[] {
  const first = `/api/v1/servers?sort=${sort}`;
  return [
    {
      setupRequest: (req, context) => ({ ...req, path: (context as { next?: string }).next ?? first }),
      onResponse: (_status, body, context) => {
        const next = (JSON.parse(body) as { next?: string | null }).next;
        (context as { next?: string }).next =
          typeof next === 'string' ? `${first}&cursor=${encodeURIComponent(next)}` : undefined;
      },
    },
  ];
}

function loadBase(
  target: Started,
  requests: autocannon.Request[],
  connections = CONNECTIONS,
): Omit<LoadOptions, 'seconds' | 'maxRequests'> {
  return { url: target.url, pid: target.pid, connections, requests };
}

/**
 * The API's Node.js flags from --node-flags (space-separated); without it, under --memory-limit, the
 * image's `NODE_OPTIONS` (the Dockerfile's), as the container would run it.
 */
const apiNodeFlags: string | undefined =
  args['node-flags'] ?? (memoryLimit === undefined ? undefined : imageNodeOptions());

/** The runtime stage's `ENV NODE_OPTIONS`, read as the delivery tests read it (tests/helpers/deployment.ts). */
function imageNodeOptions(): string {
  const options = imageFacts().env.NODE_OPTIONS;
  if (options === undefined) {
    throw new Error('the Dockerfile sets no NODE_OPTIONS for --memory-limit to run the API with');
  }
  return options;
}

/** Flags for the API's Node.js: --profile's (a CPU profile written when it stops), and the flags above. */
function nodeFlags(): string[] {
  return [...(args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args.profile}`]), ...v8Flags()];
}

/** The flags above without --profile's. */
function v8Flags(): string[] {
  return apiNodeFlags?.split(' ').filter((flag) => flag !== '') ?? [];
}

/** Runs one scenario (after an unrecorded warm-up with the same requests) and records it. */
async function scenario(
  name: string,
  servers: number,
  target: Started,
  requests: autocannon.Request[],
  options: { warmup?: boolean; connections?: number; maxRequests?: number; method?: 'POST' | 'PATCH' } = {},
  headers: Record<string, string> = {},
): Promise<Measurement> {
  const base: Omit<LoadOptions, 'seconds' | 'maxRequests'> = {
    ...loadBase(target, requests, options.connections),
    method: options.method ?? 'GET',
    headers,
  };
  if (options.warmup !== false) {
    await measure({ ...base, seconds: WARMUP, maxRequests: MAX_REQUESTS });
  }
  log(`  ${name} (${servers} servers)`);
  const m = await measure({ ...base, seconds: SECONDS, maxRequests: options.maxRequests ?? MAX_REQUESTS });
  rows.push({ scenario: name, servers, m });
  return m;
}

type ExportFormat = 'csv' | 'ndjson';

/** One export of everything, read as a client would; returns its rows and seconds. */
async function exportOnce(
  url: string,
  query = '',
  format: ExportFormat = 'csv',
): Promise<{ rows: number; seconds: number }> {
  const began = performance.now();
  const response = await fetch(`${url}/api/v1/servers?format=${format}${query}`, {
    signal: AbortSignal.timeout(300_000),
  });
  if (response.status !== 200 || response.body === null) {
    throw new Error(`export answered ${response.status}`);
  }
  let lines = 0;
  for await (const chunk of response.body) {
    for (const byte of chunk) {
      if (byte === 10) {
        lines++;
      }
    }
  }
  // A CSV's header line is not a server.
  return { rows: format === 'csv' ? lines - 1 : lines, seconds: (performance.now() - began) / 1000 };
}

const FORMAT_NAMES = { csv: 'CSV', ndjson: 'NDJSON' } as const;

/**
 * The whole inventory as CSV or NDJSON, on a freshly started server (so that RSS before it does not
 * carry earlier scenarios), repeated within the time bound; peak RSS sampled every 20 ms.
 */
async function exportScenario(
  servers: number,
  format: ExportFormat = 'csv',
): Promise<{ peak: number; before: number; rowsPerSecond: number; started: Started }> {
  const s = await startServer();
  await exportOnce(s.url, `&cidr=${encodeURIComponent(FILTER_CIDR)}`, format);
  await sleep(500);
  const before = rssOf(s.pid) ?? 0;
  log(`  ${FORMAT_NAMES[format]} export (${servers} servers)`);
  const rss = sampleRss(s.pid);
  const times: number[] = [];
  let exported = 0;
  const began = performance.now();
  do {
    const { rows: n, seconds } = await exportOnce(s.url, '', format);
    if (n !== servers) {
      throw new Error(`the export has ${n} rows, not ${servers}`);
    }
    exported += n;
    times.push(seconds);
  } while ((performance.now() - began) / 1000 < SECONDS && times.length < 20);
  const peak = rss.stop();
  const total = times.reduce((a, b) => a + b, 0);
  const rowsPerSecond = exported / total;
  rows.push({
    scenario: `${FORMAT_NAMES[format]} export, whole inventory`,
    servers,
    m: fromTimes(times, peak),
    extra: `${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s; RSS before ${mib(before)}, peak +${mib(peak - before)}`,
  });
  return { peak, before, rowsPerSecond, started: s };
}

/** With two cores or more, the GET-by-id loads run on wrk, pinned apart from the server (bench/wrk.ts). */
const useWrk = wrkAvailable(cpus().length);

/** With --pg: what became of pinning PostgreSQL for the GET-by-id rounds (bench/postgres-affinity.ts). */
let postgresPinning: string | undefined;

/** With --pg: PostgreSQL pinned to the generator's core, or why not (see pinPostgres). */
async function pinDatabase(): Promise<Pinning> {
  try {
    const [row] = await onPostgres<{ data_directory: string }>('server', 'SHOW data_directory');
    return pinPostgres(PG_SERVER, row?.data_directory ?? '', GENERATOR_CORE);
  } catch (error) {
    return { pinned: false, reason: `SHOW data_directory failed: ${String(error)}`, restore: () => undefined };
  }
}

/** Connections of the GET-by-id loads on wrk: enough to keep a single-threaded server busy. */
const WRK_CONNECTIONS = 32;

/**
 * Checks that the reference answers what the API answers for `paths`: the same status, the same body
 * byte for byte and the same ETag (its other headers are one of the API's answers' own). A reference
 * that answered less would not be the ceiling.
 */
async function checkReference(api: Started, ref: Started, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const [a, r] = await Promise.all([fetch(api.url + path), fetch(ref.url + path)]);
    const [aBody, rBody] = await Promise.all([a.text(), r.text()]);
    if (aBody !== rBody || a.headers.get('etag') !== r.headers.get('etag') || a.status !== r.status) {
      throw new Error(
        `the reference's answer to ${path} is not the API's: ${rBody.slice(0, 200)} vs ${aBody.slice(0, 200)}`,
      );
    }
  }
}

/**
 * Measures the contenders on the same paths in alternating rounds, after a warm-up of each. With wrk,
 * every contender is pinned to one core and wrk to the other, and each row says how much of its core
 * the generator used (near all of it: the generator was the limit).
 */
async function roundsOf(
  label: string,
  contenders: readonly (readonly [name: string, target: Started])[],
  paths: readonly string[],
  { pinPostgresApart = false }: { pinPostgresApart?: boolean } = {},
): Promise<Measurement[]> {
  // Without wrk, autocannon picks one of the paths at random for each request, as wrk's script does.
  const randomPath: autocannon.Request[] = [
    { setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] ?? '/' }) },
  ];
  const load = async (target: Started, seconds: number, maxRequests: number): Promise<Measurement> =>
    useWrk
      ? wrkMeasure({ url: target.url, pid: target.pid, paths, seconds, connections: WRK_CONNECTIONS, work })
      : measure({ ...loadBase(target, randomPath), seconds, maxRequests });
  const rounds = smoke ? 1 : 4;
  const parts = contenders.map(() => [] as Measurement[]);
  let database: Pinning | undefined;
  try {
    if (useWrk) {
      for (const [, target] of contenders) {
        pin(target.pid, SERVER_CORE);
      }
      if (pinPostgresApart && args.pg) {
        database = await pinDatabase();
        postgresPinning = database.pinned
          ? `its ${database.processes} processes pinned to core ${GENERATOR_CORE}, apart from the API, for the GET-by-id rounds`
          : `its processes not pinned for the GET-by-id rounds: ${database.reason}`;
      }
    }
    for (const [, target] of contenders) {
      await load(target, WARMUP, MAX_REQUESTS);
    }
    log(`  ${label}: ${contenders.map(([name]) => name).join('; ')}, ${rounds} rounds${useWrk ? ' (wrk)' : ''}`);
    for (let round = 0; round < rounds; round++) {
      for (const [i, [, target]] of contenders.entries()) {
        parts[i]?.push(await load(target, SECONDS / rounds, MAX_REQUESTS / rounds));
      }
    }
  } finally {
    // Those that serve later scenarios run on every core again, whether the rounds ended or failed.
    if (useWrk) {
      for (const [, target] of contenders) {
        unpin(target.pid, cpus().length);
      }
    }
    database?.restore();
  }
  const measured = parts.map(combine);
  for (const [i, m] of measured.entries()) {
    const shares = (parts[i] ?? []).map((part) => (part as Partial<WrkMeasurement>).generatorCpu ?? Number.NaN);
    const share = Math.max(...shares);
    rows.push({
      scenario: contenders[i]?.[0] ?? '',
      servers: N,
      m,
      extra: Number.isNaN(share) ? undefined : `wrk used up to ${(share * 100).toFixed(0)}% of its core`,
    });
  }
  return measured;
}

const BY_ID = 'GET by id (random ids)';
const BY_ID_REFERENCE = 'GET by id, bare node:http reference (precomputed bytes)';
const BY_ID_QUIET = 'GET by id, LOG_LEVEL=warn';
const BY_ID_SQLITE = 'GET by id, the same inventory on SQLite';
const BY_ID_FLOOR = "GET by id, bare Fastify route (prepared statement, the API's mapper and schema, no hooks)";
const LIST_PAGE = 'List, default page (100 and the count)';
const LIST_REFERENCE = 'List, default page, bare node:http reference (JSON.stringify per request)';

interface ReadResults {
  byId?: { api: Measurement; ref: Measurement; quiet: Measurement; sqlite?: Measurement; floor?: Measurement };
  list?: { api: Measurement; ref: Measurement };
}

/**
 * The read paths against their references at N: GET by id on random ids (the API; the bare node:http
 * reference answering the API's own bytes for each id; a second API process at LOG_LEVEL=warn; with
 * --pg, an API on a SQLite copy of the inventory), then the default list page against a reference that
 * serialises the API's page from memory on each request.
 */
async function readScenarios(s: Started): Promise<ReadResults> {
  const file = (name: string) => join(work, name);
  const headersOf = async (path: string) => {
    const response = await fetch(s.url + path);
    await response.arrayBuffer();
    return JSON.stringify(Object.fromEntries(response.headers));
  };
  writeFileSync(file('servers.ndjson'), await (await fetch(`${s.url}/api/v1/servers?format=ndjson`)).text());
  writeFileSync(file('headers.json'), await headersOf(`/api/v1/servers/${randomId()}`));
  writeFileSync(file('page.json'), await (await fetch(`${s.url}/api/v1/servers`)).text());
  writeFileSync(file('page-headers.json'), await headersOf('/api/v1/servers'));
  const files = ['servers.ndjson', 'headers.json', 'page.json', 'page-headers.json'].map(file);
  // On the API's Node.js (--node's): the same runtime on both sides of each ratio.
  reference = await startProcess(
    ['--import', 'tsx', join(ROOT, 'bench', 'reference-server.ts'), ...files],
    { PATH: process.env.PATH ?? '' },
    join(work, 'reference.log'),
    { node: serverNode },
  );
  const results: ReadResults = {};
  try {
    await checkReference(s, reference, [
      ...Array.from({ length: 5 }, () => `/api/v1/servers/${randomId()}`),
      '/api/v1/servers',
    ]);
    if (wants('get')) {
      const quietPort = await freePort();
      // The second server, at LOG_LEVEL=warn, reads the same database.
      quiet = await startApi('server-quiet', serverEnv('warn', quietPort), quietPort);
      const contenders: [string, Started][] = [
        [BY_ID, s],
        [BY_ID_REFERENCE, reference],
        [BY_ID_QUIET, quiet],
      ];
      if (args.pg) {
        sqliteTwin = await sqliteCopy();
        contenders.push([BY_ID_SQLITE, sqliteTwin]);
      } else {
        // On SQLite: what Fastify alone costs, on the same database (bench/fastify-floor.ts), on the
        // API's Node.js with its V8 flags (outside a memory group: the flags size V8's heap, not the group).
        floor = await startProcess(
          [...v8Flags(), '--import', 'tsx', join(ROOT, 'bench', 'fastify-floor.ts'), join(work, 'inventory.db')],
          { PATH: process.env.PATH ?? '' },
          join(work, 'fastify-floor.log'),
          { node: serverNode },
        );
        await checkReference(
          s,
          floor,
          Array.from({ length: 5 }, () => `/api/v1/servers/${randomId()}`),
        );
        contenders.push([BY_ID_FLOOR, floor]);
      }
      const [api, ref, quietM, fourth] = await roundsOf(
        'GET by id',
        contenders,
        seeded.map(({ id }) => `/api/v1/servers/${id}`),
        { pinPostgresApart: true },
      );
      if (api === undefined || ref === undefined || quietM === undefined) {
        throw new Error('GET by id: a contender was not measured');
      }
      results.byId = args.pg ? { api, ref, quiet: quietM, sqlite: fourth } : { api, ref, quiet: quietM, floor: fourth };
      await quiet.stop();
      await sqliteTwin?.stop();
      await floor?.stop();
      if (args.pg) {
        await poolSizes();
      }
    }
    if (wants('list')) {
      const [api, ref] = await roundsOf(
        'List, default page',
        [
          [LIST_PAGE, s],
          [LIST_REFERENCE, reference],
        ],
        ['/api/v1/servers'],
      );
      if (api === undefined || ref === undefined) {
        throw new Error('the default page: a contender was not measured');
      }
      results.list = { api, ref };
    }
  } finally {
    await reference.stop();
  }
  return results;
}

/** The pool sizes (DATABASE_POOL_MAX) that --pg compares: from one connection to twice the default. */
const POOL_SIZES = [1, 2, 5, 10, 20] as const;
const poolScenario = (size: number) => `GET by id, PostgreSQL, DATABASE_POOL_MAX=${size}`;

/**
 * With --pg: GET by id on one API process per pool size, in alternating rounds (each pinned to the
 * same core, wrk on the other), on the same inventory. Where req/s stops growing with the pool, more
 * connections only queue in PostgreSQL: docs/benchmarks.md draws the recommendation from these rows.
 */
async function poolSizes(): Promise<void> {
  const started: [string, Started][] = [];
  try {
    for (const size of POOL_SIZES) {
      const port = await freePort();
      const env = serverEnv('info', port, mainDatabaseUrl, { DATABASE_POOL_MAX: String(size) });
      started.push([poolScenario(size), await startApi(`server-pool-${size}`, env, port)]);
    }
    await roundsOf(
      'Pool sizes',
      started,
      seeded.map(({ id }) => `/api/v1/servers/${id}`),
    );
  } finally {
    for (const [, target] of started) {
      await target.stop();
    }
  }
}

/**
 * With --pg: an API process on a SQLite database holding the same servers, seeded through the bulk
 * path with the same data in the same order (so the same ids), for GET by id on both in one run.
 */
async function sqliteCopy(): Promise<Started> {
  const port = await freePort();
  const twin = await startApi('server-sqlite', serverEnv('info', port, `sqlite:${join(work, 'twin.db')}`), port);
  try {
    log(`  seeding ${N} servers into a SQLite twin of the inventory`);
    await defineCustomFields(twin.url);
    await seedBatches(twin.url, 0, N, false);
    const path = `/api/v1/servers/${randomId()}`;
    const [a, b] = await Promise.all([fetch(twin.url + path), fetch(`${server?.url ?? ''}${path}`)]);
    // The same server but for when each was created.
    const untimed = async (response: Response) => {
      const server = (await response.json()) as Record<string, unknown>;
      delete server.created_at;
      delete server.updated_at;
      return JSON.stringify(server);
    };
    const [aBody, bBody] = await Promise.all([untimed(a), untimed(b)]);
    if (aBody !== bBody) {
      throw new Error(
        `the SQLite twin's ${path} is not PostgreSQL's: ${aBody.slice(0, 200)} vs ${bBody.slice(0, 200)}`,
      );
    }
    return twin;
  } catch (error) {
    await twin.stop();
    throw error;
  }
}

const ANSIBLE_FEED = 'Ansible inventory feed';
const PROMETHEUS_FEED = 'Prometheus service discovery feed';

/** The fixed-field filter: about 200 servers at any size (the first /24), a default page. */
const FIXED_FILTER = `List, status=up and cidr ${FILTER_CIDR}`;
const FIXED_FILTER_PATH = `/api/v1/servers?status=up&cidr=${encodeURIComponent(FILTER_CIDR)}`;

/**
 * The custom-field filter measured as the fixed-field one is: as many matches at both sizes, a
 * default page. Its p50 at N against SMALL, and against the fixed-field filter's at N, are targets.
 */
const CUSTOM_LOT_SCENARIO = `List, ${CUSTOM_LOT} (integer, 200 servers at any size, as the fixed-field filter)`;

/**
 * Filters that 1% of the servers match at any size, so 100 times as many at N as at SMALL: pages of
 * 10, so that both sizes serve as many servers (1% of 1,000 is 10). Their ratio is reported against
 * the same limit, not as a target: counting 100 times as many matches costs more wherever the
 * database cannot count them from the index alone (docs/benchmarks.md).
 */
const CUSTOM_SCENARIOS = [
  [`List, ${CUSTOM_FILTER} (string, 1%), 10 a page`, `${CUSTOM_FILTER}&limit=10`],
  [`List, ${CUSTOM_RANGE} (integer range, 1%), 10 a page`, `${CUSTOM_RANGE}&limit=10`],
] as const;

/** The selective custom-field filters (a page and the count of all that match), with the fixed-field one beside them. */
async function customScenarios(s: Started, servers: number): Promise<void> {
  if (!wants('list')) {
    await scenario(FIXED_FILTER, servers, s, fixed(FIXED_FILTER_PATH));
  }
  await scenario(CUSTOM_LOT_SCENARIO, servers, s, fixed(`/api/v1/servers?${CUSTOM_LOT}`));
  for (const [name, query] of CUSTOM_SCENARIOS) {
    await scenario(name, servers, s, fixed(`/api/v1/servers?${query}`));
  }
}

/** The version of each server the run has patched (1 for the others): its ETag for If-Match. */
const versions = new Map<number, number>();
let patched = 0;

/** The next PATCH of a write scenario: the next seeded server (round the inventory), with If-Match. */
function nextPatch(): Patch {
  const id = (seeded[patched++ % seeded.length] as { id: number }).id;
  const version = versions.get(id) ?? 1;
  versions.set(id, version + 1);
  return {
    id,
    path: `/api/v1/servers/${id}`,
    ifMatch: `"${id}-${version}"`,
    body: JSON.stringify({ notes: `bench patch ${patched}`, status: 'maintenance' }),
  };
}

/** POST of one new server, then PATCH with If-Match on a different server each time. */
async function writeScenarios(s: Started): Promise<void> {
  let next = N + 1_000_000;
  await scenario(
    'POST one new server',
    N,
    s,
    [{ setupRequest: (req) => ({ ...req, path: '/api/v1/servers', body: JSON.stringify(serverAt(next++)) }) }],
    { warmup: false, method: 'POST' },
    { ...auth, 'content-type': 'application/json' },
  );
  await scenario(
    'PATCH with If-Match',
    N,
    s,
    [
      {
        setupRequest: (req) => {
          const patch = nextPatch();
          return { ...req, path: patch.path, headers: { ...req.headers, 'if-match': patch.ifMatch }, body: patch.body };
        },
      },
    ],
    { warmup: false, method: 'PATCH', maxRequests: seeded.length },
    { ...auth, 'content-type': 'application/merge-patch+json' },
  );
}

/**
 * A copy of the inventory as it is now, for the scenarios that write to it (the applies); returns its
 * DATABASE_URL. The server stops first: SQLite's file is then whole (the WAL is copied too if one is
 * left), and PostgreSQL copies a database only when no one is connected to it.
 */
async function copyInventory(name: string): Promise<string> {
  await server?.stop();
  if (args.pg) {
    const copy = `${pgDatabase}_${name}`;
    await onPostgres('server', `create database ${copy} template ${pgDatabase}`);
    pgCopies.push(copy);
    const url = pgUrlOf(copy);
    // The planner's statistics of the copy, as autovacuum would gather them.
    await onPostgres({ url }, 'analyze');
    return url;
  }
  const file = join(work, 'inventory.db');
  const copy = join(work, `inventory-${name}.db`);
  for (const suffix of ['', '-wal']) {
    if (existsSync(`${file}${suffix}`)) {
      copyFileSync(`${file}${suffix}`, `${copy}${suffix}`);
    }
  }
  return `sqlite:${copy}`;
}

async function postgresVersion(): Promise<string> {
  const [row] = await onPostgres<{ server_version: string }>('server', 'show server_version');
  return row?.server_version ?? 'unknown';
}

function find(name: string, servers: number): Measurement {
  const row = rows.find((r) => r.scenario === name && r.servers === servers);
  if (row === undefined) {
    throw new Error(`no result for ${name} at ${servers}`);
  }
  return row.m;
}

async function main(): Promise<number> {
  if (args.pg) {
    log(`==> creating the PostgreSQL database ${pgDatabase}`);
    await onPostgres('server', `create database ${pgDatabase} template template0 encoding 'UTF8' locale 'C.UTF-8'`);
  }
  log(`==> building the bundle (npm run build:bundle)`);
  execFileSync('npm', ['run', '--silent', 'build:bundle'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });

  log(`==> seeding ${SMALL} servers`);
  let s = await startServer();
  await defineCustomFields(s.url);
  let seedSeconds = await seed(s.url, 0, SMALL);
  const metrics = await fetch(`${s.url}/metrics`);
  const metricsOn = metrics.status === 200;
  await metrics.arrayBuffer();

  log(`==> scenarios at ${SMALL} servers`);
  if (wants('list')) {
    await scenario('List, default page', SMALL, s, fixed('/api/v1/servers'));
    await scenario(FIXED_FILTER, SMALL, s, fixed(FIXED_FILTER_PATH));
  }
  if (wants('custom')) {
    await customScenarios(s, SMALL);
  }
  let feeds: { ansible: number; prometheus: number; csv: number } | undefined;
  const smallExport = wants('export') ? await exportScenario(SMALL) : undefined;
  const smallNdjson = wants('export') ? await exportScenario(SMALL, 'ndjson') : undefined;

  s = await startServer();
  log(`==> seeding to ${FEED} servers`);
  seedSeconds += await seed(s.url, SMALL, FEED);
  if (wants('feeds')) {
    // Feeds are polled by a few clients (Ansible runs, Prometheus servers), not by a crowd; more
    // connections would only queue multi-megabyte answers and load the harness's HTTP parser.
    const ansible = await scenario(ANSIBLE_FEED, FEED, s, fixed('/api/v1/integrations/ansible'), { connections: 2 });
    const prometheus = await scenario(PROMETHEUS_FEED, FEED, s, fixed('/api/v1/integrations/prometheus'), {
      connections: 2,
    });
    // The CSV export of the same inventory, each feed's yardstick.
    const csv = await exportScenario(FEED);
    s = csv.started;
    feeds = { ansible: ansible.rps * FEED, prometheus: prometheus.rps * FEED, csv: csv.rowsPerSecond };
  }
  // The apply at two sizes shows whether its memory grows with the inventory (one size if they are equal).
  const applyAtFeed = wants('apply') && FEED < N ? await copyInventory(`apply_${FEED}`) : undefined;
  if (applyAtFeed !== undefined) {
    s = await startServer();
  }

  log(`==> seeding to ${N} servers`);
  seedSeconds += await seed(s.url, FEED, N);
  log(`    ${N} servers seeded in ${seedSeconds.toFixed(1)} s of requests`);

  // A server started on the grown inventory, as after a deploy: SQLite gathers the planner's
  // statistics when it opens the file (a running server refreshes them every 10 minutes). PostgreSQL's
  // autovacuum analyses a table that grew this much within a minute; the run does not wait for it.
  if (args.pg) {
    await onPostgres('bench', 'analyze');
  }
  const applyAtN = wants('apply') ? await copyInventory(`apply_${N}`) : undefined;
  s = await startServer();
  log(`==> scenarios at ${N} servers`);
  const { byId, list } = wants('get') || wants('list') ? await readScenarios(s) : {};
  if (wants('list')) {
    await scenario('List, default page', N, s, fixed('/api/v1/servers'));
    await scenario(FIXED_FILTER, N, s, fixed(FIXED_FILTER_PATH));
    await scenario('Cursor walk, sort=ip (100 per page)', N, s, cursorWalk(), { connections: 4 });
  }
  if (wants('custom')) {
    await customScenarios(s, N);
    await scenario('Cursor walk, sort=-cf_u (100 per page)', N, s, cursorWalk('-cf_u'), { connections: 4 });
  }
  const consoleRender: ConsoleRenderResult | undefined = wants('console')
    ? await consoleRenderScenario(s.url, smoke ? 3 : 30, log)
    : undefined;
  const bigExport = wants('export') ? await exportScenario(N) : undefined;
  const bigNdjson = wants('export') ? await exportScenario(N, 'ndjson') : undefined;

  if (wants('writes')) {
    s = await startServer();
    await writeScenarios(s);
  }
  let webhooks: WebhookResults | undefined;
  if (wants('webhooks')) {
    log(`==> webhooks at ${N} servers`);
    s = await startServer('info', mainDatabaseUrl, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    webhooks = await webhookScenarios({
      api: s,
      servers: N,
      auth,
      log,
      nextPatch,
      work,
      root: ROOT,
      burst: smoke ? 100 : 2000,
      rate: smoke ? 20 : 50,
      rateSeconds: smoke ? 1 : 10,
      rounds: smoke ? 1 : 8,
      roundSeconds: smoke ? 1 : 2,
      warmupSeconds: WARMUP,
      connections: CONNECTIONS,
    });
    rows.push(...webhooks.rows);
  }
  const applies: ApplyResult[] = [];
  for (const [inventory, databaseUrl] of [
    [FEED, applyAtFeed],
    [N, applyAtN],
  ] as const) {
    if (databaseUrl !== undefined) {
      log(`==> apply scenarios at ${inventory} servers (a copy of the inventory)`);
      const result = await applyScenarios(inventory, databaseUrl, {
        items: APPLY_ITEMS,
        repeats: smoke ? 1 : 3,
        warmupItems: smoke ? 20 : 1000,
        auth,
        log,
        start: (url) => startServer('info', url),
      });
      rows.push(...result.rows);
      applies.push(result);
    }
  }
  await server?.stop();

  const ratio = (a: number, b: number) => a / b;
  const targets: Target[] = [];
  if (byId !== undefined) {
    const { api, ref, quiet: quietM, sqlite, floor: floorM } = byId;
    const getRatio = ratio(api.rps, ref.rps);
    targets.push({
      name: 'GET by id: req/s vs the bare node:http reference, production defaults',
      measured: `${getRatio.toFixed(2)} (${api.rps.toFixed(0)} / ${ref.rps.toFixed(0)})`,
      limit: '>= 0.50 (stretch 0.60)',
      pass: getRatio >= 0.5,
      note: [
        getRatio >= 0.6 ? 'stretch met' : 'stretch missed',
        ...(floorM === undefined ? [] : [`bare Fastify route ${ratio(floorM.rps, ref.rps).toFixed(2)}`]),
      ].join('; '),
    });
    const quietRatio = ratio(quietM.rps, ref.rps);
    targets.push({
      name: 'GET by id at LOG_LEVEL=warn, vs the reference',
      measured: `${quietRatio.toFixed(2)} (${quietM.rps.toFixed(0)} / ${ref.rps.toFixed(0)})`,
      limit: '>= 0.65',
      pass: quietRatio >= 0.65,
    });
    if (sqlite !== undefined) {
      const pgRatio = ratio(api.rps, sqlite.rps);
      targets.push({
        name: 'GET by id on PostgreSQL vs the same inventory on SQLite',
        measured: `${pgRatio.toFixed(2)} (${api.rps.toFixed(0)} / ${sqlite.rps.toFixed(0)})`,
        limit: '>= 0.70',
        pass: pgRatio >= 0.7,
      });
    }
  }
  if (list !== undefined) {
    const listRatio = ratio(list.api.rps, list.ref.rps);
    targets.push({
      name: 'List, default page: req/s vs a bare node:http server serialising the page from memory',
      measured: `${listRatio.toFixed(2)} (${list.api.rps.toFixed(0)} / ${list.ref.rps.toFixed(0)})`,
      limit: '>= 0.50',
      pass: listRatio >= 0.5,
    });
  }
  if (feeds !== undefined) {
    for (const [name, rate] of [
      [ANSIBLE_FEED, feeds.ansible],
      [PROMETHEUS_FEED, feeds.prometheus],
    ] as const) {
      const feedRatio = ratio(rate, feeds.csv);
      const rps = (n: number) => Math.round(n).toLocaleString('en-US');
      targets.push({
        name: `${name} at ${FEED}: servers/s vs the CSV export's`,
        measured: `${feedRatio.toFixed(2)} (${rps(rate)} / ${rps(feeds.csv)})`,
        limit: '>= 0.50',
        pass: feedRatio >= 0.5,
      });
    }
  }
  if (wants('list')) {
    for (const name of ['List, default page', FIXED_FILTER]) {
      const big = find(name, N);
      const small = find(name, SMALL);
      const r = ratio(big.p50, small.p50);
      targets.push({
        name: `${name}: p50 at ${N} vs at ${SMALL}`,
        measured: `${r.toFixed(2)} (${big.p50.toFixed(2)} ms / ${small.p50.toFixed(2)} ms)`,
        limit: '<= 1.50',
        pass: r <= 1.5,
      });
    }
  }
  if (wants('custom')) {
    const growth = (name: string, informative: boolean): Target => {
      const big = find(name, N);
      const small = find(name, SMALL);
      const r = ratio(big.p50, small.p50);
      return {
        name: `${name}: p50 at ${N} vs at ${SMALL}`,
        measured: `${r.toFixed(2)} (${big.p50.toFixed(2)} ms / ${small.p50.toFixed(2)} ms)`,
        limit: '<= 1.50',
        pass: r <= 1.5,
        ...(informative ? { informative: true as const } : {}),
      };
    };
    targets.push(growth(CUSTOM_LOT_SCENARIO, false));
    const lot = find(CUSTOM_LOT_SCENARIO, N);
    const fixedFilter = find(FIXED_FILTER, N);
    const vsFixed = ratio(lot.p50, fixedFilter.p50);
    targets.push({
      name: `${CUSTOM_LOT_SCENARIO} at ${N}: p50 vs the fixed-field filter's`,
      measured: `${vsFixed.toFixed(2)} (${lot.p50.toFixed(2)} ms / ${fixedFilter.p50.toFixed(2)} ms)`,
      limit: '<= 1.50',
      pass: vsFixed <= 1.5,
    });
    for (const [name] of CUSTOM_SCENARIOS) {
      targets.push(growth(name, true));
    }
  }
  for (const [format, small, big] of [
    ['csv', smallExport, bigExport],
    ['ndjson', smallNdjson, bigNdjson],
  ] as const) {
    if (big === undefined || small === undefined) {
      continue;
    }
    const growth = big.peak - big.before;
    targets.push({
      name: `${FORMAT_NAMES[format]} export of ${N}: peak RSS above RSS before it`,
      measured: `+${mib(growth)} (${mib(big.before)} -> ${mib(big.peak)})`,
      limit: '<= 64 MiB',
      pass: growth <= 64 * MiB,
    });
    const exportRatio = ratio(big.peak, small.peak);
    targets.push({
      name: `${FORMAT_NAMES[format]} export: peak RSS at ${N} vs at ${SMALL}`,
      measured: `${exportRatio.toFixed(2)} (${mib(big.peak)} / ${mib(small.peak)})`,
      limit: '<= 1.25',
      pass: exportRatio <= 1.25,
    });
  }
  targets.push({
    name: `Seeding ${N} servers through the bulk path (arrays of ${BATCH})`,
    measured:
      `${seedSeconds.toFixed(1)} s, ${Math.round(N / seedSeconds).toLocaleString('en-US')} rows/s` +
      (seedRetries > 0 ? `; ${seedRetries} batches sent again after 503 OVERLOADED` : ''),
    limit: '< 60 s, none turned away',
    pass: seedSeconds < 60 && seedRetries === 0,
  });
  targets.push({
    name: `Slowest health check while the bulk path seeded (event loop held by one create of ${BATCH})`,
    measured: `${slowestHealthDuringSeed.toFixed(0)} ms`,
    limit: '<= 150 ms (the loop is held at most about 100 ms)',
    pass: slowestHealthDuringSeed <= 150,
  });
  targets.push(...(webhooks?.targets ?? []));
  const applyAt = (inventory: number) => applies.find((a) => a.inventory === inventory);
  const bigApply = applyAt(N);
  const smallApply = applyAt(FEED);
  if (bigApply !== undefined) {
    const again = bigApply.again.p50 / 1000;
    const speedup = ratio(bigApply.first.seconds, again);
    targets.push({
      name: `Apply of ${APPLY_ITEMS} at ${N} servers: the same again, nothing changed, vs the first run`,
      measured: `${speedup.toFixed(1)}x faster (${bigApply.first.seconds.toFixed(2)} s / ${again.toFixed(2)} s)`,
      limit: '>= 5x',
      pass: speedup >= 5,
    });
  }
  if (bigApply !== undefined && smallApply !== undefined) {
    const more = bigApply.growth - smallApply.growth;
    targets.push({
      name: `Apply of ${APPLY_ITEMS}: peak RSS growth at ${N} servers vs at ${FEED}`,
      measured: `+${mib(bigApply.growth)} vs +${mib(smallApply.growth)}`,
      // Reading the whole table would grow with it: 100,000 rows are about 66 MiB of JavaScript objects
      // (150 MiB of RSS). The collector's timing moves one apply's growth by about 10 MiB between runs.
      limit: '<= 32 MiB more',
      pass: more <= 32 * MiB,
    });
  }

  targets.push(...(consoleRender?.targets ?? []));
  if (memoryLimit !== undefined) {
    const kills = memoryReports.reduce((sum, { report }) => sum + report.oomKills, 0);
    const most = Math.max(0, ...memoryReports.map(({ report }) => report.maxUsage));
    const reclaims = memoryReports.reduce((sum, { report }) => sum + report.failcnt, 0);
    targets.push({
      name: `API processes in a memory group of ${mib(memoryLimit)} each: killed by the OOM killer`,
      measured: `${kills} of ${memoryReports.length} processes (the most a group used, the page cache the kernel reclaims at the limit included: ${mib(most)}; the limit reached ${reclaims} times, each time the kernel reclaimed memory)`,
      limit: '0',
      pass: kills === 0,
    });
  }

  const pgVersion = args.pg ? await postgresVersion() : '';
  const commandFlags = [
    ...(smoke ? ['--smoke'] : []),
    ...(args.pg ? ['--pg'] : []),
    ...(only === undefined ? [] : [`--only ${only.join(',')}`]),
    ...(args.node === undefined ? [] : [`--node ${serverNodeVersion}`]),
    ...(apiNodeFlags === undefined ? [] : [`--node-flags="${apiNodeFlags}"`]),
    ...(memoryLimit === undefined ? [] : [`--memory-limit ${memoryLimit / MiB}`]),
  ];
  const harnessFailures = rows.filter((r) => r.m.failures > 0 || r.m.requests === 0);
  const cpu = cpus();
  const generated = [
    `Command: \`npm run bench${commandFlags.length > 0 ? ` -- ${commandFlags.join(' ')}` : ''}\` (${N} servers, ${SECONDS} s per scenario after a ${WARMUP} s warm-up, ` +
      `${CONNECTIONS} connections unless noted; autocannon in the harness process, the server in its own` +
      `${useWrk && wants('get') ? `; GET by id on wrk (1 thread, ${WRK_CONNECTIONS} connections) pinned to core ${GENERATOR_CORE}, each server pinned to core ${SERVER_CORE}` : ''}).`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ` +
      `Node.js ${serverNodeVersion === process.version ? `${process.version} (server and harness)` : `${serverNodeVersion} (server), ${process.version} (harness)`}, ${process.platform}-${process.arch}; ${new Date().toISOString()}.`,
    '',
    `Server: the production bundle \`build/app/main.mjs\`, ${args.pg ? `PostgreSQL ${pgVersion} on loopback (a database of the run's own, pool of 10${postgresPinning === undefined ? '' : `; ${postgresPinning}`})` : 'SQLite (WAL, synchronous=FULL)'}, LOG_LEVEL=info with stdout ` +
      `to a file, METRICS_ENABLED=true (${metricsOn ? 'metrics served at /metrics' : 'no metrics on this build: /metrics answers 404, the variable is ignored'}).`,
    '',
    '### Targets',
    '',
    targetsTable(targets),
    '',
    '### Scenarios',
    '',
    resultsTable(rows),
    '',
  ].join('\n');
  process.stdout.write(`\n${generated}\n`);
  if (OUT !== undefined) {
    writeResults(OUT, generated, args.pg ? 'bench:results-postgres' : 'bench:results');
    log(`results written to ${OUT}`);
  }
  if (harnessFailures.length > 0) {
    log(`harness failure: ${harnessFailures.map((r) => `${r.scenario} (${JSON.stringify(r.m.statuses)})`).join('; ')}`);
    return 1;
  }
  return args.strict && targets.some((t) => !t.pass && t.informative !== true) ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await server?.stop();
  await reference?.stop();
  await quiet?.stop();
  await sqliteTwin?.stop();
  await floor?.stop();
  if (args.pg) {
    for (const database of [pgDatabase, ...pgCopies]) {
      await onPostgres('server', `drop database if exists ${database} with (force)`).catch((error: unknown) => {
        log(`could not drop ${database}: ${String(error)}`);
      });
    }
  }
  if (args.keep) {
    log(`kept ${work}`);
  } else {
    rmSync(work, { recursive: true, force: true });
  }
}
process.exit(code);
