import { defaultValues } from '../../src/servers/server-fields.js';
import type { ServerFields } from '../../src/servers/servers.repository.js';

export const AT = '2026-01-01T00:00:00.000Z';

export type StoredServer = ServerFields & { created_at: string; updated_at: string };

/** The defaults of a new server's optional fields. */
export const DEFAULT_FIELDS: Readonly<Omit<ServerFields, 'hostname' | 'ip'>> = defaultValues();

/** A server as the repository stores it: the given fields, defaults for the rest. */
export function serverRow(fields: Pick<ServerFields, 'hostname' | 'ip'> & Partial<StoredServer>): StoredServer {
  return { ...DEFAULT_FIELDS, created_at: AT, updated_at: AT, ...fields };
}
