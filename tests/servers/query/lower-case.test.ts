import { describe, expect, it } from 'vitest';
import { SQLITE_LOWER, tableLower } from '../../../src/servers/query/lower-case.js';
import { NOTES } from '../../helpers/varied-inventory.js';

// The folds of databases this suite does not run on: each is a table of what lower() changes, as
// databaseLower reads it from PostgreSQL (match.test.ts compares the one it runs on with lower()).

/** Every character JavaScript lowers, and into what, each on its own: an ICU database's table. */
function javascriptTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (let code = 1; code <= 0x1ffff; code++) {
    if (code < 0xd800 || code > 0xdfff) {
      const character = String.fromCodePoint(code);
      const lowered = character.toLowerCase();
      if (lowered !== character) {
        table.set(character, lowered);
      }
    }
  }
  return table;
}

const TEXTS = [...NOTES, 'ΑΣ.Β ΟΔΟΣ Σ ΣΑ', 'ὈΔΥΣΣΕΎΣ', 'ΑΣ\u0301', 'İI', 'MiXeD ascii', ''];

describe('tableLower', () => {
  it('with final sigma, folds as an ICU database and JavaScript do (context included)', () => {
    const icu = tableLower(javascriptTable(), true);
    for (const text of TEXTS) {
      expect(icu(text), text).toBe(text.toLowerCase());
    }
  });

  it('without, lowers every Σ to σ, as a libc locale does', () => {
    const libc = tableLower(new Map([...javascriptTable()].map(([c, l]) => [c, c === 'İ' ? 'i' : l])), false);
    expect(libc('ΟΔΟΣ ΑΣ.Β İ')).toBe('οδοσ ασ.β i');
    expect(libc('ΟΔΟΣ ΑΣ.Β İ')).not.toBe(SQLITE_LOWER.text('ΟΔΟΣ ΑΣ.Β İ'));
  });

  it('folds ASCII only where the table holds ASCII only, as a "C" database does', () => {
    const ascii = new Map(
      Array.from({ length: 26 }, (_, i) => [String.fromCharCode(65 + i), String.fromCharCode(97 + i)]),
    );
    const c = tableLower(ascii, false);
    expect(c('ÀBÇ Équipe ΣΑ WEB')).toBe('ÀbÇ Équipe ΣΑ web');
    expect(tableLower(new Map(), false)('ABC')).toBe('ABC');
  });

  it('follows the table in ASCII too, where it differs from JavaScript (a Turkish I)', () => {
    const turkish = tableLower(new Map([...javascriptTable(), ['I', 'ı']]), false);
    expect(turkish('WIKI')).toBe('wıkı');
  });
});

describe('SQLITE_LOWER', () => {
  it("is the app's SQLite lower(): JavaScript's, in every collation", () => {
    for (const text of TEXTS) {
      expect(SQLITE_LOWER.text(text)).toBe(text.toLowerCase());
      expect(SQLITE_LOWER.binary(text)).toBe(text.toLowerCase());
    }
  });
});
