import type { components } from './openapi.js';

type Change = components['schemas']['Change'];

/** The change that deleted the server, when its history ends with one (the API keeps a deleted server's history). */
export function deletion(changes: readonly Change[]): Change | null {
  const last = changes.at(-1);
  return last?.action === 'delete' ? last : null;
}
