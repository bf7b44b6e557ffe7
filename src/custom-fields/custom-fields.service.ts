import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { insertChanges } from '../changes/changes.repository.js';
import { turnEvery } from '../db/chunks.js';
import { isSqlite, writeTransaction } from '../db/transaction.js';
import type { Database } from '../db/types.js';
import { type ErrorDetail, appError } from '../errors.js';
import { serverState, toServer } from '../servers/servers.mapper.js';
import { countServers as countAllServers } from '../servers/servers.repository.js';
import { dropDeletedValueIndex } from './custom-fields.indexes.js';
import * as repository from './custom-fields.repository.js';
import {
  type CreateCustomFieldBody,
  type CustomField,
  type CustomFieldChangeList,
  type CustomFieldSpec,
  type CustomFieldType,
  type CustomValue,
  MAX_CUSTOM_FIELDS,
  NO_SPEC,
  type PatchCustomFieldBody,
} from './custom-fields.schemas.js';
import { createValueIndex, dropValueIndex } from './custom-fields.sql.js';
import { compilePattern } from './custom-fields.patterns.js';
import { type Definition, checkValue, sortedValues } from './custom-fields.values.js';

/** How many servers a refusal names; `truncated` counts the rest. */
export const NAMED_SERVERS = 10;
/** Servers read and rewritten at a time when a definition's change reaches their values. */
const PAGE = 500;

export interface CustomFieldsService {
  list(): Promise<CustomField[]>;
  get(name: string): Promise<CustomField>;
  create(body: CreateCustomFieldBody, actor: string): Promise<CustomField>;
  update(name: string, patch: PatchCustomFieldBody, actor: string): Promise<CustomField>;
  remove(name: string, force: boolean, actor: string): Promise<void>;
  changes(after: number, limit: number): Promise<CustomFieldChangeList>;
  /** The definitions as they are now, in the order they were made. */
  definitions(): Promise<Definition[]>;
  /** A number that moves whenever a definition changes (the last seq of their feed): one small query. */
  definitionsVersion(): Promise<number>;
}

const SPEC_KEYS = [
  'description',
  'required',
  'default',
  'choices',
  'pattern',
  'max_length',
  'minimum',
  'maximum',
] as const satisfies readonly (keyof CustomFieldSpec)[];

export function toCustomField(definition: Definition): CustomField {
  return {
    name: definition.name,
    type: definition.type,
    ...definition.spec,
    created_at: definition.created_at,
    updated_at: definition.updated_at,
  };
}

/**
 * A spec whose properties fit its type and each other, its default in the stored form; every
 * problem is added to `details`, named after the property. A pattern is checked when it is new, not
 * when it is the one stored (`storedPattern`): a pattern accepted once stays, whatever bounds came
 * later, so that the definition's other properties can still change.
 */
function checkedSpec(
  type: CustomFieldType,
  spec: CustomFieldSpec,
  details: ErrorDetail[],
  storedPattern: string | null = null,
): CustomFieldSpec {
  const before = details.length;
  const only = (key: keyof CustomFieldSpec, types: readonly CustomFieldType[], what: string) => {
    if (spec[key] !== null && !types.includes(type)) {
      details.push({ field: key, message: `is for ${what} only: leave it out for a field of type ${type}` });
    }
  };
  if (type === 'enum' && spec.choices === null) {
    details.push({ field: 'choices', message: 'is required for an enum: list the values it allows' });
  }
  only('choices', ['enum'], 'enums');
  only('pattern', ['string'], 'strings');
  only('max_length', ['string'], 'strings');
  only('minimum', ['integer', 'number'], 'integers and numbers');
  only('maximum', ['integer', 'number'], 'integers and numbers');
  if (spec.pattern !== null && spec.pattern !== storedPattern && type === 'string') {
    const compiled = compilePattern(spec.pattern);
    if (!compiled.ok) {
      details.push({ field: 'pattern', message: compiled.problem });
    }
  }
  if (type === 'integer') {
    for (const key of ['minimum', 'maximum'] as const) {
      const bound = spec[key];
      if (bound !== null && !Number.isSafeInteger(bound)) {
        details.push({ field: key, message: `must be an integer for a field of type integer (got ${bound})` });
      }
    }
  }
  if (spec.minimum !== null && spec.maximum !== null && spec.minimum > spec.maximum) {
    details.push({ field: 'maximum', message: `must be at least the minimum, ${spec.minimum} (got ${spec.maximum})` });
  }
  if (spec.default === null || details.length > before) {
    return spec;
  }
  const checked = checkValue({ type, spec }, spec.default);
  if (!checked.ok) {
    details.push({ field: 'default', message: checked.problem });
    return spec;
  }
  return { ...spec, default: checked.value };
}

/** `{ property: { from, to } }` for every property of the definition that differs. */
function specChanges(before: CustomFieldSpec | null, after: CustomFieldSpec | null) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of SPEC_KEYS) {
    const from = before?.[key] ?? null;
    const to = after?.[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      changes[key] = { from, to };
    }
  }
  return changes;
}

