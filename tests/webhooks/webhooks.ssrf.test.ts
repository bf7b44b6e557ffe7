// The address guard of webhook URLs: the classes of addresses it refuses, the spellings of them that URL
// parsing normalises, and the connect-time checks, with real undici requests to a loopback receiver.
import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForbiddenAddressError,
  type Resolver,
  checkUrl,
  forbiddenAddress,
  guardConnector,
  guardedLookup,
  literalAddressError,
} from '../../src/webhooks/webhooks.ssrf.js';

const REFUSED: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.254', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  // IPv6 forms that carry an IPv4 address are judged by it.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::a00:1', 'private'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
  // What no public address is: IPv4-compatible forms, local-use NAT64, Teredo.
  ['::7f00:1', 'ipv4Compatible'],
  ['::a00:1', 'ipv4Compatible'],
  ['64:ff9b:1::a00:1', 'nat64Local'],
  ['2001::1', 'teredo'],
];

const ALLOWED = [
  '8.8.8.8',
  '93.184.215.14',
  '172.32.0.1',
  '100.128.0.1',
  '2606:4700:4700::1111',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

const STRICT = { allowPrivateNetworks: false } as const;
const OPEN = { allowPrivateNetworks: true } as const;
/** A resolver with fixed answers, as dns.lookup with all: true gives them. */
function resolverOf(answers: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = answers[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('forbiddenAddress', () => {
  it.each(REFUSED)('refuses %s (%s)', (address, range) => {
    expect(forbiddenAddress(address)?.range).toBe(range);
  });

  it.each(ALLOWED)('allows the public address %s', (address) => {
    expect(forbiddenAddress(address)).toBeNull();
  });

  it('says what an embedded address is', () => {
    expect(forbiddenAddress('::ffff:127.0.0.1')?.description).toBe(
      'an IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8, ::1)',
    );
    expect(forbiddenAddress('169.254.169.254')?.description).toContain('cloud metadata');
  });

  it('takes addresses only, not names', () => {
    expect(() => forbiddenAddress('localhost')).toThrow('takes an IP address');
  });
});

describe('checkUrl', () => {
  it.each([
    ['http://127.0.0.1/hook', '127.0.0.1 is a loopback address'],
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://0x7f.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001/', '127.0.0.1 is a loopback address'],
    ['http://017700000001/', '127.0.0.1 is a loopback address'],
    ['http://127.1/', '127.0.0.1 is a loopback address'],
    ['http://0/', '0.0.0.0 is an unspecified address'],
    ['http://[::1]:8080/', '::1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is an IPv4-mapped form of 127.0.0.1'],
    ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', '::ffff:a9fe:a9fe is an IPv4-mapped form of 169.254.169.254'],
    ['http://[::127.0.0.1]/', '::7f00:1 is a reserved IPv6 address'],
    ['http://169.254.169.254./latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['https://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254 is a link-local address'],
    ['http://3232235777/', '192.168.1.1 is a private address'],
  ])('refuses %s, whatever the spelling of the address', async (url, message) => {
    const verdict = await checkUrl(new URL(url), STRICT);
    expect(verdict).toMatchObject({ ok: false, problem: 'forbidden' });
    expect(verdict.ok ? '' : verdict.message).toContain(message);
  });

  it('allows a public IP literal without resolving anything', async () => {
    const resolve = () => Promise.reject(new Error('no lookup expected'));
    expect(await checkUrl(new URL('https://93.184.215.14/hook'), { ...STRICT, resolve })).toStrictEqual({ ok: true });
    expect(await checkUrl(new URL('https://[2606:4700:4700::1111]/'), { ...STRICT, resolve })).toStrictEqual({
      ok: true,
    });
  });

  it('refuses a name if any of its addresses is not public, and allows it if all are', async () => {
    const resolve = resolverOf({
      'mixed.test': ['93.184.215.14', '10.0.0.5'],
      'public.test': ['93.184.215.14', '2606:4700:4700::1111'],
    });
    expect(await checkUrl(new URL('https://mixed.test/'), { ...STRICT, resolve })).toStrictEqual({
      ok: false,
      problem: 'forbidden',
      message: 'host mixed.test resolves to 10.0.0.5, a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
    });
    expect(await checkUrl(new URL('https://public.test/'), { ...STRICT, resolve })).toStrictEqual({ ok: true });
  });

  it('resolves with the system by default: localhost is loopback', async () => {
    const verdict = await checkUrl(new URL('http://localhost:8080/'), STRICT);
    expect(verdict).toMatchObject({ ok: false, problem: 'forbidden' });
    expect(verdict.ok ? '' : verdict.message).toMatch(/^host localhost resolves to (127\.0\.0\.1|::1), a loopback/);
  });

  it('refuses a name that does not resolve, saying so', async () => {
    expect(await checkUrl(new URL('https://nothing.test/'), { ...STRICT, resolve: resolverOf({}) })).toStrictEqual({
      ok: false,
      problem: 'unresolved',
      message: 'host nothing.test does not resolve (ENOTFOUND): its addresses must be known to be public',
    });
    expect(
      await checkUrl(new URL('https://empty.test/'), { ...STRICT, resolve: resolverOf({ 'empty.test': [] }) }),
    ).toMatchObject({ ok: false, problem: 'unresolved' });
  });

  it('checks and resolves nothing with WEBHOOK_ALLOW_PRIVATE_NETWORKS', async () => {
    const resolve = () => Promise.reject(new Error('no lookup expected'));
    expect(await checkUrl(new URL('http://127.0.0.1/'), { ...OPEN, resolve })).toStrictEqual({ ok: true });
    expect(await checkUrl(new URL('http://internal.test/'), { ...OPEN, resolve })).toStrictEqual({ ok: true });
  });
});

describe('literalAddressError', () => {
  it('refuses a non-public IP literal, brackets and all, and leaves names to the lookup', () => {
    expect(literalAddressError('127.0.0.1', STRICT)).toBeInstanceOf(ForbiddenAddressError);
    expect(literalAddressError('[::1]', STRICT)?.message).toBe(
      '::1, a loopback address (127.0.0.0/8, ::1): webhooks reach public addresses only',
    );
    expect(literalAddressError('93.184.215.14', STRICT)).toBeNull();
    expect(literalAddressError('localhost', STRICT)).toBeNull();
    expect(literalAddressError('127.0.0.1', OPEN)).toBeNull();
  });
});

describe('the connect-time guard, with undici', () => {
  let receiver: Server;
  let port: number;
  let received: string[];
  beforeAll(async () => {
    received = [];
    receiver = createServer((req, res) => {
      received.push(`${req.method ?? ''} ${req.headers.host ?? ''}${req.url ?? ''}`);
      res.end('ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  /** An undici agent whose connections go through the guard, as a delivery's would. */
  function guardedAgent(options: { allowPrivateNetworks: boolean; resolve?: Resolver }): Agent {
    return new Agent({ connect: guardConnector(buildConnector({ lookup: guardedLookup(options) }), options) });
  }

  async function send(agent: Agent, url: string): Promise<number> {
    try {
      const res = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
      await res.body.text();
      return res.statusCode;
    } finally {
      await agent.close();
    }
  }

  it('refuses a 127.0.0.1 receiver without the setting, by name and by IP literal: nothing reaches it', async () => {
    const resolve = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    const before = received.length;
    await expect(send(guardedAgent({ ...STRICT, resolve }), `http://receiver.test:${port}/hook`)).rejects.toThrow(
      'receiver.test resolves to 127.0.0.1, a loopback address',
    );
    await expect(send(guardedAgent(STRICT), `http://127.0.0.1:${port}/hook`)).rejects.toBeInstanceOf(
      ForbiddenAddressError,
    );
    await expect(send(guardedAgent(STRICT), `http://localhost:${port}/hook`)).rejects.toThrow(/a loopback address/);
    expect(received.length).toBe(before);
  });

  it('reaches the same receiver with WEBHOOK_ALLOW_PRIVATE_NETWORKS, by name and by IP literal', async () => {
    const resolve = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    expect(await send(guardedAgent({ ...OPEN, resolve }), `http://receiver.test:${port}/by-name`)).toBe(200);
    expect(await send(guardedAgent(OPEN), `http://127.0.0.1:${port}/by-literal`)).toBe(200);
    expect(received.slice(-2)).toStrictEqual([
      `POST receiver.test:${port}/by-name`,
      `POST 127.0.0.1:${port}/by-literal`,
    ]);
  });

  it("works as undici's connect.lookup on its own, which an IP literal bypasses (hence guardConnector)", async () => {
    const resolve = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    const lookupOnly = () => new Agent({ connect: { lookup: guardedLookup({ ...STRICT, resolve }) } });
    await expect(send(lookupOnly(), `http://receiver.test:${port}/`)).rejects.toBeInstanceOf(ForbiddenAddressError);
    expect(await send(lookupOnly(), `http://127.0.0.1:${port}/literal-bypasses-lookup`)).toBe(200);
  });

  it("works as node's http lookup option too", async () => {
    const resolve = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    const status = (options: { allowPrivateNetworks: boolean }) =>
      new Promise<number>((done, fail) => {
        const req = httpRequest(
          {
            host: 'receiver.test',
            port,
            path: '/node-http',
            method: 'POST',
            lookup: guardedLookup({ ...options, resolve }),
          },
          (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          },
        );
        req.on('error', fail);
        req.end('{}');
      });
    await expect(status(STRICT)).rejects.toBeInstanceOf(ForbiddenAddressError);
    expect(await status(OPEN)).toBe(200);
    expect(received.at(-1)).toBe(`POST receiver.test:${port}/node-http`);
  });

  it('checks the addresses the connection uses, not those checked before: DNS rebinding gains nothing', async () => {
    // Public when the URL is checked, loopback when the delivery connects.
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    };
    const url = `http://rebind.test:${port}/`;
    expect(await checkUrl(new URL(url), { ...STRICT, resolve: rebinding })).toStrictEqual({ ok: true });
    const before = received.length;
    await expect(send(guardedAgent({ ...STRICT, resolve: rebinding }), url)).rejects.toThrow(
      'rebind.test resolves to 127.0.0.1',
    );
    expect(calls).toBe(2);
    expect(received.length).toBe(before);
  });
});

describe('guardedLookup', () => {
  const lookup = (options: Parameters<typeof guardedLookup>[0], hostname: string, all: boolean, family?: number) =>
    new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) => {
      guardedLookup(options)(hostname, { all, ...(family === undefined ? {} : { family }) }, (error, address, f) => {
        resolve({ error, address, ...(f === undefined ? {} : { family: f }) });
      });
    });
  const resolve = resolverOf({
    'dual.test': ['2606:4700:4700::1111', '93.184.215.14'],
    'bad.test': ['93.184.215.14', '::1'],
  });

  it('answers as dns.lookup does, one address or all of them, of the family asked for', async () => {
    expect(await lookup({ ...STRICT, resolve }, 'dual.test', false)).toStrictEqual({
      error: null,
      address: '2606:4700:4700::1111',
      family: 6,
    });
    expect(await lookup({ ...STRICT, resolve }, 'dual.test', false, 4)).toStrictEqual({
      error: null,
      address: '93.184.215.14',
      family: 4,
    });
    expect((await lookup({ ...STRICT, resolve }, 'dual.test', true)).address).toHaveLength(2);
  });

  it('fails when any address is not public, and passes errors of resolution through', async () => {
    expect((await lookup({ ...STRICT, resolve }, 'bad.test', true)).error).toBeInstanceOf(ForbiddenAddressError);
    expect((await lookup({ ...OPEN, resolve }, 'bad.test', true)).address).toHaveLength(2);
    expect((await lookup({ ...STRICT, resolve }, 'missing.test', false)).error).toMatchObject({ code: 'ENOTFOUND' });
    expect((await lookup({ ...STRICT, resolve }, 'bad.test', false, 6)).error).toBeInstanceOf(ForbiddenAddressError);
  });
});
