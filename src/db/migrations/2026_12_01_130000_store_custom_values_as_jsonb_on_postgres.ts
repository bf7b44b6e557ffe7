import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this file must not import from the application.

/**
 * On PostgreSQL, servers' custom values become a `jsonb` column instead of JSON text. Each field's
 * index and every filter read the values through `->>`: on text that meant parsing the whole JSON
 * document again for every row an index build or a filter looked at, a cost the planner counts as
 * nearly nothing, so it walked the primary key through a selective filter rather than read the
 * field's index. `jsonb` is parsed once, when it is written. SQLite keeps JSON text: nothing to do.
 *
 * The fields' indexes (`servers_cf_<id>_idx`) are dropped first, every one of the schema, a deleted
 * field's left behind included: the type change would otherwise rebuild each of them on the old
 * expression, as part of the rewrite. Nothing makes them again later (the start only drops those of
 * deleted fields), so they are made here, one per definition, on the expressions the code filters
 * and sorts by. The previous revision's expressions (`custom_fields::jsonb ->> 'name'`) are the same
 * ones on a jsonb column, so it keeps reading through these indexes during a rollout.
 *
 * `ALTER COLUMN ... TYPE` rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, held
 * until the migration commits: reads and writes of servers wait for it (docs/custom-fields.md).
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

/** A definition's index columns: (no value, value, id), the value read from `source` (jsonb). */
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

async function createIndexes(db: Kysely<any>, source: string): Promise<void> {
  const definitions = await db.selectFrom('custom_fields').select(['id', 'name', 'type']).orderBy('id').execute();
  for (const { id, name, type } of definitions as { id: number; name: string; type: string }[]) {
    const columns = indexColumns(source, name, KINDS[type] ?? 'text');
    await sql`create index ${sql.id(`servers_cf_${String(id)}_idx`)} on servers (${sql.raw(columns)})`.execute(db);
  }
}

/** Drops every field's index on servers in the current schema (ids repeat from one schema to the next). */
async function dropIndexes(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ schema: string; name: string }>`
    select schemaname as schema, indexname as name from pg_indexes
    where schemaname = current_schema() and tablename = 'servers' and indexname like 'servers\\_cf\\_%'`.execute(db);
  for (const { schema, name } of rows) {
    await sql`drop index ${sql.id(schema, name)}`.execute(db);
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
  await createIndexes(db, 'custom_fields');
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
  // Back to the text the column held: compact, keys in name order (jsonb's own text puts a space
  // after each colon and comma and orders keys shortest first). A second pass, as a type change's
  // USING takes no subquery.
  await sql`update servers
    set custom_fields = (
      select '{' || string_agg(to_json(key)::text || ':' || value::text, ',' order by key collate "C") || '}'
      from jsonb_each(custom_fields::jsonb))
    where custom_fields <> '{}'`.execute(db);
  await createIndexes(db, 'custom_fields::jsonb');
}
