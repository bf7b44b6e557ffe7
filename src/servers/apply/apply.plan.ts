import type { Kysely } from 'kysely';
import type { Change } from '../../changes/changes.schemas.js';
import { readValueChecks } from '../../custom-fields/custom-fields.checks.js';
import { turnEvery } from '../../db/chunks.js';
import type { Database, ServerRow } from '../../db/types.js';
import { type ErrorDetail, appError } from '../../errors.js';
import { defaultValues } from '../server-fields.js';
import { toServer } from '../servers.mapper.js';
import * as repository from '../servers.repository.js';
import { type ServerValues, diff, valuesOf } from '../servers.values.js';
import { customValues, undefinedColumns } from './apply.custom-values.js';

// What an apply does, worked out before anything is written: the dry run answers with it, the real
// run carries it out in the same transaction in which it was worked out. One plan for both is what
// makes the dry run exact.

/** One server of the input, checked and in the form it is stored in. */
export interface ApplyEntry {
  /** How errors name it: `servers[3]`, or `line 7` of an NDJSON or CSV body. */
  label: string;
  /** The fields it gives (absent ones absent), normalised; always the host name; not its custom values. */
  values: Partial<Omit<ServerValues, 'custom_fields'>> & Pick<ServerValues, 'hostname'>;
  /**
   * Its custom values as given, checked by the plan against the definitions it reads: undefined keeps
   * every value (a new server takes the defaults), null removes them all; in an object, a field left
   * out is kept (or takes its default), null removes its value, and a value replaces it.
   */
  custom?: Readonly<Record<string, unknown>> | null | undefined;
}

export interface PlanOptions {
  /** Whether the source's servers that the input leaves out are deleted. */
  prune: boolean;
  /** A CSV body's custom fields (its `cf_<name>` columns), whose values the entries give as text. */
  customColumns?: readonly string[] | undefined;
}

export interface Creation {
  label: string;
  values: ServerValues;
}

export interface Update {
  label: string;
  row: ServerRow;
  next: ServerValues;
  changes: Change['changes'];
}

export interface Plan {
  creations: Creation[];
  updates: Update[];
  /** Servers of the input that are already as it gives them. */
  unchanged: ServerRow[];
  /** Servers owned by the source that the input leaves out, when it prunes (by id). */
  deletions: ServerRow[];
}

/** Host names repeated in the input: a 400, whatever the store holds. */
export function repeatedHostnames(entries: readonly ApplyEntry[]): ErrorDetail[] {
  const first = new Map<string, string>();
  const details: ErrorDetail[] = [];
  for (const { label, values } of entries) {
    const seen = first.get(values.hostname);
    if (seen === undefined) {
      first.set(values.hostname, label);
    } else {
      details.push({ field: `${label}.hostname`, message: `repeats the host name of ${seen}: give each server once` });
    }
  }
  return details;
}

/**
 * Addresses that two servers would hold after the apply: two in the input, or one of the input and
 * one the apply leaves alone. A server that moves to another address, or is pruned, frees its own.
 */
async function addressConflicts(
  db: Kysely<Database>,
  finals: { label: string; ip: string; id?: number; moves: boolean }[],
  deleted: ReadonlySet<number>,
): Promise<ErrorDetail[]> {
  const details: ErrorDetail[] = [];
  const first = new Map<string, string>();
  const inInput = new Set<number>();
  for (const { label, ip, id } of finals) {
    const seen = first.get(ip);
    if (seen === undefined) {
      first.set(ip, label);
    } else {
      details.push({ field: `${label}.ip`, message: `repeats the address of ${seen}` });
    }
    if (id !== undefined) {
      inInput.add(id);
    }
  }
  const taking = finals.filter((final) => final.moves);
  const holders = await repository.findServersByIps(
    db,
    taking.map((final) => final.ip),
  );
  const holderOf = new Map(holders.map((holder) => [holder.ip, holder]));
  for (const { label, ip, id } of taking) {
    const holder = holderOf.get(ip);
    // A holder in the input either keeps the address (a repeat, named above) or leaves it.
    if (holder !== undefined && holder.id !== id && !inInput.has(holder.id) && !deleted.has(holder.id)) {
      details.push({ field: `${label}.ip`, message: `is already used by server ${holder.id} (${holder.hostname})` });
    }
  }
  return details;
}

