import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LABEL_LENGTH, MAX_RAW_LABEL_LENGTH, checkLabel } from '../../src/servers/labels.js';
import { mixedScripts } from '../../src/servers/mixed-scripts.js';
import { LABEL_PATTERN } from '../../src/servers/server-fields.schemas.js';
import { UNICODE_SCRIPTS } from '../../src/servers/unicode-scripts.js';

const NFD_CAFE = 'cafe\u0301';
const NFC_CAFE = 'caf\u00e9';

function problemOf(raw: string): string | undefined {
  const checked = checkLabel(raw);
  return checked.ok ? undefined : checked.problem;
}

describe('checkLabel', () => {
  it.each([
    ['production', 'production'],
    ['lab 2', 'lab 2'],
    ['2024', '2024'],
    [NFD_CAFE, NFC_CAFE],
    [NFC_CAFE, NFC_CAFE],
    // U+212B ANGSTROM SIGN is canonically U+00C5.
    ['\u212Brhus', '\u00C5rhus'],
    ['Zürich — Hall B', 'Zürich — Hall B'],
    ['продакшн', 'продакшн'],
    ['本番', '本番'],
    ['東京-1', '東京-1'],
    ['Ελλάδα', 'Ελλάδα'],
    ['प्रोडक्शन', 'प्रोडक्शन'],
    // Japanese, Chinese and Korean with Latin: the three combinations UTS #39 allows.
    ['東京 ひらがな カタカナ dc1', '東京 ひらがな カタカナ dc1'],
    ['台北 ㄅㄆ dc1', '台北 ㄅㄆ dc1'],
    ['서울 漢字 dc1', '서울 漢字 dc1'],
    // Characters of several scripts (Script_Extensions) fit with any of them: U+0660 is Arabic or Thaana.
    ['\u0660\u0661 مرکز', '\u0660\u0661 مرکز'],
    ['\u0660\u0661 ހަރު', '\u0660\u0661 ހަރު'],
  ])('accepts %j as %j', (raw, stored) => {
    expect(checkLabel(raw)).toStrictEqual({ ok: true, value: stored });
  });

  it.each([
    ['prod\u3164', 'contains an invisible character U+3164: remove it'],
    ['prod\uFE0F', 'contains an invisible character U+FE0F: remove it'],
    ['pro\u200Bd', 'contains an invisible character U+200B: remove it'],
    ['pro\u200Dd', 'contains an invisible character U+200D: remove it'],
    ['pro\u00ADd', 'contains an invisible character U+00AD: remove it'],
    ['pro\u115Fd', 'contains an invisible character U+115F: remove it'],
    ['pro\u2060d', 'contains an invisible character U+2060: remove it'],
    ['pro\u034Fd', 'contains an invisible character U+034F: remove it'],
    ['pro\u{E0100}d', 'contains an invisible character U+E0100: remove it'],
    ['lab\u00A02', 'contains the white-space character U+00A0: use an ordinary space (U+0020)'],
    ['lab\u20002', 'contains the white-space character U+2000: use an ordinary space (U+0020)'],
    ['lab\u200A2', 'contains the white-space character U+200A: use an ordinary space (U+0020)'],
    ['lab\u202F2', 'contains the white-space character U+202F: use an ordinary space (U+0020)'],
    ['lab\u30002', 'contains the white-space character U+3000: use an ordinary space (U+0020)'],
    ['lab\u16802', 'contains the white-space character U+1680: use an ordinary space (U+0020)'],
    ['lab\u20282', 'contains the white-space character U+2028: use an ordinary space (U+0020)'],
    ['lab  2', 'contains two spaces in a row: use one'],
    ['lab 2 ', 'ends with a space: remove it'],
    ['eu,west', 'contains a comma: remove it (commas separate the values of a filter)'],
    ['bell\u0007', 'contains a control, format, private-use or unassigned character U+0007: remove it'],
    ['tab\there', 'contains the white-space character U+0009: use an ordinary space (U+0020)'],
    ['private\uE000', 'contains a control, format, private-use or unassigned character U+E000: remove it'],
    ['lone\uD800', 'contains a control, format, private-use or unassigned character U+D800: remove it'],
    [' prod', 'must start with a letter or a digit'],
    ['(none)', 'must start with a letter or a digit'],
    ['\u0301prod', 'must start with a letter or a digit'],
    ['', 'must not be empty'],
    ['x'.repeat(MAX_LABEL_LENGTH + 1), 'is 65 characters long in NFC: shorten it to at most 64'],
    // U+0958 is excluded from composition: its NFC form is two code points.
    ['\u0958'.repeat(MAX_LABEL_LENGTH), 'is 128 characters long in NFC: shorten it to at most 64'],
    ['\uFF57\uFF45\uFF42', 'contains U+FF57 "\uFF57", a compatibility form of "w": write "w" instead'],
    ['\uFB01le', 'contains U+FB01 "\uFB01", a compatibility form of "fi": write "fi" instead'],
    ['dc\u00B2', 'contains U+00B2 "\u00B2", a compatibility form of "2": write "2" instead'],
    ['\uFF83\uFF7D\uFF84', 'contains U+FF83 "\uFF83", a compatibility form of "\u30C6": write "\u30C6" instead'],
    ['pr\u043Eduction', 'mixes scripts (Latin and Cyrillic): write it in one script'],
    ['\u0440roduction', 'mixes scripts (Cyrillic and Latin): write it in one script'],
    ['ΑΒΓ-abc', 'mixes scripts (Greek and Latin): write it in one script'],
    ['\u13AAmazon', 'mixes scripts (Cherokee and Latin): write it in one script'],
    ['prodक्शन', 'mixes scripts (Latin and Devanagari): write it in one script'],
    // Latin with Han is allowed; the Cyrillic letter is what is named.
    ['東京 abc\u0431', 'mixes scripts (Han and Cyrillic): write it in one script'],
    ['ひらがな 한국', 'mixes scripts (Hiragana and Hangul): write it in one script'],
    // U+0660 is Arabic or Thaana; the Thaana letters rule Arabic out, and Latin fits neither.
    ['\u0660 ހަރު abc', 'mixes scripts (Thaana and Latin): write it in one script'],
  ])('refuses %j: %s', (raw, problem) => {
    expect(checkLabel(raw)).toStrictEqual({ ok: false, problem });
  });

  it('counts the length in code points of the NFC form', () => {
    // 128 code points as sent, 64 once composed.
    expect(checkLabel(NFD_CAFE.slice(3).repeat(MAX_LABEL_LENGTH))).toStrictEqual({
      ok: true,
      value: '\u00e9'.repeat(MAX_LABEL_LENGTH),
    });
    // 128 UTF-16 units, 64 code points.
    expect(checkLabel('\u{20000}'.repeat(MAX_LABEL_LENGTH)).ok).toBe(true);
    expect(problemOf('\u{20000}'.repeat(MAX_LABEL_LENGTH + 1))).toBe(
      'is 65 characters long in NFC: shorten it to at most 64',
    );
  });

  it('admits as sent anything whose NFC form is short enough: no character decomposes into more than 4', () => {
    let longest = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp < 0xd800 || cp > 0xdfff) {
        longest = Math.max(longest, Array.from(String.fromCodePoint(cp).normalize('NFD')).length);
      }
    }
    expect(longest * MAX_LABEL_LENGTH).toBe(MAX_RAW_LABEL_LENGTH);
  });
});

