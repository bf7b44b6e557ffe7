import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { readValueChecks } from '../custom-fields/custom-fields.checks.js';
import type { Definition, ValuesMode } from '../custom-fields/custom-fields.values.js';
import { insertChanges } from '../changes/changes.repository.js';
import type { ChangeList } from '../changes/changes.schemas.js';
import type { ChangesService } from '../changes/changes.service.js';
import { uniqueViolationColumn } from '../db/errors.js';
import { readTransaction, writeTransaction } from '../db/transaction.js';
import type { Database, ServerRow } from '../db/types.js';
import { type ErrorDetail, appError } from '../errors.js';
import { ifMatchAllows } from '../shared/etag.js';
import { type FeedServer, etagOf, serverState, toFeedServer, toListedServer, toServer } from './servers.mapper.js';
import * as repository from './servers.repository.js';
import { encodeCursor, sortValues } from './query/cursor.js';
import type { Filters, Listing } from './query/params.js';
import { SERVER_STATUSES } from './server-fields.schemas.js';
import type { ListedServer, Server, ServerInput, ServerList, ServerPatch, Summary } from './servers.schemas.js';
import {
  type ServerValues,
  diff,
  valuesFromInput,
  valuesFromPatch,
  valuesOf,
  valuesWithPatch,
} from './servers.values.js';

/** The key under which the summary counts servers without a value. */
export const NONE_KEY = '(none)';

/** A server, its current ETag, and when an apply last saw it (served beside it, not in it). */
export interface VersionedServer {
  server: Server;
  etag: string;
  lastSeenAt: string | null;
}

/** Who writes, and on which condition. */
export interface WriteContext {
  /** The token's name, recorded as the change's actor. */
  actor: string;
  /** The request's If-Match header, if any. */
  ifMatch?: string | undefined;
}

/** A create's context: with `batch`, errors name items by index; `onCreated` joins its transaction. */
export interface CreateContext extends WriteContext {
  batch: boolean;
  /**
   * Runs inside the create's write transaction, after the servers and their history are written: what
   * it writes commits with them, and if it throws nothing is created (the Idempotency-Key store).
   */
  onCreated?: (trx: Kysely<Database>, created: VersionedServer[]) => Promise<void>;
}

/**
 * Rows per query while streaming an export: bounded memory whatever the inventory's size. At 500, a
 * chunk's rows were still alive at a young-generation collection often enough to be moved to the old
 * generation, which then grew until a full collection: an NDJSON export of 100,000 servers took RSS up
 * by 34–42 MiB in the container's limits, against 15–19 MiB at 200, which was also faster
 * (docs/benchmarks.md, "Fourth pass"); at 100 the queries begin to cost more than they save.
 */
export const EXPORT_CHUNK = 200;
/** Rows per query of a feed (see feedServers). */
export const FEED_CHUNK = 1000;

export interface ServersService {
  getServer(id: number): Promise<VersionedServer>;
  /** A page of the listing, its total count, and the cursor of the next page (null on the last). */
  listServers(listing: Listing): Promise<ServerList>;
  /**
   * Hands every server matching the filters to `onChunk`, a chunk of them at a time in id order, with
   * the fields the feeds give (FeedServer). The chunks are read in one read transaction, so that
   * together they describe one moment (no host name twice, none missing, when servers are renamed
   * meanwhile), and the event loop gets a turn between two of them.
   */
  feedServers(filters: Filters, onChunk: (servers: FeedServer[]) => void): Promise<void>;
  /**
   * Counts of the matching servers in all and by status, environment, role and location, and by each
   * of `byCustom` (enum and boolean fields) as `by_cf_<name>`.
   */
  summary(filters: Filters, byCustom?: readonly Definition[]): Promise<Summary>;
  /** Every server of the listing, without paging, read from the database a chunk at a time. */
  exportServers(listing: Pick<Listing, 'filters' | 'sort'>): AsyncGenerator<ListedServer[]>;
  /**
   * Creates every server or none. With `batch`, errors name each item by its index (`[0].ip`),
   * as the request sent an array (of one item, maybe).
   */
  createServers(inputs: ServerInput[], context: CreateContext): Promise<VersionedServer[]>;
  replaceServer(id: number, input: ServerInput, context: WriteContext): Promise<VersionedServer>;
  patchServer(id: number, patch: ServerPatch, context: WriteContext): Promise<VersionedServer>;
  deleteServer(id: number, context: WriteContext): Promise<void>;
  serverHistory(id: number): Promise<ChangeList>;
}