/** Whether a new spec could refuse values the old one allowed. */
function narrows(before: CustomFieldSpec, after: CustomFieldSpec): boolean {
  return (['choices', 'pattern', 'max_length', 'minimum', 'maximum'] as const).some(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
}

/** A 409 naming up to NAMED_SERVERS servers, and how many more there are. */
function valuesConflict(name: string, named: ErrorDetail[], total: number) {
  return appError('CUSTOM_FIELD_VALUES_CONFLICT', {
    details: named.map((detail) => ({ ...detail, field: `custom_fields.${name}` })),
    truncated: total > named.length ? total - named.length : undefined,
  });
}

export interface CustomFieldsServiceOptions {
  /** Where a deleted field's index that could not be dropped is reported. */
  logger?: FastifyBaseLogger;
}

export function createCustomFieldsService(
  db: Kysely<Database>,
  { logger }: CustomFieldsServiceOptions = {},
): CustomFieldsService {
  async function find(trx: Kysely<Database>, name: string): Promise<Definition> {
    const definition = await repository.findDefinition(trx, name);
    if (definition === undefined) {
      throw appError('CUSTOM_FIELD_NOT_FOUND', [{ field: 'name', message: `no custom field is named "${name}"` }]);
    }
    return definition;
  }

  /**
   * Rewrites the values of the servers `having` a value of the field (or not), a page at a time, as a
   * write of each server: a new version, and a history entry by `actor` with the server as written
   * (from the rewrite's own statement, not read again). Returns how many changed.
   */
  async function rewriteServers(
    trx: Kysely<Database>,
    definition: Definition,
    having: boolean,
    rewrite: (values: Record<string, CustomValue>) => Record<string, CustomValue>,
    actor: string,
  ): Promise<number> {
    const at = new Date().toISOString();
    const field = `custom_fields.${definition.name}`;
    let afterId = 0;
    let changed = 0;
    for (let page = 0; ; page += 1) {
      await turnEvery(page, 1);
      const rows = await repository.serversPage(trx, definition, having, afterId, PAGE);
      if (rows.length === 0) {
        return changed;
      }
      const rewritten = rows.map((row) => ({ id: row.id, custom_fields: sortedValues(rewrite(row.custom_fields)) }));
      const written = new Map(
        (await repository.setServersValues(trx, rewritten, at)).map((server) => [server.id, server]),
      );
      await insertChanges(
        trx,
        rows.map((row, i) => {
          const server = written.get(row.id);
          if (server === undefined) {
            // The write lock is held since the page was read: nothing else can have deleted it.
            throw new Error(`server ${row.id} vanished under a custom field's rewrite`);
          }
          return {
            server_id: row.id,
            action: 'update' as const,
            at,
            actor,
            changes: JSON.stringify({
              [field]: {
                from: row.custom_fields[definition.name] ?? null,
                to: rewritten[i]?.custom_fields[definition.name] ?? null,
              },
            }),
            server: serverState(toServer(server)),
          };
        }),
      );
      changed += rows.length;
      afterId = rows[rows.length - 1]?.id ?? afterId;
    }
  }

  /** Gives every server without a value the default (a required field's), or refuses with a 409. */
  async function fillRequired(trx: Kysely<Database>, definition: Definition, actor: string): Promise<void> {
    const missing = await repository.countServers(trx, definition, false);
    if (missing === 0) {
      return;
    }
    const fallback = definition.spec.default;
    if (fallback === null) {
      const rows = await repository.serversPage(trx, definition, false, 0, NAMED_SERVERS);
      throw valuesConflict(
        definition.name,
        rows.map((row) => ({
          field: '',
          message: `server ${row.id} (${row.hostname}) has no value, and the field is required without a default`,
        })),
        missing,
      );
    }
    await rewriteServers(trx, definition, false, (values) => ({ ...values, [definition.name]: fallback }), actor);
  }

  /** Refuses (409) a spec that some server's value breaks, naming the first NAMED_SERVERS. */
  async function assertValuesFit(trx: Kysely<Database>, definition: Definition): Promise<void> {
    const named: ErrorDetail[] = [];
    let total = 0;
    let afterId = 0;
    for (let page = 0; ; page += 1) {
      await turnEvery(page, 1);
      const rows = await repository.serversPage(trx, definition, true, afterId, PAGE);
      if (rows.length === 0) {
        break;
      }
      for (const row of rows) {
        const checked = checkValue(definition, row.custom_fields[definition.name]);
        if (!checked.ok) {
          total += 1;
          if (named.length < NAMED_SERVERS) {
            named.push({ field: '', message: `server ${row.id} (${row.hostname}): ${checked.problem}` });
          }
        }
      }
      afterId = rows[rows.length - 1]?.id ?? afterId;
    }
    if (total > 0) {
      throw valuesConflict(definition.name, named, total);
    }
  }

  return {
    async list() {
      return (await repository.listDefinitions(db)).map(toCustomField);
    },

    async get(name) {
      return toCustomField(await find(db, name));
    },

    async create(body, actor) {
      const { name, type, ...given } = body;
      const details: ErrorDetail[] = [];
      const spec = checkedSpec(type, { ...NO_SPEC, ...given }, details);
      if (details.length > 0) {
        throw appError('VALIDATION_FAILED', details);
      }
      return writeTransaction(db, async (trx) => {
        if ((await repository.findDefinition(trx, name)) !== undefined) {
          throw appError('CUSTOM_FIELD_CONFLICT', [{ field: 'name', message: `${name} is defined already` }]);
        }
        if ((await repository.countDefinitions(trx)) >= MAX_CUSTOM_FIELDS) {
          throw appError('CUSTOM_FIELD_LIMIT');
        }
        const at = new Date().toISOString();
        const definition = await repository.insertDefinition(trx, { name, type, spec, at });
        if (spec.required) {
          const servers = await countAllServers(trx);
          if (servers > 0 && spec.default === null) {
            throw appError('CUSTOM_FIELD_VALUES_CONFLICT', [
              {
                field: 'required',
                message:
                  `${servers} servers would have no value: give a default, or define the field as optional, ` +
                  'set the values, then make it required',
              },
            ]);
          }
        }
        // Ids are never given twice (an identity on PostgreSQL, AUTOINCREMENT on SQLite), but an index
        // of this name, from a restored database or by hand, must not make the definition fail.
        await dropValueIndex(trx, definition);
        await createValueIndex(trx, definition);
        if (spec.required) {
          await fillRequired(trx, definition, actor);
        }
        await repository.insertDefinitionChange(trx, {
          name,
          action: 'create',
          at,
          actor,
          changes: JSON.stringify({ type: { from: null, to: type }, ...specChanges(null, spec) }),
        });
        return toCustomField(definition);
      });
    },

    async update(name, patch, actor) {
      return writeTransaction(db, async (trx) => {
        const current = await find(trx, name);
        const given = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
        const details: ErrorDetail[] = [];
        const spec = checkedSpec(current.type, { ...current.spec, ...given }, details, current.spec.pattern);
        if (details.length > 0) {
          throw appError('VALIDATION_FAILED', details);
        }
        const changes = specChanges(current.spec, spec);
        if (Object.keys(changes).length === 0) {
          return toCustomField(current);
        }
        const next: Definition = { ...current, spec };
        if (narrows(current.spec, spec)) {
          await assertValuesFit(trx, next);
        }
        if (spec.required) {
          await fillRequired(trx, next, actor);
        }
        const at = new Date().toISOString();
        const updated = await repository.updateDefinition(trx, current.id, spec, at);
        await repository.insertDefinitionChange(trx, {
          name,
          action: 'update',
          at,
          actor,
          changes: JSON.stringify(changes),
        });
        return toCustomField(updated);
      });
    },

    async remove(name, force, actor) {
      const sqlite = isSqlite(db);
      const definition = await writeTransaction(db, async (trx) => {
        const definition = await find(trx, name);
        const holding = await repository.countServers(trx, definition, true);
        if (holding > 0 && !force) {
          throw appError('CUSTOM_FIELD_IN_USE', [
            {
              field: 'force',
              message: `${holding} servers hold a value of ${name}: delete with ?force=true to remove them`,
            },
          ]);
        }
        const removed =
          holding === 0
            ? 0
            : await rewriteServers(
                trx,
                definition,
                true,
                (values) => Object.fromEntries(Object.entries(values).filter(([key]) => key !== name)),
                actor,
              );
        if (sqlite) {
          // On PostgreSQL, after the commit (custom-fields.indexes.ts).
          await dropValueIndex(trx, definition);
        }
        await repository.deleteDefinition(trx, definition.id);
        const at = new Date().toISOString();
        await repository.insertDefinitionChange(trx, {
          name,
          action: 'delete',
          at,
          actor,
          changes: JSON.stringify({
            type: { from: definition.type, to: null },
            ...specChanges(definition.spec, null),
            ...(removed > 0 ? { values_removed: { from: removed, to: 0 } } : {}),
          }),
        });
        return definition;
      });
      if (!sqlite) {
        await dropDeletedValueIndex(db, definition, logger);
      }
    },

    async changes(after, limit) {
      const rows = await repository.listDefinitionChanges(db, after, limit);
      return {
        changes: rows.map((row) => ({
          seq: row.seq,
          name: row.name,
          action: row.action,
          at: row.at,
          actor: row.actor,
          changes: JSON.parse(row.changes) as Record<string, { from: unknown; to: unknown }>,
        })),
      };
    },

    definitions() {
      return repository.listDefinitions(db);
    },

    definitionsVersion() {
      return repository.lastDefinitionChange(db);
    },
  };
}
