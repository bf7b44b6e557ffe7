// What the console keeps in the browser: the API token, in sessionStorage only (gone when the tab
// closes; never in a URL or a cookie), and the chosen language, in localStorage. A browser that blocks
// storage (privacy settings, some embedded views) throws on any access: the console then keeps
// nothing, and still works for the page's life.
const TOKEN_KEY = 'inventory-console.token';
const LANG_KEY = 'inventory-console.lang';

function read(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key);
  } catch {
    return null;
  }
}

function write(storage: () => Storage, key: string, value: string | null): void {
  try {
    if (value === null) {
      storage().removeItem(key);
    } else {
      storage().setItem(key, value);
    }
  } catch {
    // Kept for this page only: the storage is blocked or full.
  }
}

export function storedToken(): string | null {
  return read(() => sessionStorage, TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  write(() => sessionStorage, TOKEN_KEY, token);
}

export function storedLang(): string | null {
  return read(() => localStorage, LANG_KEY);
}

export function storeLang(lang: string): void {
  write(() => localStorage, LANG_KEY, lang);
}
