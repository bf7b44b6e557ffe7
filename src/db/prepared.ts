import { createHash } from 'node:crypto';

/**
 * The most SQL texts that run as named prepared statements on PostgreSQL. Each connection keeps the
 * statements it has run (node-postgres parses a name once per connection), so a connection holds at
 * most one per registered text. compiledQuery (src/db/compiled.ts) registers one text per definition,
 * a module-level constant, so the number is that of its definitions (GET /servers/{id}'s query and
 * the default list page's);
 * the cap turns a mistake, such as a definition made per request, into texts that run unnamed instead
 * of a set of statements that grows on every connection without limit.
 */
export const PREPARED_STATEMENTS_MAX = 64;

/** Registered SQL texts, by text, and their names, taken. */
const names = new Map<string, string>();
const taken = new Set<string>();

/** A name PostgreSQL accepts and shows in pg_prepared_statements: the text's hash, so each process picks the same. */
function nameOf(text: string): string {
  return `inv_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/**
 * Makes `text` run as a named prepared statement from now on, and returns its name; undefined when
 * PREPARED_STATEMENTS_MAX texts are registered already (the text then runs unnamed, parsed and planned
 * each time). Registering a text again returns the same name.
 */
export function registerPreparedStatement(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined) {
    return known;
  }
  const name = nameOf(text);
  // node-postgres refuses a name already parsed for another text: a collision of 64-bit hashes runs unnamed.
  if (names.size >= PREPARED_STATEMENTS_MAX || taken.has(name)) {
    return undefined;
  }
  names.set(text, name);
  taken.add(name);
  return name;
}

/** The name `text` runs under, if it is registered (see registerPreparedStatement). */
export function preparedStatementName(text: string): string | undefined {
  return names.get(text);
}
