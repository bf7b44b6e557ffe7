import type { Kysely } from 'kysely';
import { turnEvery } from '../db/chunks.js';
import type { Database } from '../db/types.js';
import type { ErrorDetail } from '../errors.js';
import { listDefinitions } from './custom-fields.repository.js';
import type { CustomValue } from './custom-fields.schemas.js';
import { type Definition, type ValuesMode, resolveValues } from './custom-fields.values.js';

/** How many servers' values are checked between two turns of the event loop. */
const TURN_EVERY = 50;

/** The definitions a write read, and its check of servers' values against them. */
export interface ValueChecks {
  readonly definitions: readonly Definition[];
  /**
   * A server's values checked against the definitions and in their stored form (resolveValues: every
   * problem is added to `details`, named `${prefix}custom_fields.<name>`).
   */
  resolve(
    given: Readonly<Record<string, unknown>> | null | undefined,
    mode: ValuesMode,
    prefix: string,
    details: ErrorDetail[],
  ): Promise<Record<string, CustomValue>>;
}

/**
 * The definitions as `db` reads them, and the check that every write of servers (POST, PUT, PATCH,
 * apply) makes of their values. Read in the write's transaction, where writers take turns: no
 * definition changes under the write. A batch of 1000 servers with long values of patterned fields
 * takes a while to check, so other requests get a turn every TURN_EVERY servers.
 */
export async function readValueChecks(db: Kysely<Database>): Promise<ValueChecks> {
  const definitions = await listDefinitions(db);
  let checked = 0;
  return {
    definitions,
    async resolve(given, mode, prefix, details) {
      await turnEvery(checked, TURN_EVERY);
      checked += 1;
      return resolveValues(definitions, given, mode, prefix, details);
    },
  };
}
