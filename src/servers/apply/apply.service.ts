import type { Kysely } from 'kysely';
import { insertChanges } from '../../changes/changes.repository.js';
import { readTransaction, writeTransaction } from '../../db/transaction.js';
import { turnEvery } from '../../db/chunks.js';
import type { Database, NewServerChangeRow } from '../../db/types.js';
import { type ErrorDetail, appError } from '../../errors.js';
import { serverState, toServer } from '../servers.mapper.js';
import type { Server } from '../servers.schemas.js';
import * as repository from '../servers.repository.js';
import { conflictsAs409 } from '../servers.service.js';
import { diff, valuesFromPatch, valuesOf } from '../servers.values.js';
import { type ApplyEntry, type Plan, planApply, repeatedHostnames } from './apply.plan.js';
import type { ApplyItem, ApplyResult } from './apply.schemas.js';

export interface ApplyRequest {
  source: string;
  items: readonly ApplyItem[];
  /** How errors name each item: `servers[3]`, or `line 7` of an NDJSON or CSV body. */
  labels: readonly string[];
  /**
   * A CSV body's custom fields, by its `cf_<name>` columns: the items' values of these are text (or
   * null), read by each field's type in the plan.
   */
  customColumns?: readonly string[];
  prune: boolean;
  dryRun: boolean;
  /** The token's name, recorded as the actor of every change. */
  actor: string;
}

export interface ApplyService {
  apply(request: ApplyRequest): Promise<ApplyResult>;
}

/** How many rows are written between two turns of the event loop (SQLite runs each statement synchronously). */
const TURN = 100;
/** How many items are checked between two turns of the event loop. */
const TURN_ITEMS = 500;

function result(source: string, plan: Plan, dryRun: boolean, createdIds?: number[]): ApplyResult {
  const created = plan.creations.map(({ values }, i) => {
    const id = createdIds?.[i];
    return id === undefined ? { hostname: values.hostname } : { hostname: values.hostname, id };
  });
  const updated = plan.updates.map(({ row, next, changes }) => ({ hostname: next.hostname, id: row.id, changes }));
  const deleted = plan.deletions.map((row) => ({ hostname: row.hostname, id: row.id }));
  return {
    dry_run: dryRun,
    source,
    created,
    updated,
    deleted,
    unchanged: plan.unchanged.length,
    summary: {
      created: created.length,
      updated: updated.length,
      deleted: deleted.length,
      unchanged: plan.unchanged.length,
    },
  };
}

/** Carries out a plan in the transaction it was made in; the ids of the created servers, in input order. */
async function carryOut(trx: Kysely<Database>, plan: Plan, actor: string, at: string): Promise<number[]> {
  const { creations, updates, unchanged, deletions } = plan;
  await repository.deleteServers(
    trx,
    deletions.map((row) => row.id),
  );

  // A server may take the address another one of the apply leaves: that one is parked first.
  const taken = new Set(updates.filter(({ row, next }) => next.ip !== row.ip).map(({ next }) => next.ip));
  const parked = updates.filter(({ row, next }) => next.ip !== row.ip && taken.has(row.ip));
  for (const { row } of parked) {
    await repository.parkAddress(trx, row.id);
  }
  /** A change of this apply, with the server's state after it (before it, for a delete). */
  const changeRow = (action: NewServerChangeRow['action'], server: Server, changes: object): NewServerChangeRow => ({
    server_id: server.id,
    action,
    at,
    actor,
    changes: JSON.stringify(changes),
    server: serverState(server),
  });
  // Each update's change, with the server's state as written.
  const updateChanges: NewServerChangeRow[] = [];
  for (const [i, { row, next, changes }] of updates.entries()) {
    await turnEvery(i, TURN);
    // Seen by this apply too: one write of the row for both.
    const updated = await repository.updateServer(trx, row.id, row.version, {
      ...next,
      updated_at: at,
      last_seen_at: at,
    });
    if (updated === undefined) {
      // The write lock is held since the plan read the row: nothing else can have changed it.
      throw new Error(`server ${row.id} changed under an apply's write lock`);
    }
    updateChanges.push(changeRow('update', toServer(updated), changes));
  }

  const inserted = await repository.insertServers(
    trx,
    creations.map(({ values }) => ({ ...values, created_at: at, updated_at: at, last_seen_at: at })),
  );
  // Ids follow the order of the input; RETURNING's order is not guaranteed everywhere.
  inserted.sort((a, b) => a.id - b.id);

  await insertChanges(trx, [
    ...deletions.map((row) => {
      const before = toServer(row);
      return changeRow('delete', before, diff(valuesOf(before), null));
    }),
    ...updateChanges,
    ...inserted.map((row) => {
      const server = toServer(row);
      return changeRow('create', server, diff(null, valuesOf(server)));
    }),
  ]);
  await repository.markSeen(
    trx,
    unchanged.map((row) => row.id),
    at,
  );
  return inserted.map((row) => row.id);
}

export function createApplyService(db: Kysely<Database>, now: () => Date = () => new Date()): ApplyService {
  return {
    async apply({ source, items, labels, customColumns, prune, dryRun, actor }) {
      // Checked before the transaction: a bad value or a repeated host name is a 400 whatever the store holds.
      const details: ErrorDetail[] = [];
      const entries: ApplyEntry[] = [];
      for (const [i, item] of items.entries()) {
        await turnEvery(i, TURN_ITEMS);
        const label = labels[i] ?? `servers[${i}]`;
        const values = valuesFromPatch(item, details, `${label}.`);
        // Custom values are checked by the plan, against the definitions its transaction reads.
        delete values.custom_fields;
        entries.push({
          label,
          values: { ...values, hostname: values.hostname ?? item.hostname },
          custom: item.custom_fields,
        });
      }
      if (details.length === 0) {
        details.push(...repeatedHostnames(entries));
      }
      if (details.length > 0) {
        throw appError('VALIDATION_FAILED', details);
      }
      if (dryRun) {
        // A read-only snapshot: the plan of what the apply would do now, and nothing written.
        return readTransaction(db, async (trx) =>
          result(source, await planApply(trx, source, entries, { prune, customColumns }), true),
        );
      }
      return conflictsAs409(() =>
        writeTransaction(db, async (trx) => {
          const plan = await planApply(trx, source, entries, { prune, customColumns });
          const ids = await carryOut(trx, plan, actor, now().toISOString());
          return result(source, plan, false, ids);
        }),
      );
    },
  };
}