/**
 * The plan of an apply from `source`, read in the transaction `db` (the write's, or the dry run's
 * snapshot). Refuses the whole apply, naming every server at fault: 400 if a CSV body's cf_ column
 * names no custom field, 409 if another source owns some, 400 if a new server lacks an address or a
 * custom value is refused, 409 if addresses would clash.
 */
export async function planApply(
  db: Kysely<Database>,
  source: string,
  entries: readonly ApplyEntry[],
  { prune, customColumns }: PlanOptions,
): Promise<Plan> {
  // In the plan's transaction, where writers take turns: no definition changes under the apply.
  const checks = await readValueChecks(db);
  const refusedColumns = customColumns === undefined ? [] : undefinedColumns(checks.definitions, customColumns);
  if (refusedColumns.length > 0) {
    throw appError('VALIDATION_FAILED', refusedColumns);
  }
  const custom = customValues(checks, customColumns);

  const existing = await repository.findServersByHostnames(
    db,
    entries.map((entry) => entry.values.hostname),
  );
  const byHostname = new Map(existing.map((row) => [row.hostname, row]));

  const owned = entries.flatMap(({ label, values }) => {
    const owner = byHostname.get(values.hostname)?.managed_by;
    return owner === undefined || owner === null || owner === source
      ? []
      : [
          {
            field: `${label}.hostname`,
            message: `belongs to ${owner} (server ${byHostname.get(values.hostname)?.id})`,
          },
        ];
  });
  if (owned.length > 0) {
    throw appError('SERVER_OWNED_ELSEWHERE', owned);
  }

  const plan: Plan = { creations: [], updates: [], unchanged: [], deletions: [] };
  const invalid: ErrorDetail[] = [];
  const finals: { label: string; ip: string; id?: number; moves: boolean }[] = [];
  for (const [i, { label, values, custom: given }] of entries.entries()) {
    // The compare costs some 10 µs a server: 10,000 of them in one go held up every other request.
    await turnEvery(i, 1000);
    const row = byHostname.get(values.hostname);
    if (row === undefined) {
      if (values.ip === undefined) {
        invalid.push({
          field: `${label}.ip`,
          message: 'is required to create a server: the store has none of this name',
        });
        // Its custom values are checked all the same: one 400 names every problem.
        await custom.created(given, label, invalid);
        continue;
      }
      const created = {
        ...defaultValues(),
        ...values,
        ip: values.ip,
        managed_by: source,
        custom_fields: await custom.created(given, label, invalid),
      };
      plan.creations.push({ label, values: created });
      finals.push({ label, ip: created.ip, moves: true });
      continue;
    }
    const current = valuesOf(toServer(row));
    const next = {
      ...current,
      ...values,
      managed_by: source,
      custom_fields: await custom.updated(current.custom_fields, given, label, invalid),
    };
    const changes = diff(current, next);
    if (Object.keys(changes).length === 0) {
      plan.unchanged.push(row);
    } else {
      plan.updates.push({ label, row, next, changes });
    }
    finals.push({ label, ip: next.ip, id: row.id, moves: next.ip !== row.ip });
  }
  if (invalid.length > 0) {
    throw appError('VALIDATION_FAILED', invalid);
  }

  if (prune) {
    const named = new Set(entries.map((entry) => entry.values.hostname));
    const leftOut = (await repository.findOwnedServers(db, source)).filter((server) => !named.has(server.hostname));
    plan.deletions = (
      await repository.findServersByIds(
        db,
        leftOut.map((server) => server.id),
      )
    ).sort((a, b) => a.id - b.id);
  }

  const conflicts = await addressConflicts(db, finals, new Set(plan.deletions.map((row) => row.id)));
  if (conflicts.length > 0) {
    throw appError('SERVER_CONFLICT', conflicts);
  }
  return plan;
}
