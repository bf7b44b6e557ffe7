import type { Kysely } from 'kysely';
import { insertChanges, listServerChanges } from '../changes/changes.repository.js';
import { toChange } from '../changes/changes.mapper.js';
import { uniqueViolationColumn } from '../db/errors.js';
import { writeTransaction } from '../db/transaction.js';
import type { Database, ServerRow } from '../db/types.js';
import { type ErrorDetail, appError } from '../errors.js';
import { ifMatchAllows } from '../shared/etag.js';
import { etagOf, toServer } from './servers.mapper.js';
import * as repository from './servers.repository.js';
import type { ChangeList, Server, ServerInput, ServerList, ServerPatch } from './servers.schemas.js';
import { type ServerValues, diff, valuesFromInput, valuesOf, valuesWithPatch } from './servers.values.js';

/** A server and its current ETag. */
export interface VersionedServer {
  server: Server;
  etag: string;
}

/** Who writes, and on which condition. */
export interface WriteContext {
  /** The token's name, recorded as the change's actor. */
  actor: string;
  /** The request's If-Match header, if any. */
  ifMatch?: string | undefined;
}

export interface ServersService {
  getServer(id: number): Promise<VersionedServer>;
  listServers(): Promise<ServerList>;
  /** Creates every server or none. */
  createServers(inputs: ServerInput[], context: WriteContext): Promise<VersionedServer[]>;
  replaceServer(id: number, input: ServerInput, context: WriteContext): Promise<VersionedServer>;
  patchServer(id: number, patch: ServerPatch, context: WriteContext): Promise<VersionedServer>;
  deleteServer(id: number, context: WriteContext): Promise<void>;
  serverHistory(id: number): Promise<ChangeList>;
}

function versioned(row: ServerRow): VersionedServer {
  return { server: toServer(row), etag: etagOf(row) };
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

/** Turns a unique-index violation that slipped past the check (a concurrent writer) into a 409. */
async function conflictsAs409<T>(work: () => Promise<T>): Promise<T> {
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

export function createServersService(db: Kysely<Database>): ServersService {
  /** Reads the server for a conditional write: 404 if it is gone, 412 if If-Match does not match. */
  async function current(trx: Kysely<Database>, id: number, ifMatch: string | undefined): Promise<ServerRow> {
    const row = await repository.findServerById(trx, id);
    if (row === undefined) {
      throw appError('SERVER_NOT_FOUND');
    }
    if (!ifMatchAllows(ifMatch, etagOf(row))) {
      throw appError('PRECONDITION_FAILED', { headers: { etag: etagOf(row) } });
    }
    return row;
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
      throw appError('PRECONDITION_FAILED');
    }
    await insertChanges(trx, [{ server_id: row.id, action: 'update', at, actor, changes: JSON.stringify(changes) }]);
    return versioned(updated);
  }

  return {
    async getServer(id) {
      const row = await repository.findServerById(db, id);
      if (row === undefined) {
        throw appError('SERVER_NOT_FOUND');
      }
      return versioned(row);
    },

    async listServers() {
      // One transaction, so that the page and the count describe the same moment.
      return db.transaction().execute(async (trx) => {
        const rows = await repository.listServers(trx);
        const count = await repository.countServers(trx);
        return { servers: rows.map(toServer), count };
      });
    },

    createServers(inputs, { actor }) {
      const batch = inputs.length > 1;
      const candidates = inputs.map((input, index) => {
        const prefix = batch ? `[${index}].` : '';
        return { values: valuesFromInput(input, `${prefix}ip`), prefix };
      });
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          await assertNoConflicts(trx, candidates);
          const at = new Date().toISOString();
          const rows = await repository.insertServers(
            trx,
            candidates.map(({ values }) => ({ ...values, created_at: at, updated_at: at })),
          );
          await insertChanges(
            trx,
            rows.map((row, index) => ({
              server_id: row.id,
              action: 'create' as const,
              at,
              actor,
              changes: JSON.stringify(diff(null, candidates[index]?.values ?? null)),
            })),
          );
          return rows.map(versioned);
        }),
      );
    },

    replaceServer(id, input, { actor, ifMatch }) {
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          const row = await current(trx, id, ifMatch);
          const next = valuesFromInput(input);
          await assertNoConflicts(trx, [{ values: next, prefix: '', id }]);
          return update(trx, row, next, actor);
        }),
      );
    },

    patchServer(id, patch, { actor, ifMatch }) {
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          const row = await current(trx, id, ifMatch);
          const next = valuesWithPatch(valuesOf(toServer(row)), patch);
          await assertNoConflicts(trx, [{ values: next, prefix: '', id }]);
          return update(trx, row, next, actor);
        }),
      );
    },

    async deleteServer(id, { actor, ifMatch }) {
      await writeTransaction(db, async (trx) => {
        const row = await current(trx, id, ifMatch);
        if (!(await repository.deleteServer(trx, id, row.version))) {
          throw appError('PRECONDITION_FAILED');
        }
        const changes = diff(valuesOf(toServer(row)), null);
        await insertChanges(trx, [
          { server_id: id, action: 'delete', at: new Date().toISOString(), actor, changes: JSON.stringify(changes) },
        ]);
      });
    },

    async serverHistory(id) {
      const rows = await listServerChanges(db, id);
      if (rows.length === 0) {
        throw appError('SERVER_NOT_FOUND');
      }
      return { changes: rows.map(toChange) };
    },
  };
}
