// The console's token handling, in Node: which token a request carries, and what an answer means for
// the stored token (kept, forgotten, or a failure to show).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SelfCheck, authorize, judgeSelf, refusesStored } from '../../web/src/auth.js';
import { failureText } from '../../web/src/failure-text.js';
import { translate } from '../../web/src/i18n/messages.js';

// The client and the session module use the browser's globals (stubbed below), which the Node typecheck
// of the tests does not know: they are imported by a path it does not follow, with the types used here.
const API_MODULE = '../../web/src/api.js';
const SESSION_MODULE = '../../web/src/session.js';
interface ApiModule {
  whoAmI: (token: string) => Promise<SelfCheck>;
  whenTokenRefused: (listener: () => void) => void;
  api: { GET: (path: '/api/v1/servers') => Promise<unknown> };
}
interface SessionModule {
  storeToken: (token: string | null) => void;
}
const client = async () => (await import(API_MODULE)) as ApiModule;
const session = async () => (await import(SESSION_MODULE)) as SessionModule;

const SELF = { id: 1, name: 'ops', scope: 'read' } as never;

/** A sessionStorage of a Map, as much of it as the console uses. */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    removeItem: (key: string) => {
      items.delete(key);
    },
    setItem: (key: string, value: string) => {
      items.set(key, value);
    },
  };
}

describe('authorize', () => {
  it('adds the stored token to a request without one', () => {
    const request = authorize(new Request('http://x/api/v1/servers'), 'stored');
    expect(request.headers.get('authorization')).toBe('Bearer stored');
  });

  it('keeps the token a request names itself (a sign-in checks the new token, not the stored one)', () => {
    const request = new Request('http://x/api/v1/tokens/self', { headers: { authorization: 'Bearer new' } });
    expect(authorize(request, 'old').headers.get('authorization')).toBe('Bearer new');
  });

  it('adds nothing without a stored token', () => {
    expect(authorize(new Request('http://x/'), null).headers.has('authorization')).toBe(false);
  });
});

describe('refusesStored', () => {
  const carrying = (token: string) => new Request('http://x/', { headers: { authorization: `Bearer ${token}` } });

  it('is true for a 401 to a request that carried the stored token', () => {
    expect(refusesStored(carrying('t'), new Response(null, { status: 401 }), 't')).toBe(true);
  });

  it('is false for a 403, a 429, a 503, another token or no stored token', () => {
    for (const status of [403, 429, 503]) {
      expect(refusesStored(carrying('t'), new Response(null, { status }), 't'), String(status)).toBe(false);
    }
    expect(refusesStored(carrying('other'), new Response(null, { status: 401 }), 't')).toBe(false);
    expect(refusesStored(carrying('t'), new Response(null, { status: 401 }), null)).toBe(false);
  });
});

describe('judgeSelf', () => {
  it('accepts a 200 with the token description', () => {
    expect(judgeSelf(200, SELF, undefined)).toStrictEqual({ state: 'accepted', self: SELF });
  });

  it('calls only a 401 a refusal', () => {
    expect(judgeSelf(401, undefined, { error: 'Invalid token', code: 'INVALID_TOKEN' })).toStrictEqual({
      state: 'refused',
    });
  });

  it('keeps the API error of a 429, 503 or 403 as a failure to show, not a refusal', () => {
    const busy = { error: 'Too many requests', code: 'RATE_LIMITED' };
    expect(judgeSelf(429, undefined, busy)).toStrictEqual({ state: 'failed', status: 429, error: busy });
    expect(judgeSelf(503, undefined, '<html>')).toStrictEqual({ state: 'failed', status: 503, error: null });
    expect(judgeSelf(403, undefined, undefined)).toMatchObject({ state: 'failed', status: 403 });
  });
});

describe('whoAmI and the client', () => {
  const sent: Request[] = [];
  let answer: () => Response;

  beforeEach(() => {
    sent.length = 0;
    vi.stubGlobal('location', new URL('http://console.test/servers'));
    vi.stubGlobal('sessionStorage', memoryStorage());
    vi.stubGlobal(
      'fetch',
      vi.fn((request: Request) => {
        sent.push(request);
        return Promise.resolve(answer());
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('checks the token it is given, not the one stored', async () => {
    const { storeToken } = await session();
    const { whoAmI } = await client();
    storeToken('old-token');
    answer = () => json(200, SELF);
    expect(await whoAmI('new-token')).toStrictEqual({ state: 'accepted', self: SELF });
    expect(sent[0]?.headers.get('authorization')).toBe('Bearer new-token');
  });

  it('reports a 503 and a network failure as failures, with the API error', async () => {
    const { whoAmI } = await client();
    const unavailable = { error: 'Service unavailable', code: 'SERVICE_UNAVAILABLE' };
    answer = () => json(503, unavailable);
    expect(await whoAmI('t')).toStrictEqual({ state: 'failed', status: 503, error: unavailable });
    answer = () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await whoAmI('t')).toStrictEqual({
      state: 'failed',
      status: 0,
      error: { error: 'Failed to fetch', code: 'NETWORK' },
    });
  });

  it('tells the console when the stored token is refused mid-session, and not for other failures', async () => {
    const { storeToken } = await session();
    const { api, whenTokenRefused } = await client();
    const refused = vi.fn();
    whenTokenRefused(refused);
    storeToken('revoked');
    answer = () => json(503, { error: 'Service unavailable', code: 'SERVICE_UNAVAILABLE' });
    await api.GET('/api/v1/servers');
    expect(refused).not.toHaveBeenCalled();
    answer = () => json(401, { error: 'Invalid token', code: 'INVALID_TOKEN' });
    await api.GET('/api/v1/servers');
    expect(sent[1]?.headers.get('authorization')).toBe('Bearer revoked');
    expect(refused).toHaveBeenCalledOnce();
  });
});

describe('failureText', () => {
  const t = (key: Parameters<typeof translate>[1], params?: Readonly<Record<string, string>>) =>
    translate('en', key, params);

  it('lists the details of a 400, field by field, and how many more there were', () => {
    const error = {
      error: 'Invalid request',
      code: 'VALIDATION_FAILED',
      details: [
        { field: 'limit', message: 'must be <= 500' },
        { field: 'sort', message: 'must be one of hostname, ip' },
      ],
      truncated: 3,
    };
    expect(failureText(t, 400, error)).toStrictEqual({
      message: 'The request failed: Invalid request',
      details: ['limit: must be <= 500', 'sort: must be one of hostname, ip', '…and 3 more'],
    });
  });

  it('asks for a token on a 401, and falls back to the status without a JSON error', () => {
    expect(failureText(t, 401, null)).toStrictEqual({ message: translate('en', 'auth.needed'), details: [] });
    expect(failureText(t, 502, null)).toStrictEqual({ message: 'The request failed: 502', details: [] });
  });
});
