import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: no imports from the application.

/**
 * On PostgreSQL, servers' custom values become a `jsonb` column instead of JSON text. Each field's
 * index and every filter read the values through `->>`: on text that meant parsing the whole JSON
 * document again for every row an index build or a filter looked at, a cost the planner counts as
 * nearly nothing, so it walked the primary key through a selective filter rather than read the
 * field's index. `jsonb` is parsed once, when it is written. The indexes are made again on the new
 * expressions (each field's type says how its values compare). SQLite keeps JSON text.
 */

type Kind = 'text' | 'numeric' | 'boolean';

const KINDS: Record<string, Kind> = {
  string: 'text',
  url: 'text',
  enum: 'text',
  date: 'text',
  datetime: 'text',
  integer: 'numeric',
  number: 'numeric',
  boolean: 'boolean',
};

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** The index of a definition: (missing, value, id), with the value read from `source` (jsonb). */
function indexColumns(source: string, name: string, kind: Kind): string {
  if (!NAME.test(name)) {
    throw new Error(`not a custom field's name: ${JSON.stringify(name)}`);
  }
  const value = `(${source} ->> '${name}')`;
  const missing = `(case when ${value} is null then 1 else 0 end)`;
  const compared =
    kind === 'text'
      ? `(coalesce(${value}, '') collate "C")`
      : kind === 'numeric'
        ? `coalesce((${value})::numeric, 0)`
        : `(case ${value} when 'true' then 1 else 0 end)`;
  return `${missing}, ${compared}, id`;
}

async function definitions(db: Kysely<any>): Promise<{ id: number; name: string; type: string }[]> {
  return db.selectFrom('custom_fields').select(['id', 'name', 'type']).orderBy('id').execute();
}

async function rebuildIndexes(db: Kysely<any>, source: string): Promise<void> {
  for (const { id, name, type } of await definitions(db)) {
    const index = `servers_cf_${String(id)}_idx`;
    await sql`create index ${sql.id(index)} on servers (${sql.raw(indexColumns(source, name, KINDS[type] ?? 'text'))})`.execute(
      db,
    );
  }
}

async function dropIndexes(db: Kysely<any>): Promise<void> {
  for (const { id } of await definitions(db)) {
    await sql`drop index if exists ${sql.id(`servers_cf_${String(id)}_idx`)}`.execute(db);
  }
}

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) {
    return;
  }
  await dropIndexes(db);
  await sql`alter table servers
    alter column custom_fields drop default,
    alter column custom_fields type jsonb using custom_fields::jsonb,
    alter column custom_fields set default '{}'::jsonb`.execute(db);
  await rebuildIndexes(db, 'custom_fields');
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) {
    return;
  }
  await dropIndexes(db);
  await sql`alter table servers
    alter column custom_fields drop default,
    alter column custom_fields type text using custom_fields::text,
    alter column custom_fields set default '{}'`.execute(db);
  // As the text column held them: compact, keys in name order.
  await sql`update servers
    set custom_fields = (
      select '{' || string_agg(to_json(key)::text || ':' || value::text, ',' order by key collate "C") || '}'
      from jsonb_each(custom_fields::jsonb))
    where custom_fields <> '{}'`.execute(db);
  await rebuildIndexes(db, 'custom_fields::jsonb');
}
