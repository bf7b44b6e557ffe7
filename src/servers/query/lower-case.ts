import { type Kysely, sql } from 'kysely';
import { sqliteLower } from '../../db/connect.js';
import { isSqlite } from '../../db/transaction.js';
import type { Database } from '../../db/types.js';

// How the database's lower() folds case, so that `q` can be matched in memory exactly as the list
// matches it in SQL (query/sql.ts: lower() of the host name, of the notes and of the pattern).
//
// - SQLite: the app's own lower() (src/db/connect.ts), JavaScript's toLowerCase: full Unicode case
//   mapping, with context (a final Σ lowers to ς) and one character to two (İ to i̇).
// - PostgreSQL: lower() of text in the database's collation (the pattern, the notes) depends on its
//   locale provider and version: a libc UTF-8 locale maps each character on its own as its C library's
//   Unicode tables say (glibc 2.36 knows nothing of Unicode 16's new letters); a "C" locale folds
//   ASCII only; an ICU locale maps with context. So the database is asked, once (databaseLower): which
//   characters its lower() changes, into what, and whether a final Σ lowers to ς. The host name's
//   column has the binary collation "C" (migration use_binary_collation_on_postgres), where lower()
//   folds ASCII only.
// Not reproduced: the contextual rules of language tailorings (an ICU locale for Lithuanian, Turkish
// or Azeri, where I followed by a combining dot lowers differently).

/** A database's lower(), in memory. */
export interface DatabaseLower {
  /** lower() of text in the database's collation: the query's text and the notes. */
  readonly text: (value: string) => string;
  /** lower() of a column in binary collation: the host name. */
  readonly binary: (value: string) => string;
}

/** SQLite's lower(), which the app defines (src/db/connect.ts), in every collation. */
export const SQLITE_LOWER: DatabaseLower = { text: sqliteLower, binary: sqliteLower };

const ASCII_UPPER = /[A-Z]/g;
const ASCII = /^\p{ASCII}*$/u;

/** PostgreSQL's lower() in the collation "C": ASCII letters only. */
function asciiLower(value: string): string {
  return value.replace(ASCII_UPPER, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** A Σ that Unicode's Final_Sigma condition lowers to ς: after a cased letter, and not before one. */
const FINAL_SIGMA = /(?<=\p{Cased}\p{Case_Ignorable}*)\u03a3(?!\p{Case_Ignorable}*\p{Cased})/gu;

/**
 * A lower() that maps each character by `table` (the characters it changes, and into what), and a
 * final Σ to ς where `finalSigma`. A character's mapping is looked up by its code: some nanoseconds
 * a character, where a regular expression of the table's characters took ten times as long.
 */
export function tableLower(table: ReadonlyMap<string, string>, finalSigma: boolean): (value: string) => string {
  const bmp = new Array<string | undefined>(0x10000).fill(undefined);
  const astral = new Map<number, string>();
  for (const [character, lowered] of table) {
    const code = character.codePointAt(0) ?? 0;
    if (code > 0xffff) {
      astral.set(code, lowered);
    } else {
      bmp[code] = lowered;
    }
  }
  // Most text is ASCII, and most databases fold ASCII as JavaScript does: then the native fold serves.
  const plainAscii = bmp
    .slice(0, 128)
    .every((lowered, code) => (lowered ?? String.fromCharCode(code)) === String.fromCharCode(code).toLowerCase());
  return (value) => {
    const text = finalSigma && value.includes('\u03a3') ? value.replace(FINAL_SIGMA, '\u03c2') : value;
    if (plainAscii && ASCII.test(text)) {
      return text.toLowerCase();
    }
    let folded = '';
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      const code = unit >= 0xd800 && unit <= 0xdbff ? (text.codePointAt(i) ?? unit) : unit;
      const lowered = code > 0xffff ? astral.get(code) : bmp[code];
      const end = code > 0xffff ? i + 2 : i + 1;
      if (lowered !== undefined) {
        folded += text.slice(start, i) + lowered;
        start = end;
      }
      i = end - 1;
    }
    return start === 0 ? text : folded + text.slice(start);
  };
}

/**
 * The planes Unicode has cased letters in, or will: the Basic and Supplementary Multilingual Planes.
 * The others hold ideographs (2, 3), tags and selectors (14) and private use (15, 16).
 */
const LAST_CASED_CODE_POINT = 0x1ffff;

/**
 * The lower() of this database, asked once: on PostgreSQL, one query of some tenths of a second that
 * lowers every character of the planes with cased letters and returns those it changes; nothing on
 * SQLite, whose lower() is the app's own.
 */
export async function databaseLower(db: Kysely<Database>): Promise<DatabaseLower> {
  if (isSqlite(db)) {
    return SQLITE_LOWER;
  }
  const { rows } = await sql<{ characters: string[] | null; lowered: string[] | null; sigma: string }>`
    select array_agg(chr(g) order by g) as characters, array_agg(lower(chr(g)) order by g) as lowered,
      lower(${'\u0391\u03a3'}) as sigma
    from generate_series(1, ${LAST_CASED_CODE_POINT}) as g
    where (g < 55296 or g > 57343) and lower(chr(g)) <> chr(g)
  `.execute(db);
  const [row] = rows;
  const characters = row?.characters ?? [];
  const lowered = row?.lowered ?? [];
  const table = new Map(characters.map((c, i) => [c, lowered[i] ?? c]));
  return { text: tableLower(table, row?.sigma === '\u03b1\u03c2'), binary: asciiLower };
}