/** Characters worth mixing: letters of scripts that allow or refuse combining, and the multi-script kind. */
const PIECES = [
  ...Array.from('abcxyzABC'),
  ...Array.from('абвгдеАБВ'),
  ...Array.from('αβγδΑΒ'),
  ...Array.from('漢字東京'),
  ...Array.from('ひらがな'),
  ...Array.from('カタカナ'),
  ...Array.from('한국서울'),
  ...Array.from('ㄅㄆㄇ'),
  ...Array.from('مرکز'),
  ...Array.from('ހަރު'),
  ...Array.from('שלום'),
  ...Array.from('प्रो'),
  ...Array.from('ꀀꀁ'), // Yi, which U+3001 below is also of
  ...Array.from('0123456789'),
  ' ',
  '-',
  '.',
  '_',
  '\u0301', // COMBINING ACUTE ACCENT: Inherited, but its Script_Extensions list Latin, Greek, Cyrillic...
  '\u20DD', // COMBINING ENCLOSING CIRCLE: Inherited, of every script
  '\u0660', // ARABIC-INDIC DIGIT ZERO: Arabic, Thaana, Yezidi
  '\u3001', // IDEOGRAPHIC COMMA: Bopomofo, Hangul, Han, Hiragana, Katakana, Yi
  '\u30FC', // KATAKANA-HIRAGANA PROLONGED SOUND MARK: Hiragana, Katakana
  '\u0964', // DEVANAGARI DANDA: Devanagari, Bengali and a dozen more
  '\u3005', // IDEOGRAPHIC ITERATION MARK: Han
];
const mixture = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));

