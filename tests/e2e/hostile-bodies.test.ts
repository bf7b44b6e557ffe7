// Bodies under the 1 MiB limit that once froze the process: Ajv with allErrors validated every item
// of an over-long array and ajv-errors rewrote the error list in quadratic time (16,000 invalid items
// blocked the event loop for 36 s, 200,000 invalid tags for minutes, 1 MiB of `{}` gave a 35 MB
// error body and +580 MB of memory). Each is sent to a real server process while another client
// checks its health; the bounds are generous (this machine is shared), the failures they catch are
// not.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN } from '../helpers/build-test-app.js';
import { freshDatabaseUrl } from '../helpers/database.js';
import { type ServerProcess, startServer } from '../helpers/server-process.js';

const BODY_LIMIT = 1024 * 1024;

/** The resident memory of a process, in bytes, from /proc. */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

const wrongServer = {
  hostname: '-',
  ip: 'x',
  status: 'x',
  environment: '-',
  role: '-',
  location: '-',
  os: '-',
  notes: 1,
  tags: Array.from({ length: 32 }, (_, i) => `BAD${i}`),
  ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`unknown${i}`, 1])),
};

/** `[{},{},...]` as close to the body limit as it gets. */
function emptyObjects(): string {
  const count = Math.floor((BODY_LIMIT - 2) / 3);
  return `[${Array.from({ length: count }, () => '{}').join(',')}]`;
}

const CASES: { name: string; body: () => string; field: string; message: RegExp; truncated?: boolean }[] = [
  {
    name: '16,000 invalid items in a bulk POST',
    body: () => JSON.stringify(Array.from({ length: 16_000 }, () => ({ hostname: '-bad', ip: 'x' }))),
    field: 'body',
    message: /^must have at most 1000 items \(got 16000\)$/,
  },
  {
    name: 'one server with 200,000 invalid tags',
    body: () => JSON.stringify({ hostname: 'a', ip: '10.0.0.9', tags: Array.from({ length: 200_000 }, () => 'X') }),
    field: 'tags',
    message: /^must have at most 32 tags \(got 200000\)$/,
  },
  {
    name: 'a body of `{}` items up to the size limit',
    body: emptyObjects,
    field: 'body',
    message: /^must have at most 1000 items \(got \d{6}\)$/,
  },
  {
    name: 'one server with 70,000 unknown fields',
    body: () =>
      JSON.stringify({
        hostname: 'a',
        ip: '10.0.0.9',
        ...Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, 1])),
      }),
    field: 'k0',
    message: /^is not a known field; known fields are hostname, ip, status, /,
    truncated: true,
  },
  {
    name: '1000 servers with 90 unknown fields each',
    body: () =>
      JSON.stringify(
        Array.from({ length: 1000 }, (_, n) => ({
          hostname: `h${n}`,
          ip: '10.0.0.9',
          tags: Array.from({ length: 16 }, (_, i) => `BAD${i}`),
          ...Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`u${i}`, 1])),
        })),
      ),
    field: '[0].u0',
    message: /^is not a known field; known fields are hostname, ip, status, /,
    truncated: true,
  },
  {
    name: '1000 servers with every field wrong',
    body: () => JSON.stringify(Array.from({ length: 1000 }, () => wrongServer)),
    field: '[0].unknown0',
    message: /^is not a known field; known fields are hostname, ip, status, /,
    truncated: true,
  },
];

describe('POST /api/v1/servers with hostile bodies under the size limit', () => {
  let server: ServerProcess | undefined;
  const running = (): ServerProcess => {
    if (server === undefined) {
      throw new Error('the server did not start');
    }
    return server;
  };
  beforeAll(async () => {
    server = await startServer({
      env: {
        DATABASE_URL: await freshDatabaseUrl(),
        INVENTORY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
        LOG_LEVEL: 'info',
        // Overload protection would answer 503 instead of the 400 under test.
        MAX_EVENT_LOOP_DELAY_MS: '0',
      },
      timeoutMs: 30_000,
    });
  }, 35_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  for (const { name, body, field, message, truncated } of CASES) {
    it(`answers ${name} with a quick, bounded 400 while health checks keep answering`, async () => {
      const { url, child } = running();
      const payload = body();
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(BODY_LIMIT);
      const pid = child.pid ?? 0;
      const rssBefore = rssOf(pid);

      // An object, so that the poller's loop sees the change made after its start.
      const polling = { done: false };
      let slowestHealth = 0;
      let healthAnswers = 0;
      const poller = (async () => {
        while (!polling.done) {
          const started = performance.now();
          const res = await fetch(`${url}/api/v1/health`);
          await res.arrayBuffer();
          expect(res.status).toBe(200);
          slowestHealth = Math.max(slowestHealth, performance.now() - started);
          healthAnswers += 1;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();

      const started = performance.now();
      const res = await fetch(`${url}/api/v1/servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      const elapsed = performance.now() - started;
      // One more health check after the answer, so the poller has seen the whole request through.
      await new Promise((resolve) => setTimeout(resolve, 50));
      polling.done = true;
      await poller;

      expect(res.status).toBe(400);
      // 100 details at most, each naming the known fields (14 of them, custom_fields included): about 17 KiB.
      expect(text.length).toBeLessThan(20 * 1024);
      const error = JSON.parse(text) as {
        code: string;
        details: { field: string; message: string }[];
        truncated?: number;
      };
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details[0]?.field).toBe(field);
      expect(error.details[0]?.message).toMatch(message);
      expect(error.details.length).toBeLessThanOrEqual(100);
      if (truncated === true) {
        expect(error.details).toHaveLength(100);
        expect(error.truncated).toBeGreaterThan(0);
      } else {
        expect(error.truncated).toBeUndefined();
      }
      // The targets are 100 ms of event loop and a few MB; the bounds leave room for a busy machine.
      expect(elapsed).toBeLessThan(3000);
      expect(healthAnswers).toBeGreaterThan(0);
      expect(slowestHealth).toBeLessThan(1000);
      expect(rssOf(pid) - rssBefore).toBeLessThan(150 * 1024 * 1024);
    });
  }

  it('lists every problem of a smaller body, with no truncation', async () => {
    const { url } = running();
    const res = await fetch(`${url}/api/v1/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        { hostname: 'ok-1', ip: '10.0.0.1' },
        { hostname: '-bad', ip: 'x', status: 'gone' },
      ]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual({
      error: 'Request validation failed: fix the fields listed in details',
      code: 'VALIDATION_FAILED',
      details: [
        {
          field: '[1].hostname',
          message: expect.stringMatching(/^must be an RFC 1123 host name/) as unknown,
        },
        {
          field: '[1].ip',
          message: 'must be an IPv4 address without leading zeros or an IPv6 address without a zone id',
        },
        { field: '[1].status', message: 'must be one of up, down, maintenance, decommissioned' },
      ],
    });
  });
});
