// The apply scenarios (POST /api/v1/servers/apply): a source sends every server it sees, half of them
// already in the inventory with changed fields and half new; then the same input again, which changes
// nothing; and a dry run of it. Each inventory size is measured on a copy of the benchmark's
// inventory, so that the apply's writes never reach the other scenarios. See docs/benchmarks.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { serverAt } from './data.js';
import { type Measurement, fromTimes } from './load.js';
import { type Started, rssOf, sampleRss, watchHealth } from './processes.js';
import { mib } from './report.js';

/** The source of the measured applies. */
export const APPLY_SOURCE = 'bench-sync';

/** The new servers of an apply are numbered from here on: far past every index the inventory and the POSTs use. */
const NEW_FROM = 10_000_000;
/** The same for the warm-up's new servers. */
const WARMUP_NEW_FROM = 12_000_000;

type Item = Record<string, unknown>;

/** The i-th server of the benchmark as a source sends it: without `managed_by` (the apply's source sets it). */
function itemAt(i: number): Item {
  const item: Item = { ...serverAt(i) };
  delete item.managed_by;
  return item;
}

/** The i-th server of the inventory as a source sees it today: another OS, one more tag. */
function changedItem(i: number): Item {
  const { tags } = serverAt(i);
  return { ...itemAt(i), os: 'ubuntu-26.04', tags: [...new Set([...tags, 'vsphere'])].sort() };
}

/**
 * An apply's input of `items` servers: `existing` of them taken from the inventory (these indices),
 * changed, and the rest new, numbered from `newFrom`.
 */
function applyInput(indices: readonly number[], items: number, newFrom: number): Item[] {
  return [
    ...indices.map((i) => changedItem(i)),
    ...Array.from({ length: items - indices.length }, (_, j) => itemAt(newFrom + j)),
  ];
}

/**
 * The inventory's servers in the measured input (half of it, spread evenly: every `step`-th server
 * from the first) and in the warm-up's (servers right after some of those: never the same ones).
 */
function pickExisting(inventory: number, items: number, warmupItems: number): { measured: number[]; warmup: number[] } {
  // At most half of the inventory, so that the step is at least 2 and the warm-up's servers fit between.
  const existing = Math.min(Math.floor(items / 2), Math.floor(inventory / 2));
  const step = Math.floor(inventory / existing);
  const warmExisting = Math.min(Math.floor(warmupItems / 2), existing);
  const stride = Math.floor(existing / warmExisting);
  return {
    measured: Array.from({ length: existing }, (_, j) => j * step),
    warmup: Array.from({ length: warmExisting }, (_, k) => k * stride * step + 1),
  };
}

interface Summary {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

/** One apply, timed from the request to the last byte of the answer; fails unless it did `expected`. */
async function applyOnce(url: string, auth: Record<string, string>, body: string, expected: Summary): Promise<number> {
  const began = performance.now();
  const response = await fetch(`${url}/api/v1/servers/apply`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(300_000),
  });
  const text = await response.text();
  const seconds = (performance.now() - began) / 1000;
  if (response.status !== 200) {
    throw new Error(`apply answered ${response.status}: ${text.slice(0, 500)}`);
  }
  const { summary } = JSON.parse(text) as { summary: Summary };
  if (JSON.stringify(summary) !== JSON.stringify(expected)) {
    throw new Error(`apply did ${JSON.stringify(summary)}, not ${JSON.stringify(expected)}`);
  }
  return seconds;
}

export interface ApplyOptions {
  /** How many servers each apply sends (at most the route's 10,000). */
  items: number;
  /** How many times the dry run and the re-apply are repeated (the first apply runs once). */
  repeats: number;
  /** How many servers the unrecorded warm-up applies. */
  warmupItems: number;
  auth: Record<string, string>;
  log: (line: string) => void;
  /** Starts an API server with the production defaults on the database at `databaseUrl`. */
  start: (databaseUrl: string) => Promise<Started>;
}

/** What one inventory size measured: the three scenarios, and the figures its targets compare. */
export interface ApplyResult {
  inventory: number;
  items: number;
  dryRun: Measurement;
  first: Measurement;
  again: Measurement;
  /** RSS before the first apply, and its peak above that. */
  rssBefore: number;
  growth: number;
  /** The slowest health check answered during the first apply, in ms (the event loop held). */
  slowestHealth: number;
  rows: { scenario: string; servers: number; m: Measurement; extra?: string }[];
}

