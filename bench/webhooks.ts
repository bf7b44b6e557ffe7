// The webhooks' scenarios (`--only webhooks`): how fast events reach a receiver, how long after their
// commit, and what active subscriptions cost the write path. The receiver (bench/webhook-receiver.ts) is
// a process of its own that answers 204 at once; the API runs with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true
// so that it may deliver to 127.0.0.1. See docs/benchmarks.md.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type autocannon from 'autocannon';
import { eventMessageId } from '../src/webhooks/webhooks.events.js';
import { type LoadOptions, type Measurement, combine, measure, percentile } from './load.js';
import { type Started, cpuSecondsOf, sampleRss, startProcess } from './processes.js';
import type { Row, Target } from './report.js';

/** The next PATCH of the write scenarios: a different server each time, with its current version. */
export interface Patch {
  id: number;
  path: string;
  ifMatch: string;
  body: string;
}

export interface WebhookBenchOptions {
  /** The API, started with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true. */
  api: Started;
  /** The servers in the inventory (for the rows). */
  servers: number;
  auth: Record<string, string>;
  log: (line: string) => void;
  nextPatch: () => Patch;
  /** The folder of the run, where the receiver's log goes. */
  work: string;
  root: string;
  /** How many writes the burst makes. */
  burst: number;
  /** The steady rate of the latency scenario (writes/s) and how long it lasts. */
  rate: number;
  rateSeconds: number;
  /** Interleaved rounds of the write path without and with subscriptions, each side this long. */
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface WebhookResults {
  rows: Row[];
  targets: Target[];
}

/** Subscriptions active during the write path's measured side. */
const SUBSCRIPTIONS = 5;
/** The longest wait for the deliveries of a scenario once its writes are done. */
const DELIVERY_TIMEOUT_MS = 180_000;

/** The time on the clock the receiver records arrivals by (ms): comparable across processes of one machine. */
const clock = () => performance.timeOrigin + performance.now();

interface Subscription {
  id: number;
  after_seq: number;
}

export async function webhookScenarios(options: WebhookBenchOptions): Promise<WebhookResults> {
  const { api, auth, log } = options;
  const receiver = await startProcess(
    ['--import', 'tsx', join(options.root, 'bench', 'webhook-receiver.ts')],
    { PATH: process.env.PATH ?? '' },
    join(options.work, 'webhook-receiver.log'),
  );
  try {
    return await run(options, receiver, api, auth, log);
  } finally {
    await receiver.stop();
  }
}

async function run(
  options: WebhookBenchOptions,
  receiver: Started,
  api: Started,
  auth: Record<string, string>,
  log: (line: string) => void,
): Promise<WebhookResults> {
  const json = { ...auth, 'content-type': 'application/json' };
  const patchHeaders = { ...auth, 'content-type': 'application/merge-patch+json' };

  async function subscribe(count: number): Promise<Subscription[]> {
    const made: Subscription[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${api.url}/api/v1/webhooks`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ url: `${receiver.url}/hook/${i}`, description: `benchmark receiver ${i}` }),
      });
      const text = await response.text();
      if (response.status !== 201) {
        throw new Error(`creating a webhook answered ${response.status}: ${text.slice(0, 500)}`);
      }
      made.push(JSON.parse(text) as Subscription);
    }
    return made;
  }

  /** Deletes subscriptions, and their pending deliveries with them. */
  async function unsubscribe(subscriptions: readonly Subscription[]): Promise<void> {
    for (const { id } of subscriptions) {
      const response = await fetch(`${api.url}/api/v1/webhooks/${id}`, { method: 'DELETE', headers: auth });
      await response.arrayBuffer();
      if (response.status !== 204) {
        throw new Error(`deleting webhook ${id} answered ${response.status}`);
      }
    }
  }

  async function receivedCount(): Promise<number> {
    return ((await (await fetch(`${receiver.url}/count`)).json()) as { count: number }).count;
  }

  /** Every arrival at the receiver so far, read from the `from`-th on. */
  let read = 0;
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  async function readArrivals(): Promise<void> {
    const { arrivals: more } = (await (await fetch(`${receiver.url}/arrivals?from=${read}`)).json()) as {
      arrivals: [string, number][];
    };
    read += more.length;
    for (const [id, at] of more) {
      if (arrivals.has(id)) {
        duplicates++;
      } else {
        arrivals.set(id, at);
      }
    }
  }

  /** Waits until every one of `ids` has arrived (or the timeout); returns those still missing. */
  async function waitFor(ids: readonly string[]): Promise<string[]> {
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    let missing = ids.filter((id) => !arrivals.has(id));
    while (missing.length > 0 && Date.now() < deadline) {
      await sleep(50);
      await readArrivals();
      missing = missing.filter((id) => !arrivals.has(id));
    }
    return missing;
  }

  /** The changes after `after` (seq and server), at most `count`: the events a subscription made then gets. */
  async function changesAfter(after: number, count: number): Promise<{ seq: number; server_id: number }[]> {
    const changes: { seq: number; server_id: number }[] = [];
    let from = after;
    while (changes.length < count) {
      const response = await fetch(`${api.url}/api/v1/changes?after=${from}&limit=1000`, { headers: auth });
      const page = ((await response.json()) as { changes: { seq: number; server_id: number }[] }).changes;
      if (page.length === 0) {
        break;
      }
      changes.push(...page);
      from = page[page.length - 1]?.seq ?? from;
    }
    return changes.slice(0, count);
  }

  /** PATCHes for autocannon: the commit time of each (its answer's arrival) by server id. */
  function patchRequests(committed?: Map<number, number>): autocannon.Request[] {
    return [
      {
        setupRequest: (req, context) => {
          const patch = options.nextPatch();
          (context as { id?: number }).id = patch.id;
          return {
            ...req,
            path: patch.path,
            headers: { ...req.headers, 'if-match': patch.ifMatch },
            body: patch.body,
          };
        },
        onResponse: (status, _body, context) => {
          const id = (context as { id?: number }).id;
          if (committed !== undefined && id !== undefined && status === 200) {
            committed.set(id, clock());
          }
        },
      },
    ];
  }

  function load(seconds: number, maxRequests: number, committed?: Map<number, number>): Promise<Measurement> {
    const base: LoadOptions = {
      url: api.url,
      pid: api.pid,
      connections: options.connections,
      seconds,
      maxRequests,
      requests: patchRequests(committed),
      method: 'PATCH',
      headers: patchHeaders,
    };
    return measure(base);
  }

  /** Commit-to-arrival latencies of the writes after `after`, matched by seq (the webhook-id of each event). */
  async function deliveryOf(
    subscription: Subscription,
    writes: number,
    committed: Map<number, number>,
  ): Promise<{ latencies: number[]; missing: number; last: number }> {
    const changes = await changesAfter(subscription.after_seq, writes);
    const ids = changes.map((change) => eventMessageId(change.seq, subscription.id));
    const missing = await waitFor(ids);
    const latencies: number[] = [];
    let last = 0;
    for (const change of changes) {
      const arrived = arrivals.get(eventMessageId(change.seq, subscription.id));
      const at = committed.get(change.server_id);
      if (arrived !== undefined) {
        last = Math.max(last, arrived);
        if (at !== undefined) {
          latencies.push(arrived - at);
        }
      }
    }
    return { latencies, missing: missing.length + Math.max(0, writes - changes.length), last };
  }

  const rows: Row[] = [];
  const targets: Target[] = [];

  // 1. A burst of writes with one subscription: events/s from the first write to the last delivery.
  {
    const [subscription] = await subscribe(1);
    if (subscription === undefined) {
      throw new Error('no subscription');
    }
    log(`  webhooks: a burst of ${options.burst} PATCHes, 1 subscription`);
    const committed = new Map<number, number>();
    const rss = sampleRss(api.pid);
    const began = clock();
    const writes = await load(120, options.burst, committed);
    const wrote = clock();
    const cpuAtWrote = cpuSecondsOf(api.pid);
    const { latencies, missing, last } = await deliveryOf(subscription, committed.size, committed);
    // What the deliveries after the last write cost the API, writes no longer beside them.
    const drainCpu = cpuSecondsOf(api.pid) - cpuAtWrote;
    const drained = [...arrivals.values()].filter((at) => at > wrote).length;
    const peak = rss.stop();
    const seconds = (last - began) / 1000;
    const sorted = Float64Array.from(latencies).sort();
    rows.push({
      scenario: `Webhooks: burst of ${options.burst} PATCHes, 1 subscription, first write to last delivery`,
      servers: options.servers,
      m: {
        requests: latencies.length,
        seconds,
        rps: latencies.length / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        peakRss: peak,
        failures: writes.failures + missing,
        statuses: writes.statuses,
        latencies: sorted,
      },
      extra:
        `events/s delivered; p50/p99: commit to delivery; writes ${((wrote - began) / 1000).toFixed(2)} s ` +
        `(${writes.rps.toFixed(0)}/s), last delivery ${((last - wrote) / 1000).toFixed(2)} s after the last write` +
        (drained > 0 ? `, API CPU ${((1000 * drainCpu) / drained).toFixed(2)} ms a delivery meanwhile` : '') +
        `${missing > 0 ? `; ${missing} missing` : ''}${duplicates > 0 ? `; ${duplicates} duplicates` : ''}`,
    });
    await unsubscribe([subscription]);
  }

  // 2. Writes at a steady, moderate rate, one at a time from this process: commit to delivery.
  {
    const [subscription] = await subscribe(1);
    if (subscription === undefined) {
      throw new Error('no subscription');
    }
    const count = Math.max(1, Math.round(options.rate * options.rateSeconds));
    log(`  webhooks: ${count} PATCHes at ${options.rate}/s, 1 subscription: commit to delivery`);
    const committed = new Map<number, number>();
    const statuses: Record<string, number> = {};
    const writeTimes: number[] = [];
    const began = clock();
    const rss = sampleRss(api.pid);
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = began + (i * 1000) / options.rate - clock();
      if (wait > 0) {
        await sleep(wait);
      }
      const patch = options.nextPatch();
      inFlight.push(
        (async () => {
          const sent = clock();
          const response = await fetch(`${api.url}${patch.path}`, {
            method: 'PATCH',
            headers: { ...patchHeaders, 'if-match': patch.ifMatch },
            body: patch.body,
            signal: AbortSignal.timeout(30_000),
          });
          await response.arrayBuffer();
          const at = clock();
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (response.status === 200) {
            committed.set(patch.id, at);
            writeTimes.push(at - sent);
          }
        })(),
      );
    }
    await Promise.all(inFlight);
    const seconds = (clock() - began) / 1000;
    const { latencies, missing } = await deliveryOf(subscription, committed.size, committed);
    const peak = rss.stop();
    const sorted = Float64Array.from(latencies).sort();
    const writeSorted = Float64Array.from(writeTimes).sort();
    rows.push({
      scenario: `Webhooks: PATCH at ${options.rate}/s, 1 subscription, commit to delivery`,
      servers: options.servers,
      m: {
        requests: latencies.length,
        seconds,
        rps: committed.size / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        peakRss: peak,
        failures: count - committed.size + missing,
        statuses,
        latencies: sorted,
      },
      extra:
        `p50/p99: from the write's answer to the event's arrival (below zero: the event came first); the write itself p50 ${percentile(writeSorted, 50).toFixed(2)} ms` +
        (missing > 0 ? `; ${missing} missing` : ''),
    });
    await unsubscribe([subscription]);
  }

  // 3. The write path without subscriptions and with five, in interleaved rounds (ABBA), each side after
  // a warm-up of its own; the five are made before their side and deleted after it, with the deliveries
  // still pending, so that no backlog spills into the next round.
  {
    log(
      `  webhooks: PATCH with If-Match, no subscriptions vs ${SUBSCRIPTIONS}, ${options.rounds} rounds of ${options.roundSeconds} s`,
    );
    const parts: Record<'none' | 'some', Measurement[]> = { none: [], some: [] };
    // CPU seconds of the API and of the receiver during each side's measured loads: the machine's two
    // cores are shared by the API, the load generator and the receiver.
    const cpu: Record<'none' | 'some', { api: number; receiver: number }> = {
      none: { api: 0, receiver: 0 },
      some: { api: 0, receiver: 0 },
    };
    let delivered = 0;
    let deliveredSeconds = 0;
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['none', 'some'] as const) : (['some', 'none'] as const);
      for (const side of order) {
        const subscriptions = side === 'some' ? await subscribe(SUBSCRIPTIONS) : [];
        if (options.warmupSeconds > 0) {
          await load(options.warmupSeconds, 1_000_000);
        }
        const before = await receivedCount();
        const apiBefore = cpuSecondsOf(api.pid);
        const receiverBefore = cpuSecondsOf(receiver.pid);
        const m = await load(options.roundSeconds, 1_000_000);
        cpu[side].api += cpuSecondsOf(api.pid) - apiBefore;
        cpu[side].receiver += cpuSecondsOf(receiver.pid) - receiverBefore;
        if (side === 'some') {
          delivered += (await receivedCount()) - before;
          deliveredSeconds += m.seconds;
        }
        parts[side].push(m);
        await unsubscribe(subscriptions);
      }
    }
    const none = combine(parts.none);
    const some = combine(parts.some);
    const cpuNote = (side: 'none' | 'some', m: Measurement) =>
      `API CPU ${((1000 * cpu[side].api) / m.requests).toFixed(2)} ms a write (${((100 * cpu[side].api) / m.seconds).toFixed(0)}% of a core)` +
      (side === 'some' ? `, receiver ${((100 * cpu[side].receiver) / m.seconds).toFixed(0)}% of a core` : '');
    rows.push(
      {
        scenario: `PATCH with If-Match, no webhook subscriptions (${options.rounds} rounds, interleaved)`,
        servers: options.servers,
        m: none,
        extra: cpuNote('none', none),
      },
      {
        scenario: `PATCH with If-Match, ${SUBSCRIPTIONS} webhook subscriptions (${options.rounds} rounds, interleaved)`,
        servers: options.servers,
        m: some,
        extra:
          `${(delivered / deliveredSeconds).toFixed(0)} deliveries/s meanwhile, of ${(some.rps * SUBSCRIPTIONS).toFixed(0)}/s queued; ` +
          cpuNote('some', some),
      },
    );
    const ratio = some.rps / none.rps;
    targets.push({
      name: `Write path (PATCH with If-Match): req/s with ${SUBSCRIPTIONS} active webhook subscriptions vs none`,
      measured: `${ratio.toFixed(2)} (${some.rps.toFixed(0)} / ${none.rps.toFixed(0)})`,
      limit: '>= 0.90',
      pass: ratio >= 0.9,
    });
  }
  return { rows, targets };
}
