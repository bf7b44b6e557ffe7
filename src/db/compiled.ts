import {
  type CompiledQuery,
  type Compilable,
  type Kysely,
  PostgresAdapter,
  type QueryResult,
  createQueryId,
} from 'kysely';
import { registerPreparedStatement } from './prepared.js';
import type { Database } from './types.js';

/** Stand-ins for the parameters while the query is compiled: values no caller could pass. */
const placeholder = (index: number) => `\u0000parameter-${index}\u0000`;

/**
 * A query of fixed shape for a hot path, built and compiled once per database instead of on every
 * request (Kysely builds a tree and compiles it each time, a tenth of GET /servers/{id}'s CPU), then
 * run with each call's values. `build` receives one stand-in per parameter and must use each once, in
 * order, as a bound value (checked at the first compilation, so that a change of shape fails loudly).
 * The SQL depends on the dialect: it is kept per database (its adapter, which its transactions and
 * its withPlugin copies share). Each run is a query of its own for the plugins that observe queries
 * (the metrics' timer: src/plugins/metrics.ts), which see it as compiled the first time; a plugin
 * that rewrites queries would not apply to it.
 *
 * On PostgreSQL the SQL is also registered as a named prepared statement (src/db/prepared.ts), which
 * each connection parses once and runs with the values bound: a definition is made once, at module
 * level, so that the statements a connection keeps stay as few as the definitions. PostgreSQL plans such
 * a statement for its values the first five runs, then may keep a generic plan when that costs no more:
 * a fixed-shape query whose best plan depends on its values (a skewed column) is not one for this.
 */
export function compiledQuery<P extends unknown[], R>(
  arity: P['length'],
  build: (db: Kysely<Database>, ...parameters: string[]) => Compilable<R>,
): (db: Kysely<Database>, ...parameters: P) => Promise<QueryResult<R>> {
  const compiled = new WeakMap<object, CompiledQuery<R>>();
  const stand = Array.from({ length: arity }, (_, i) => placeholder(i));
  return async (db, ...parameters) => {
    // The adapter is one object per database, shared by its transactions.
    const key = db.getExecutor().adapter;
    let query = compiled.get(key);
    if (query === undefined) {
      query = build(db, ...stand).compile();
      if (query.parameters.length !== arity || query.parameters.some((value, i) => value !== stand[i])) {
        throw new Error(`a compiled query must bind each of its ${arity} parameters once, in order: ${query.sql}`);
      }
      if (key instanceof PostgresAdapter) {
        registerPreparedStatement(query.sql);
      }
      compiled.set(key, query);
    }
    // A new id, and transformQuery for it, so that observers time this run, not only the first.
    const queryId = createQueryId();
    const executor = db.getExecutor();
    executor.transformQuery(query.query, queryId);
    return db.executeQuery<R>({ ...query, parameters, queryId });
  };
}
