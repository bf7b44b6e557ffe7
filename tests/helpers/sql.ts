import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { Database } from '../../src/db/types.js';

/**
 * A Kysely of each database the app runs on that compiles queries without a connection: what the
 * app would send to SQLite and to PostgreSQL, whichever database the run has.
 */
export const compilers: Readonly<Record<'sqlite' | 'postgres', Kysely<Database>>> = {
  sqlite: new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }),
  postgres: new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
};

const CLAUSE = /^(?:from|where|group by|having|order by|limit|offset|returning)\b/;

/**
 * Kysely's one-line SQL with each clause (from, where, order by ...) on a line of its own, indented by
 * how deep in parentheses it sits, so that a subquery's clauses stand under it. Quoted names and
 * strings are left as they are.
 */
export function formatSql(text: string): string {
  let out = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (quote !== null) {
      // A doubled quote inside a string ends it and opens the next: the same state two characters on.
      if (c === quote) {
        quote = null;
      }
      out += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '(') {
      depth += 1;
    } else if (c === ')') {
      depth -= 1;
    } else if (c === ' ' && CLAUSE.test(text.slice(i + 1))) {
      out += `\n${'  '.repeat(depth)}`;
      continue;
    }
    out += c;
  }
  return out;
}

/** A parameter as SQL would write it: 'text' (quotes doubled), x'hex' for bytes, bare numbers. */
function literal(value: unknown): string {
  if (Buffer.isBuffer(value)) {
    return `x'${value.toString('hex')}'`;
  }
  if (typeof value === 'string') {
    return `'${value.replaceAll("'", "''")}'`;
  }
  return value === null ? 'null' : JSON.stringify(value);
}

/** A compiled query as review reads it: the SQL, clause by clause, then each parameter by position. */
export function renderQuery({ sql, parameters }: Pick<CompiledQuery, 'sql' | 'parameters'>): string {
  const lines = parameters.map((value, i) => `-- ${i + 1}: ${literal(value)}`);
  return `${formatSql(sql)};\n${lines.length === 0 ? '-- no parameters' : lines.join('\n')}\n`;
}
