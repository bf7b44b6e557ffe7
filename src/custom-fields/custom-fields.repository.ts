import { type Kysely, sql } from 'kysely';
import { inChunks } from '../db/chunks.js';
import { isSqlite } from '../db/transaction.js';
import type { CustomFieldChangeRow, CustomFieldRow, Database, ServerRow } from '../db/types.js';
import { SERVER_COLUMNS } from '../servers/servers.repository.js';
import type { CustomFieldSpec, CustomFieldType, CustomValue } from './custom-fields.schemas.js';
import { missingExpression } from './custom-fields.sql.js';
import { type Definition, parseValues } from './custom-fields.values.js';

// Repositories take `db` first and never open a transaction: the service decides what runs atomically.

function toDefinition(row: CustomFieldRow): Definition {
  return {
    id: row.id,
    name: row.name,
    type: row.type as CustomFieldType,
    spec: JSON.parse(row.spec) as CustomFieldSpec,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The query of every definition, in the order they were made (the SQL snapshots show it). */
export function listDefinitionsQuery(db: Kysely<Database>) {
  return db.selectFrom('custom_fields').selectAll().orderBy('id');
}

/** Every definition, in the order they were made. */
export async function listDefinitions(db: Kysely<Database>): Promise<Definition[]> {
  return (await listDefinitionsQuery(db).execute()).map(toDefinition);
}

export async function findDefinition(db: Kysely<Database>, name: string): Promise<Definition | undefined> {
  const row = await db.selectFrom('custom_fields').selectAll().where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : toDefinition(row);
}

export async function countDefinitions(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('custom_fields')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

export async function insertDefinition(
  db: Kysely<Database>,
  definition: { name: string; type: CustomFieldType; spec: CustomFieldSpec; at: string },
): Promise<Definition> {
  const row = await db
    .insertInto('custom_fields')
    .values({
      name: definition.name,
      type: definition.type,
      spec: JSON.stringify(definition.spec),
      created_at: definition.at,
      updated_at: definition.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDefinition(row);
}

export async function updateDefinition(
  db: Kysely<Database>,
  id: number,
  spec: CustomFieldSpec,
  at: string,
): Promise<Definition> {
  const row = await db
    .updateTable('custom_fields')
    .set({ spec: JSON.stringify(spec), updated_at: at })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toDefinition(row);
}

export async function deleteDefinition(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('custom_fields').where('id', '=', id).execute();
}

export async function insertDefinitionChange(
  db: Kysely<Database>,
  change: Omit<CustomFieldChangeRow, 'seq'>,
): Promise<void> {
  await db.insertInto('custom_field_changes').values(change).execute();
}

/** The seq of the last change of a definition (0 before any): it moves with every change of one. */
export async function lastDefinitionChange(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('custom_field_changes')
    .select((eb) => eb.fn.max<number | string | null>('seq').as('seq'))
    .executeTakeFirst();
  // A number on both databases (an integer column); a driver that gave it as text would be read alike.
  return Number(row?.seq ?? 0);
}

export function listDefinitionChanges(
  db: Kysely<Database>,
  after: number,
  limit: number,
): Promise<CustomFieldChangeRow[]> {
  return db
    .selectFrom('custom_field_changes')
    .selectAll()
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** How many servers have a value for the field (`having`), or have none, by its index. */
export async function countServers(db: Kysely<Database>, definition: Definition, having: boolean): Promise<number> {
  const { count } = await db
    .selectFrom('servers')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where(missingExpression(db, definition), '=', having ? 0 : 1)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** A server as a definition's checks and rewrites see it. */
export interface ServerValuesRow {
  id: number;
  hostname: string;
  version: number;
  custom_fields: Record<string, CustomValue>;
}

/**
 * Up to `limit` servers after id `afterId` that have a value for the field (`having`) or none, in id
 * order: a walk over them a page at a time, by the field's index.
 */
export async function serversPage(
  db: Kysely<Database>,
  definition: Definition,
  having: boolean,
  afterId: number,
  limit: number,
): Promise<ServerValuesRow[]> {
  const rows = await db
    .selectFrom('servers')
    .select(['id', 'hostname', 'version', 'custom_fields'])
    .where(missingExpression(db, definition), '=', having ? 0 : 1)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, custom_fields: parseValues(row.custom_fields) }));
}

/**
 * Gives servers new custom values (in the stored form: keys in name order), with a new version and
 * updated_at, as a write of the server does: one statement per chunk. Returns the servers as written
 * (in no particular order), for their history.
 */
export async function setServersValues(
  db: Kysely<Database>,
  rows: readonly { id: number; custom_fields: Record<string, CustomValue> }[],
  at: string,
): Promise<ServerRow[]> {
  // Qualified: PostgreSQL would return the columns of `v` too, and SQLite refuses `servers.*` here.
  const returned = sql.join(SERVER_COLUMNS.map((column) => sql.ref(`servers.${column}`)));
  return inChunks(rows, 200, async (chunk) => {
    const values = sql.join(
      chunk.map((row) => sql`(cast(${row.id} as integer), ${JSON.stringify(row.custom_fields)})`),
    );
    // On PostgreSQL the values list's column is text, which a jsonb column takes only cast; a text
    // column takes the jsonb back as its text (keys as jsonb orders them, which parseValues undoes),
    // so the one statement suits the column before and after it became jsonb.
    const custom = isSqlite(db) ? sql`v.custom_fields` : sql`cast(v.custom_fields as jsonb)`;
    const { rows: written } = await sql<ServerRow>`
      update servers set custom_fields = ${custom}, version = version + 1, updated_at = ${at}
      from (select column1 as id, column2 as custom_fields from (values ${values}) as rows) as v
      where servers.id = v.id
      returning ${returned}`.execute(db);
    return written;
  });
}
