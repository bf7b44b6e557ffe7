// One attempt to send a webhook, against a real receiver on a loopback port: the request as signed, the
// answers that are a success and those that are not, the limits on time and size, and the address guard.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/webhooks/webhooks.signing.js';
import {
  EXCERPT_BYTES,
  MAX_RESPONSE_BYTES,
  USER_AGENT,
  parseRetryAfter,
  sendAttempt,
} from '../../src/webhooks/webhooks.sender.js';
import { type Receiver, answer, hang, startReceiver, verifies } from '../helpers/webhook-receiver.js';

const OPEN = { allowPrivateNetworks: true } as const;
const BODY = '{"type":"ping","timestamp":"2026-06-01T10:00:00.000Z","data":{"webhook_id":1}}';
const nowSeconds = () => Math.floor(Date.now() / 1000);

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.reset();
});

const secret = generateSecret();
const send = (path: string, options: Partial<Parameters<typeof sendAttempt>[1]> = {}, url = receiver.url(path)) =>
  sendAttempt(
    { url, messageId: 'msg_1_1', body: BODY, timestamp: nowSeconds(), secrets: [secret] },
    { guard: OPEN, timeoutMs: 2000, ...options },
  );

describe('sendAttempt', () => {
  it('POSTs the body exactly, signed, with a content type and a user agent; a 2xx is a success', async () => {
    receiver.on('/ok', answer(200, 'thanks'));
    const result = await send('/ok');
    expect(result).toMatchObject({ ok: true, status: 200, error: null, excerpt: 'thanks', aborted: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [request] = receiver.at('/ok');
    expect(request?.body).toBe(BODY);
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
      'user-agent': USER_AGENT,
      'webhook-id': 'msg_1_1',
    });
    expect(request !== undefined && verifies(secret, request)).toBe(true);
  });

  it('reports any other status as a failure with the start of its body', async () => {
    receiver.on('/teapot', answer(418, 'short and stout'));
    expect(await send('/teapot')).toMatchObject({ ok: false, status: 418, error: null, excerpt: 'short and stout' });
  });

  it('does not follow a redirect: a failure with its status', async () => {
    receiver.on('/moved', answer(302, '', { location: receiver.url('/elsewhere') }));
    const result = await send('/moved');
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(result.error).toMatch(/redirect/);
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('reads 64 KB of an answer at most, keeps its first 1 KB, and closes the connection', async () => {
    let written = 0;
    receiver.on('/endless', (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Without end: only a sender that stops reading gets past this answer in time.
      const timer = setInterval(() => {
        written += 16 * 1024;
        res.write('x'.repeat(16 * 1024));
      }, 2);
      res.once('close', () => {
        clearInterval(timer);
      });
    });
    const result = await send('/endless', { timeoutMs: 5000 });
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(result.excerpt).toBe('x'.repeat(EXCERPT_BYTES));
    expect(result.durationMs).toBeLessThan(5000);
    expect(await receiver.at('/endless')[0]?.cut).toBe(true);
    expect(written).toBeGreaterThanOrEqual(MAX_RESPONSE_BYTES);
  });

  it('keeps an excerpt a text column holds: a NUL byte becomes U+FFFD', async () => {
    receiver.on('/nul', answer(500, 'a\u0000b'));
    expect((await send('/nul')).excerpt).toBe('a\uFFFDb');
  });

  it('times out a receiver that does not answer, and one that stops in the middle of its answer', async () => {
    receiver.on('/hang', hang);
    const silent = await send('/hang', { timeoutMs: 150 });
    expect(silent).toMatchObject({ ok: false, status: null, excerpt: null });
    expect(silent.error).toBe('timed out after 150 ms without an answer');
    expect(silent.durationMs).toBeGreaterThanOrEqual(140);
    expect(await receiver.at('/hang')[0]?.cut).toBe(true);

    receiver.on('/half', (_request, res) => {
      res.writeHead(200).write('half of it');
    });
    const half = await send('/half', { timeoutMs: 150 });
    expect(half).toMatchObject({ ok: false, status: 200, excerpt: 'half of it' });
    expect(half.error).toBe('timed out after 150 ms reading the answer');
  });

  it('reports a connection refused as an error', async () => {
    const closed = await startReceiver();
    const url = closed.url('/');
    await closed.close();
    const result = await send('/', {}, url);
    expect(result).toMatchObject({ ok: false, status: null, excerpt: null });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('reads Retry-After on a 429 or a 503 only', async () => {
    receiver.on('/busy', answer(429, '', { 'retry-after': '7' }));
    expect((await send('/busy')).retryAfterMs).toBe(7000);
    receiver.on('/down', answer(503, '', { 'retry-after': '120' }));
    expect((await send('/down')).retryAfterMs).toBe(120_000);
    receiver.on('/error', answer(500, '', { 'retry-after': '7' }));
    expect((await send('/error')).retryAfterMs).toBeNull();
  });

  it('is aborted by its signal, as at shutdown', async () => {
    receiver.on('/hang', hang);
    const controller = new AbortController();
    const pending = send('/hang', { signal: controller.signal, timeoutMs: 5000 });
    await receiver.next('/hang', 0);
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ ok: false, aborted: true, status: null });
    expect(result.error).toMatch(/shutting down/);
  });

  describe('the address guard, at every attempt', () => {
    const STRICT = { allowPrivateNetworks: false } as const;

    it('refuses an IP literal that is not public before connecting', async () => {
      const result = await send('/secret', { guard: STRICT });
      expect(result).toMatchObject({ ok: false, status: null });
      expect(result.error).toMatch(/^127\.0\.0\.1, a loopback address/);
      expect(receiver.at('/secret')).toHaveLength(0);
    });

    it('resolves a host name again and refuses it when it now reaches a private address', async () => {
      const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
      const url = `http://rebound.test:${receiver.port}/secret`;
      const result = await send('/secret', { guard: { ...STRICT, resolve } }, url);
      expect(result.error).toMatch(/^rebound\.test resolves to 127\.0\.0\.1, a loopback address/);
      expect(receiver.at('/secret')).toHaveLength(0);
      // With WEBHOOK_ALLOW_PRIVATE_NETWORKS the same name connects.
      expect(await send('/secret', { guard: { ...OPEN, resolve } }, url)).toMatchObject({ ok: true, status: 204 });
    });
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-06-01T10:00:00.000Z');
  it('reads seconds and HTTP dates, a date past as 0, and nothing else', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 01 Jun 2026 10:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('2026-06-01', now)).toBeNull();
  });
});