/**
 * UTS #39 5.1 and 5.2 as written: each character's augmented Script_Extensions set, found by testing
 * every script, intersected over the text; Highly Restrictive if that is not empty, or if the
 * intersection over the characters without Latin holds Japanese, Korean or Han with Bopomofo.
 */
function highlyRestrictive(text: string): boolean {
  const regexes = UNICODE_SCRIPTS.map((name) => [name, new RegExp(`^\\p{Script_Extensions=${name}}$`, 'u')] as const);
  const every = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;
  let resolved: Set<string> | undefined;
  let withoutLatin: Set<string> | undefined;
  const intersect = (a: Set<string> | undefined, b: Set<string>) =>
    a === undefined ? b : new Set([...a].filter((x) => b.has(x)));
  for (const char of text) {
    if (every.test(char)) {
      continue;
    }
    const set = new Set(regexes.filter(([, regex]) => regex.test(char)).map(([name]) => name));
    if (set.has('Han')) {
      set.add('Hanb').add('Jpan').add('Kore');
    }
    if (set.has('Hiragana') || set.has('Katakana')) {
      set.add('Jpan');
    }
    if (set.has('Hangul')) {
      set.add('Kore');
    }
    if (set.has('Bopomofo')) {
      set.add('Hanb');
    }
    resolved = intersect(resolved, set);
    if (!set.has('Latin')) {
      withoutLatin = intersect(withoutLatin, set);
    }
  }
  return (
    resolved === undefined ||
    resolved.size > 0 ||
    withoutLatin === undefined ||
    ['Hanb', 'Jpan', 'Kore'].some((script) => withoutLatin.has(script))
  );
}

describe('mixedScripts', () => {
  it('agrees with UTS #39 5.2 Highly Restrictive computed character by character', () => {
    fc.assert(
      fc.property(mixture, (text) => {
        expect(mixedScripts(text) === null).toBe(highlyRestrictive(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('names two different scripts whenever it refuses', () => {
    fc.assert(
      fc.property(mixture, (text) => {
        const mixed = mixedScripts(text);
        if (mixed !== null) {
          expect(mixed[0]).not.toBe(mixed[1]);
          expect(mixed.every((name) => /^[A-Z][A-Za-z ]+$/.test(name))).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkLabel, for any text', () => {
  const text = fc.oneof(
    mixture,
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );

  it('accepts what it returns again, unchanged: the stored form is a fixed point', () => {
    fc.assert(
      fc.property(text, (raw) => {
        const checked = checkLabel(raw);
        if (checked.ok) {
          expect(checked.value).toBe(checked.value.normalize('NFC'));
          expect(checkLabel(checked.value)).toStrictEqual(checked);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('treats canonically equivalent texts alike: NFD and NFC are one label', () => {
    fc.assert(
      fc.property(text, (raw) => {
        expect(checkLabel(raw.normalize('NFD'))).toStrictEqual(checkLabel(raw.normalize('NFC')));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts only what the schema pattern also accepts, at most 64 code points long', () => {
    const pattern = new RegExp(LABEL_PATTERN, 'u');
    fc.assert(
      fc.property(text, (raw) => {
        const checked = checkLabel(raw);
        if (checked.ok) {
          expect(pattern.test(checked.value)).toBe(true);
          expect(Array.from(checked.value).length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
