// TRUST_PROXY over a real proxy hop: the app listens on 127.0.0.1, and a small reverse proxy in front
// of it (node:http, also on 127.0.0.1) forwards each request the way nginx does with
// `proxy_add_x_forwarded_for`: it appends the address it received the request from to X-Forwarded-For.
// Every test client connects from loopback, so the address the proxy "received from" is simulated by
// a header only the proxy reads (X-Simulated-Peer) and never forwards.
import { type Server, createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokensService } from '../../src/tokens/tokens.service.js';
import { type TestApp, buildTestApp } from '../helpers/build-test-app.js';

const SIMULATED_PEER = 'x-simulated-peer';

let t: TestApp | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => {
    if (proxy === undefined) {
      resolve();
    } else {
      proxy.close(() => {
        resolve();
      });
    }
  });
  await t?.app.close();
  proxy = undefined;
  t = undefined;
});

/** Starts the app on 127.0.0.1 and the proxy in front of it; returns both base URLs. */
async function start(env: Record<string, string>): Promise<{ app: string; proxy: string; db: TestApp['db'] }> {
  const built = await buildTestApp({ env });
  t = built;
  const appUrl = await built.app.listen({ host: '127.0.0.1', port: 0 });
  const target = new URL(appUrl);
  proxy = createServer((incoming, outgoing) => {
    const { [SIMULATED_PEER]: simulated, ...headers } = incoming.headers;
    const peer = String(simulated ?? incoming.socket.remoteAddress);
    const existing = headers['x-forwarded-for'];
    headers['x-forwarded-for'] = existing === undefined ? peer : `${String(existing)}, ${peer}`;
    const upstream = forward(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy?.listen(0, '127.0.0.1', resolve));
  return { app: appUrl, proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, db: built.db };
}

/** A request from `peer` (as the proxy sees it), with a token or none, and any other headers. */
async function get(
  base: string,
  path: string,
  { peer, token, headers = {} }: { peer?: string; token?: string; headers?: Record<string, string> },
) {
  const res = await fetch(`${base}${path}`, {
    headers: {
      ...headers,
      ...(peer === undefined ? {} : { [SIMULATED_PEER]: peer }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after') };
}

const GUESS = (i: number) => `inv_${String(i).padStart(43, 'g')}`;

/** The client address the request log gives for a request id. */
function loggedClient(requestId: string): unknown {
  return t?.logs.entries().find((e) => e.reqId === requestId && e.msg === 'request completed')?.client;
}

describe('TRUST_PROXY naming the proxy', () => {
  it('throttles failed authentications per forwarded client; a valid token and other clients pass', async () => {
    const urls = await start({ TRUST_PROXY: '127.0.0.1' });
    const { secret } = await createTokensService(urls.db).create({ name: 'team', scope: 'read' });
    const alice = '198.51.100.7';
    const bob = '198.51.100.8';

    for (let i = 0; i < 10; i++) {
      expect((await get(urls.proxy, '/api/v1/servers/1', { peer: alice, token: GUESS(i) })).status).toBe(401);
    }
    const blocked = await get(urls.proxy, '/api/v1/servers/1', { peer: alice, token: GUESS(10) });
    expect(blocked).toMatchObject({ status: 429, code: 'TOO_MANY_AUTH_FAILURES' });
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);

    // The same client with a valid token is served; so is another client, even with a bad token.
    expect((await get(urls.proxy, '/api/v1/servers/1', { peer: alice, token: secret })).status).toBe(200);
    expect((await get(urls.proxy, '/api/v1/servers/1', { peer: bob, token: GUESS(11) })).code).toBe('INVALID_TOKEN');
    expect((await get(urls.proxy, '/api/v1/servers/1', { peer: bob, token: secret })).status).toBe(200);

    // The request log names the forwarded client.
    await get(urls.proxy, '/api/v1/health', { peer: bob, headers: { 'x-request-id': 'via-proxy' } });
    expect(loggedClient('via-proxy')).toBe(bob);
  });

  it('takes the address the proxy saw, not one the client wrote into X-Forwarded-For itself', async () => {
    const urls = await start({ TRUST_PROXY: '127.0.0.1' });
    const spoofer = '203.0.113.66';
    for (let i = 0; i < 11; i++) {
      // Each time another address in the header: the throttle still counts the one the proxy saw.
      const forged = { 'x-forwarded-for': `192.0.2.${i}` };
      await get(urls.proxy, '/api/v1/servers/1', { peer: spoofer, token: GUESS(i), headers: forged });
    }
    const blocked = await get(urls.proxy, '/api/v1/servers/1', {
      peer: spoofer,
      token: GUESS(99),
      headers: { 'x-forwarded-for': '192.0.2.200', 'x-request-id': 'spoofed' },
    });
    expect(blocked.status).toBe(429);
    expect(loggedClient('spoofed')).toBe(spoofer);
  });

  it('applies RATE_LIMIT_PER_MINUTE per forwarded client', async () => {
    const urls = await start({ TRUST_PROXY: '127.0.0.0/8,::1', RATE_LIMIT_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) {
      expect((await get(urls.proxy, '/api/v1/servers', { peer: '198.51.100.20' })).status).toBe(200);
    }
    expect(await get(urls.proxy, '/api/v1/servers', { peer: '198.51.100.20' })).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect((await get(urls.proxy, '/api/v1/servers', { peer: '198.51.100.21' })).status).toBe(200);
  });
});

describe.each([
  ['unset', {}],
  ['naming other addresses', { TRUST_PROXY: '10.0.0.0/8,fd00::/8' }],
])('TRUST_PROXY %s', (_name, env: Record<string, string>) => {
  it('ignores X-Forwarded-For: every client behind the proxy is the proxy, valid tokens still pass', async () => {
    const urls = await start(env);
    const { secret } = await createTokensService(urls.db).create({ name: 'team', scope: 'read' });
    for (let i = 0; i < 10; i++) {
      await get(urls.proxy, '/api/v1/servers/1', { peer: '198.51.100.7', token: GUESS(i) });
    }
    // Another forwarded client is the same address to the app: its bad token meets the throttle ...
    const other = await get(urls.proxy, '/api/v1/servers/1', {
      peer: '198.51.100.8',
      token: GUESS(10),
      headers: { 'x-request-id': 'untrusted' },
    });
    expect(other.status).toBe(429);
    expect(loggedClient('untrusted')).toBe('127.0.0.1');
    // ... and a valid token still gets through, from anyone.
    expect((await get(urls.proxy, '/api/v1/servers/1', { peer: '198.51.100.8', token: secret })).status).toBe(200);

    // Sent straight to the app, the header is ignored all the same.
    const direct = await get(urls.app, '/api/v1/servers/1', {
      token: GUESS(11),
      headers: { 'x-forwarded-for': '192.0.2.1', 'x-request-id': 'direct' },
    });
    expect(direct.status).toBe(429);
    expect(loggedClient('direct')).toBe('127.0.0.1');
  });
});
