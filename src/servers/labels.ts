import { codePointOf, mixedScripts } from './mixed-scripts.js';

// Labels (environment, role, location, os) are grouped and filtered by exact value, so two values
// that look the same must be the same value: one normal form (NFC), nothing invisible, no
// compatibility forms (what NFKC would replace), and no look-alike letters from another script (UTS #39, Unicode Security Mechanisms, 5.2 "Highly
// Restrictive"). The table of what a write accepts in docs/api.md states the same rule.

/** The longest label, in code points of its NFC form. */
export const MAX_LABEL_LENGTH = 64;

/**
 * The longest label as sent, in code points: a character decomposes canonically into at most 4 code
 * points (U+1F82), so no text longer than this has an NFC form of MAX_LABEL_LENGTH or fewer.
 */
export const MAX_RAW_LABEL_LENGTH = 4 * MAX_LABEL_LENGTH;

export type LabelCheck = { ok: true; value: string } | { ok: false; problem: string };

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const STARTS_WELL = /^[\p{L}\p{N}]/u;
// The first character a label may not hold, or two spaces (which most displays show as one).
const FORBIDDEN = /[,\p{C}\p{Default_Ignorable_Code_Point}]|(?! )\p{White_Space}| {2}/u;
const INVISIBLE = /^\p{Default_Ignorable_Code_Point}$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;

/** The length of a text in code points, which is what PostgreSQL's varchar counts. */
export function codePointCount(value: string): number {
  // Surrogate pairs are one code point in two UTF-16 units.
  return value.length - (value.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/** Why a character or pair of characters cannot be in a label, as an instruction. */
function forbiddenProblem(found: string): string {
  if (found === ',') {
    return 'contains a comma: remove it (commas separate the values of a filter)';
  }
  if (found === '  ') {
    return 'contains two spaces in a row: use one';
  }
  if (INVISIBLE.test(found)) {
    return `contains an invisible character ${codePointOf(found)}: remove it`;
  }
  if (WHITE_SPACE.test(found)) {
    return `contains the white-space character ${codePointOf(found)}: use an ordinary space (U+0020)`;
  }
  return `contains a control, format, private-use or unassigned character ${codePointOf(found)}: remove it`;
}

/**
 * A label as sent, checked and in NFC: the value to store or to filter by, or what is wrong with it.
 * Accepted: 1 to 64 characters (in NFC) starting with a letter or a digit; no comma, no control,
 * format, private-use, unassigned or invisible (Default_Ignorable_Code_Point) character, no white
 * space but single ASCII spaces between words, no compatibility character (NFKC); letters of one script, or Latin with Han and
 * Hiragana/Katakana, Bopomofo or Hangul (UTS #39 5.2, Highly Restrictive).
 */
export function checkLabel(raw: string): LabelCheck {
  // ASCII is its own NFC form, and its letters are all Latin: most labels skip the Unicode work.
  const ascii = PRINTABLE_ASCII.test(raw);
  const value = ascii ? raw : raw.normalize('NFC');
  const problem =
    shapeProblem(value, raw) ?? (ascii ? undefined : (compatibilityProblem(value) ?? scriptProblem(value)));
  return problem === undefined ? { ok: true, value } : { ok: false, problem };
}

function shapeProblem(value: string, raw: string): string | undefined {
  if (value === '') {
    return 'must not be empty';
  }
  // UTF-16 units are never fewer than code points: only a long string needs counting.
  const length = value.length <= MAX_LABEL_LENGTH ? value.length : codePointCount(value);
  if (length > MAX_LABEL_LENGTH) {
    return `is ${length} characters long in NFC: shorten it to at most ${MAX_LABEL_LENGTH}`;
  }
  if (!STARTS_WELL.test(value)) {
    return 'must start with a letter or a digit';
  }
  const forbidden = FORBIDDEN.exec(value);
  if (forbidden !== null) {
    // Named as sent: NFC turns some into others (U+2000 EN QUAD into U+2002 EN SPACE).
    return forbiddenProblem((raw === value ? null : FORBIDDEN.exec(raw))?.[0] ?? forbidden[0]);
  }
  if (value.endsWith(' ')) {
    return 'ends with a space: remove it';
  }
  return undefined;
}

/**
 * A compatibility character (one that NFKC replaces): fullwidth `ｗｅｂ` for `web`, the ligature `ﬁ`,
 * superscripts, circled and halfwidth forms. Each is a look-alike of ordinary text in the same
 * script, which the script rule cannot see.
 */
function compatibilityProblem(value: string): string | undefined {
  if (value.normalize('NFKC') === value) {
    return undefined;
  }
  for (const char of value) {
    const folded = char.normalize('NFKC');
    if (folded !== char) {
      return `contains ${codePointOf(char)} "${char}", a compatibility form of "${folded}": write "${folded}" instead`;
    }
  }
  // Only a sequence differs (never seen: NFKC of NFC text changes a character on its own first).
  return 'is not in NFKC form: write its characters in their ordinary forms';
}

function scriptProblem(value: string): string | undefined {
  const mixed = mixedScripts(value);
  if (mixed === null) {
    return undefined;
  }
  const names = [...new Set(mixed)].join(' and ');
  return `mixes scripts (${names}): write it in one script`;
}