function versioned(row: ServerRow): VersionedServer {
  return { server: toServer(row), etag: etagOf(row), lastSeenAt: row.last_seen_at };
}

/** A new server's values, with where they came from in the request (`[3].` for the 4th of a batch). */
interface Candidate {
  values: ServerValues;
  prefix: string;
  /** The server being replaced, which may keep its own host name and address. */
  id?: number;
}

/**
 * Checks host names and addresses against each other and against the store, naming every clash.
 * Inside the write transaction this is exact on SQLite; the unique indexes remain the last word.
 */
async function assertNoConflicts(db: Kysely<Database>, candidates: Candidate[]): Promise<void> {
  const details: ErrorDetail[] = [];
  for (const field of ['hostname', 'ip'] as const) {
    const firstAt = new Map<string, number>();
    candidates.forEach((candidate, index) => {
      const seen = firstAt.get(candidate.values[field]);
      if (seen === undefined) {
        firstAt.set(candidate.values[field], index);
      } else {
        details.push({ field: `${candidate.prefix}${field}`, message: `repeats item ${seen}` });
      }
    });
  }
  const existing = await repository.findServersByHostnameOrIp(
    db,
    candidates.map((c) => c.values.hostname),
    candidates.map((c) => c.values.ip),
  );
  for (const candidate of candidates) {
    for (const row of existing) {
      for (const field of ['hostname', 'ip'] as const) {
        if (row[field] === candidate.values[field] && row.id !== candidate.id) {
          details.push({ field: `${candidate.prefix}${field}`, message: `is already used by server ${row.id}` });
        }
      }
    }
  }
  if (details.length > 0) {
    throw appError('SERVER_CONFLICT', details);
  }
}

/**
 * What `build` makes of a request's values, or one 400 naming every problem it found. Called before
 * the transaction: a bad value is a 400 whatever the store holds, as the schema's own checks are.
 */
function validated<T>(build: (details: ErrorDetail[]) => T): T {
  const details: ErrorDetail[] = [];
  const values = build(details);
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return values;
}

/**
 * Checks the custom values of these servers against the definitions, read in the write's transaction
 * (where writers take turns, so no definition changes under it), and puts them in their stored form.
 * Throws one 400 naming every problem, those `details` holds already (the fixed fields') included.
 */
async function withCustomValues(
  trx: Kysely<Database>,
  servers: readonly { values: ServerValues; prefix: string }[],
  mode: ValuesMode,
  details: ErrorDetail[],
): Promise<void> {
  const checks = await readValueChecks(trx);
  for (const { values, prefix } of servers) {
    values.custom_fields = await checks.resolve(values.custom_fields, mode, prefix, details);
  }
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
}

/** Turns a unique-index violation that slipped past the check (a concurrent writer) into a 409. */
export async function conflictsAs409<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const column = uniqueViolationColumn(error);
    if (column === null) {
      throw error;
    }
    throw appError('SERVER_CONFLICT', [{ field: column || 'server', message: 'is already used by another server' }]);
  }
}

