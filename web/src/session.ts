// The API token: in sessionStorage only (gone when the tab closes; never in a URL or a cookie).
const KEY = 'inventory-console.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null) {
    sessionStorage.removeItem(KEY);
  } else {
    sessionStorage.setItem(KEY, token);
  }
}
