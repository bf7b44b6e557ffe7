import autocannon from 'autocannon';
import { sampleRss } from './processes.js';

/** One measured load: throughput, latency percentiles (exact, in ms) and the server's peak RSS. */
export interface Measurement {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  peakRss: number;
  /** Responses outside 2xx plus connection errors: a harness failure when not expected. */
  failures: number;
  statuses: Record<string, number>;
  /** Every latency, sorted (to combine measurements). */
  latencies: Float64Array;
}

export interface LoadOptions {
  url: string;
  /** The server whose RSS is sampled. */
  pid: number;
  connections: number;
  /** Time bound, in seconds. */
  seconds: number;
  /** Count bound: the load stops after this many requests even if time remains. */
  maxRequests: number;
  requests: autocannon.Request[];
  method?: autocannon.Options['method'];
  headers?: Record<string, string>;
}

/** The p-th percentile (0..100) of sorted values, by nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/**
 * Runs autocannon against the server, bounded both in time and in count, while sampling the
 * server's RSS. Latencies come from autocannon's per-response times, kept exactly (its histogram
 * rounds to whole milliseconds, too coarse for sub-millisecond pages).
 */
export async function measure(options: LoadOptions): Promise<Measurement> {
  const latencies: number[] = [];
  const rss = sampleRss(options.pid);
  // Without a callback autocannon returns its instance (an event emitter), made thenable.
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    maxOverallRequests: Math.max(options.maxRequests, options.connections),
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    requests: options.requests,
    timeout: 30,
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  // A watchdog beside autocannon's own duration: a stuck load never holds the run.
  const watchdog = setTimeout(
    () => {
      instance.stop();
    },
    (options.seconds + 30) * 1000,
  );
  const result = await instance;
  clearTimeout(watchdog);
  const peakRss = rss.stop();
  const sorted = Float64Array.from(latencies).sort();
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statuses[code] = count ?? 0;
  }
  const requests = latencies.length;
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    peakRss,
    failures: result.non2xx + result.errors,
    statuses,
    latencies: sorted,
  };
}

/** Several measurements of one load (interleaved rounds) as one. */
export function combine(parts: Measurement[]): Measurement {
  const requests = parts.reduce((sum, m) => sum + m.requests, 0);
  const seconds = parts.reduce((sum, m) => sum + m.seconds, 0);
  const latencies = new Float64Array(requests);
  let at = 0;
  const statuses: Record<string, number> = {};
  for (const m of parts) {
    latencies.set(m.latencies, at);
    at += m.latencies.length;
    for (const [code, count] of Object.entries(m.statuses)) {
      statuses[code] = (statuses[code] ?? 0) + count;
    }
  }
  latencies.sort();
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    peakRss: Math.max(...parts.map((m) => m.peakRss)),
    failures: parts.reduce((sum, m) => sum + m.failures, 0),
    statuses,
    latencies,
  };
}

/** Requests timed one at a time by the harness (exports, applies) as one measurement: `times` in seconds. */
export function fromTimes(times: readonly number[], peakRss: number): Measurement {
  const total = times.reduce((a, b) => a + b, 0);
  const sorted = Float64Array.from(times, (t) => t * 1000).sort();
  return {
    requests: times.length,
    seconds: total,
    rps: times.length / total,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    peakRss,
    failures: 0,
    statuses: { 200: times.length },
    latencies: sorted,
  };
}