const rate = (items: number, seconds: number) => `${Math.round(items / seconds).toLocaleString('en-US')} servers/s`;

/**
 * The apply scenarios on an inventory of `inventory` servers held by the database at `databaseUrl`
 * (a copy: the apply writes to it). Two servers, one after the other, on the same database:
 *
 * 1. the dry runs, which write nothing, so that the second server finds the inventory as it was;
 * 2. the first apply on a server that has run only a small warm-up (so that "RSS before" does not
 *    carry a heap grown by the same 10,000 servers), then the same input again.
 */
export async function applyScenarios(inventory: number, databaseUrl: string, o: ApplyOptions): Promise<ApplyResult> {
  const picked = pickExisting(inventory, o.items, o.warmupItems);
  const existing = picked.measured.length;
  const input = applyInput(picked.measured, o.items, NEW_FROM);
  const body = JSON.stringify({ source: APPLY_SOURCE, servers: input });
  const dryBody = JSON.stringify({ source: APPLY_SOURCE, servers: input, dry_run: true });
  const warmInput = applyInput(picked.warmup, o.warmupItems, WARMUP_NEW_FROM);
  const warmBody = (dryRun: boolean) => JSON.stringify({ source: APPLY_SOURCE, servers: warmInput, dry_run: dryRun });
  const created = o.items - existing;
  const planned = { created, updated: existing, deleted: 0, unchanged: 0 };
  const warmPlanned = {
    created: o.warmupItems - picked.warmup.length,
    updated: picked.warmup.length,
    deleted: 0,
    unchanged: 0,
  };

  let s = await o.start(databaseUrl);
  await applyOnce(s.url, o.auth, warmBody(true), warmPlanned);
  await applyOnce(s.url, o.auth, warmBody(true), warmPlanned);
  o.log(`  apply of ${o.items}, dry run (${inventory} servers)`);
  const dryRss = sampleRss(s.pid);
  const dryTimes: number[] = [];
  for (let i = 0; i < o.repeats; i++) {
    dryTimes.push(await applyOnce(s.url, o.auth, dryBody, planned));
  }
  const dryRun = fromTimes(dryTimes, dryRss.stop());
  await s.stop();

  s = await o.start(databaseUrl);
  await applyOnce(s.url, o.auth, warmBody(false), warmPlanned);
  await applyOnce(s.url, o.auth, warmBody(false), { created: 0, updated: 0, deleted: 0, unchanged: o.warmupItems });
  await sleep(500);
  o.log(`  apply of ${o.items}, first run and again (${inventory} servers)`);
  const rssBefore = rssOf(s.pid) ?? 0;
  const health = watchHealth(s.url);
  const firstRss = sampleRss(s.pid);
  const firstSeconds = await applyOnce(s.url, o.auth, body, planned);
  const firstPeak = firstRss.stop();
  const slowestHealth = await health.stop();
  const first = fromTimes([firstSeconds], firstPeak);

  const againRss = sampleRss(s.pid);
  const againTimes: number[] = [];
  for (let i = 0; i < o.repeats; i++) {
    againTimes.push(await applyOnce(s.url, o.auth, body, { created: 0, updated: 0, deleted: 0, unchanged: o.items }));
  }
  const again = fromTimes(againTimes, againRss.stop());
  await s.stop();

  const shape = `${existing} changed, ${created} new`;
  return {
    inventory,
    items: o.items,
    dryRun,
    first,
    again,
    rssBefore,
    growth: firstPeak - rssBefore,
    slowestHealth,
    rows: [
      {
        scenario: `Apply ${o.items} (${shape}), dry run`,
        servers: inventory,
        m: dryRun,
        extra: rate(o.items, dryRun.p50 / 1000),
      },
      {
        scenario: `Apply ${o.items} (${shape}), first run`,
        servers: inventory,
        m: first,
        extra:
          `${rate(o.items, firstSeconds)}; RSS before ${mib(rssBefore)}, peak +${mib(firstPeak - rssBefore)}; ` +
          `slowest health check ${slowestHealth.toFixed(0)} ms`,
      },
      {
        scenario: `Apply the same ${o.items} again, nothing changed`,
        servers: inventory,
        m: again,
        extra: rate(o.items, again.p50 / 1000),
      },
    ],
  };
}
