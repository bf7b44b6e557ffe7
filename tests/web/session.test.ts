// A browser that blocks storage throws on any access to it: the console must still start.
import { afterEach, describe, expect, it, vi } from 'vitest';

// session.ts uses the browser's globals, unknown to the Node typecheck of the tests: imported by a path
// it does not follow, with the types used here.
const SESSION_MODULE = '../../web/src/session.js';
interface SessionModule {
  storedToken: () => string | null;
  storeToken: (token: string | null) => void;
  storedLang: () => string | null;
  storeLang: (lang: string) => void;
}
const session = async () => (await import(SESSION_MODULE)) as SessionModule;

function blocked(): never {
  throw new DOMException('The operation is insecure.', 'SecurityError');
}

describe('the stored token and language', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('read as nothing and write nowhere, without throwing, when the browser blocks storage', async () => {
    const storage = { getItem: blocked, setItem: blocked, removeItem: blocked };
    vi.stubGlobal('sessionStorage', storage);
    vi.stubGlobal('localStorage', storage);
    const { storedToken, storeToken, storedLang, storeLang } = await session();
    expect(storedToken()).toBeNull();
    expect(() => {
      storeToken('t');
      storeToken(null);
      storeLang('fr');
    }).not.toThrow();
    expect(storedLang()).toBeNull();
  });

  it('read as nothing when the storage objects are missing altogether', async () => {
    const { storedToken, storeToken, storedLang } = await session();
    expect(storedToken()).toBeNull();
    expect(storedLang()).toBeNull();
    expect(() => {
      storeToken('t');
    }).not.toThrow();
  });

  it('keep what they are given when storage works', async () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    vi.stubGlobal('sessionStorage', storage);
    vi.stubGlobal('localStorage', storage);
    const { storedToken, storeToken, storedLang, storeLang } = await session();
    storeToken('secret');
    storeLang('fr');
    expect([storedToken(), storedLang()]).toStrictEqual(['secret', 'fr']);
    storeToken(null);
    expect(storedToken()).toBeNull();
  });
});
