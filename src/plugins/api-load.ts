import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

// How busy the API is, for the work the process does besides answering requests (the webhooks'
// fan-out and deliveries), which yields to a busy API: the inventory's writes come before the news of
// them. Two measures over each sample: the requests in progress (time-weighted: 2 means two requests
// in progress on average), a request counting from when its body has been read (Fastify's
// preValidation: a slow upload is not load) until its answer begins (onSend: a stream counts until its
// first bytes, not for as long as it stays open) or its client leaves; and the event loop's utilisation. The API is busy when requests queue (BUSY_IN_PROGRESS: what a load bound by
// the database shows, PostgreSQL answering while the loop has room), or when the loop is nearly full
// while it serves requests (BUSY_UTILIZATION with BUSY_SERVING: a load bound by the CPU, SQLite's, whose
// requests run mostly without a wait, and queue before they arrive in the process). A trickle of
// requests (a monitoring poll, a person at the console) is neither: the loop filled by the work that
// yields does not make it yield.

/** How often the load is sampled (ms). */
export const LOAD_SAMPLE_MS = 100;
/** The requests in progress (time-weighted), at and above which the API is busy. */
export const BUSY_IN_PROGRESS = 2;
/** The event loop's utilisation (0 to 1) at and above which, with BUSY_SERVING, the API is busy. */
export const BUSY_UTILIZATION = 0.9;
/** The requests in progress (time-weighted) that make a nearly full event loop (BUSY_UTILIZATION) a busy API. */
export const BUSY_SERVING = 0.25;

export interface ApiLoad {
  /** Whether the API was busy over the last sample. */
  busy: () => boolean;
}

export interface LoadSample {
  /** The requests in progress over the sample, time-weighted. */
  inProgress: number;
  /** The event loop's utilisation over the sample, 0 to 1. */
  utilization: number;
}

/** Whether a sample shows a busy API. */
export function isBusy(sample: LoadSample): boolean {
  return (
    sample.inProgress >= BUSY_IN_PROGRESS ||
    (sample.inProgress >= BUSY_SERVING && sample.utilization >= BUSY_UTILIZATION)
  );
}

/**
 * Counts the requests in progress over time: `begin` and `end` at each one's start and answer,
 * `sample` at the end of each sample, which starts the next.
 */
export function createInProgressCounter(clock: () => number = () => performance.now()) {
  let count = 0;
  let area = 0;
  let last = clock();
  let sampleStart = last;
  const advance = () => {
    const at = clock();
    area += count * (at - last);
    last = at;
  };
  return {
    begin() {
      advance();
      count += 1;
    },
    end() {
      advance();
      count -= 1;
    },
    /** The time-weighted count since the last sample (0 over no time at all). */
    sample(): number {
      advance();
      const length = last - sampleStart;
      const inProgress = length > 0 ? area / length : 0;
      area = 0;
      sampleStart = last;
      return inProgress;
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    apiLoad: ApiLoad;
  }
}

/** Measures the API's load; `app.apiLoad.busy()` tells whether it is busy. Stops sampling as the app closes. */
export const apiLoadPlugin = fp(
  async (app: FastifyInstance) => {
    const requests = createInProgressCounter();
    let busy = false;
    let utilization = performance.eventLoopUtilization();
    const timer = setInterval(() => {
      const next = performance.eventLoopUtilization();
      busy = isBusy({
        inProgress: requests.sample(),
        utilization: performance.eventLoopUtilization(next, utilization).utilization,
      });
      utilization = next;
    }, LOAD_SAMPLE_MS).unref();
    app.decorate('apiLoad', { busy: () => busy });
    const answered = new WeakMap<FastifyRequest, () => void>();

    app.addHook('preValidation', (request, reply, done) => {
      requests.begin();
      let ended = false;
      const end = () => {
        if (!ended) {
          ended = true;
          requests.end();
        }
      };
      // The answer begins (onSend), or the connection went before it did.
      reply.raw.once('close', end);
      answered.set(request, end);
      done();
    });
    app.addHook('onSend', (request, _reply, payload, done) => {
      answered.get(request)?.();
      done(null, payload);
    });
    app.addHook('onClose', async () => {
      clearInterval(timer);
    });
  },
  { name: 'api-load', fastify: '5.x' },
);