export function createServersService(db: Kysely<Database>, changes: ChangesService): ServersService {
  /**
   * Reads the server for a conditional write: 404 if it is gone (412 if the client sent If-Match,
   * which cannot match what does not exist: RFC 9110 13.1.1), 412 if If-Match does not match.
   */
  async function current(trx: Kysely<Database>, id: number, ifMatch: string | undefined): Promise<ServerRow> {
    const row = await repository.findServerById(trx, id);
    if (row === undefined) {
      throw appError(ifMatch === undefined ? 'SERVER_NOT_FOUND' : 'PRECONDITION_FAILED');
    }
    if (!ifMatchAllows(ifMatch, etagOf(row))) {
      throw preconditionFailed(row);
    }
    return row;
  }

  /** 412, with the current ETag when there is a current server. */
  function preconditionFailed(row: ServerRow | undefined) {
    return appError('PRECONDITION_FAILED', row === undefined ? {} : { headers: { etag: etagOf(row) } });
  }

  /** Writes new values over a server, with its history row, unless nothing changes. */
  async function update(trx: Kysely<Database>, row: ServerRow, next: ServerValues, actor: string) {
    const changes = diff(valuesOf(toServer(row)), next);
    if (Object.keys(changes).length === 0) {
      return versioned(row);
    }
    const at = new Date().toISOString();
    const updated = await repository.updateServer(trx, row.id, row.version, { ...next, updated_at: at });
    if (updated === undefined) {
      // Changed by a concurrent writer since we read it (possible where writers do not serialise).
      throw preconditionFailed(await repository.findServerById(trx, row.id));
    }
    const result = versioned(updated);
    await insertChanges(trx, [
      {
        server_id: row.id,
        action: 'update',
        at,
        actor,
        changes: JSON.stringify(changes),
        server: serverState(result.server),
      },
    ]);
    return result;
  }

  return {
    async getServer(id) {
      const row = await repository.findServerById(db, id);
      if (row === undefined) {
        throw appError('SERVER_NOT_FOUND');
      }
      return versioned(row);
    },

    async listServers(listing) {
      // One row more than the page tells whether there is a next page.
      const pageOf = (rows: ServerRow[], count: number) => {
        const page = rows.slice(0, listing.limit);
        const last = page[page.length - 1];
        const next =
          rows.length > listing.limit && last !== undefined
            ? encodeCursor(listing, sortValues(last, listing.sort))
            : null;
        return { servers: page.map(toListedServer), count, next };
      };
      // Without filters, one statement reads the page and the stored count.
      const unfiltered = await repository.listUnfilteredPage(db, listing, listing.limit + 1);
      if (unfiltered !== undefined) {
        return pageOf(unfiltered.rows, unfiltered.count);
      }
      // Otherwise one transaction, so that the page and the count describe the same moment.
      return readTransaction(db, async (trx) => {
        const rows = await repository.listServers(trx, listing, listing.limit + 1);
        return pageOf(rows, await repository.countServers(trx, listing.filters));
      });
    },

    feedServers(filters, onChunk) {
      return readTransaction(db, async (trx) => {
        let after: number | undefined;
        for (;;) {
          const rows = await repository.feedServersQuery(trx, filters, after, FEED_CHUNK).execute();
          if (rows.length > 0) {
            onChunk(rows.map(toFeedServer));
          }
          const last = rows[rows.length - 1];
          if (rows.length < FEED_CHUNK || last === undefined) {
            return;
          }
          after = last.id;
          // As the export does (servers.export.ts): without it the whole feed is made in one turn of
          // the event loop, which at 100,000 servers takes seconds, stalling every other request.
          await nextTurn();
        }
      });
    },

    summary(filters, byCustom = []) {
      // One transaction: every count describes the same moment.
      return readTransaction(db, async (trx) => {
        const summary: Summary = {
          total: 0,
          by_status: Object.fromEntries(SERVER_STATUSES.map((status) => [status, 0])),
          by_environment: {},
          by_role: {},
          by_location: {},
        };
        for (const column of ['status', 'environment', 'role', 'location'] as const) {
          const rows = await repository.countServersBy(trx, filters, column);
          // Labels start with a letter or a digit, so "(none)" can never be one.
          const counts = Object.fromEntries(rows.map(({ value, count }) => [value ?? NONE_KEY, count]));
          summary[`by_${column}`] = column === 'status' ? { ...summary.by_status, ...counts } : counts;
          if (column === 'status') {
            summary.total = rows.reduce((sum, row) => sum + row.count, 0);
          }
        }
        for (const definition of byCustom) {
          // Every choice (true and false for a boolean) is counted, as every status is, 0 included;
          // "(none)" is never a choice (custom-fields.schemas.ts).
          const values = definition.type === 'boolean' ? ['true', 'false'] : (definition.spec.choices ?? []);
          const counts: Record<string, number> = Object.fromEntries(values.map((value) => [value, 0]));
          for (const { value, count } of await repository.countServersByCustom(trx, filters, definition)) {
            counts[value ?? NONE_KEY] = count;
          }
          summary[`by_cf_${definition.name}`] = counts;
        }
        return summary;
      });
    },

    async *exportServers({ filters, sort }) {
      let after: unknown[] | undefined;
      for (;;) {
        const rows = await repository.listServers(db, { filters, sort, offset: 0, after }, EXPORT_CHUNK);
        if (rows.length > 0) {
          yield rows.map(toListedServer);
        }
        const last = rows[rows.length - 1];
        if (rows.length < EXPORT_CHUNK || last === undefined) {
          return;
        }
        after = sortValues(last, sort);
      }
    },

    async createServers(inputs, { actor, batch, onCreated }) {
      const details: ErrorDetail[] = [];
      const candidates = inputs.map((input, index) => {
        const prefix = batch ? `[${index}].` : '';
        return { values: valuesFromInput(input, details, prefix), prefix };
      });
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          await withCustomValues(trx, candidates, 'whole', details);
          await assertNoConflicts(trx, candidates);
          const at = new Date().toISOString();
          const rows = await repository.insertServers(
            trx,
            candidates.map(({ values }) => ({ ...values, created_at: at, updated_at: at })),
          );
          // Ids follow the order of the request; RETURNING's order is not guaranteed everywhere.
          rows.sort((a, b) => a.id - b.id);
          const created = rows.map(versioned);
          await insertChanges(
            trx,
            created.map(({ server }) => ({
              server_id: server.id,
              action: 'create' as const,
              at,
              actor,
              changes: JSON.stringify(diff(null, valuesOf(server))),
              server: serverState(server),
            })),
          );
          await onCreated?.(trx, created);
          return created;
        }),
      );
    },

    async replaceServer(id, input, { actor, ifMatch }) {
      const details: ErrorDetail[] = [];
      const next = valuesFromInput(input, details);
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          const candidate = [{ values: next, prefix: '' }];
          if (details.length > 0) {
            // A bad fixed field is a 400 whatever the store holds, as on PATCH: this throws it, naming
            // the custom values' problems too (every problem at once).
            await withCustomValues(trx, candidate, 'whole', details);
          }
          // Otherwise, as on PATCH: 404 and 412 first, then the custom values against the definitions.
          const row = await current(trx, id, ifMatch);
          await withCustomValues(trx, candidate, 'whole', details);
          await assertNoConflicts(trx, [{ values: next, prefix: '', id }]);
          return update(trx, row, next, actor);
        }),
      );
    },

    async patchServer(id, patch, { actor, ifMatch }) {
      const values = validated((details) => valuesFromPatch(patch, details));
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          const row = await current(trx, id, ifMatch);
          const next = valuesWithPatch(valuesOf(toServer(row)), values);
          await withCustomValues(trx, [{ values: next, prefix: '' }], 'merged', []);
          await assertNoConflicts(trx, [{ values: next, prefix: '', id }]);
          return update(trx, row, next, actor);
        }),
      );
    },

    async deleteServer(id, { actor, ifMatch }) {
      await writeTransaction(db, async (trx) => {
        const row = await current(trx, id, ifMatch);
        if (!(await repository.deleteServer(trx, id, row.version))) {
          throw preconditionFailed(await repository.findServerById(trx, id));
        }
        // A delete records the server as it was before.
        const before = toServer(row);
        await insertChanges(trx, [
          {
            server_id: id,
            action: 'delete',
            at: new Date().toISOString(),
            actor,
            changes: JSON.stringify(diff(valuesOf(before), null)),
            server: serverState(before),
          },
        ]);
      });
    },

    async serverHistory(id) {
      const history = await changes.ofServer(id);
      // No history: a server added by other means than the API has none, yet it exists.
      if (history.changes.length === 0 && (await repository.findServerById(db, id)) === undefined) {
        throw appError('SERVER_NOT_FOUND');
      }
      return history;
    },
  };
}
