import { UNICODE_SCRIPTS } from './unicode-scripts.js';

// UTS #39 (Unicode Security Mechanisms) 5.2, restriction level "Highly Restrictive": a text is
// either of a single script, or Latin with one of the CJK writing systems below. "Single script"
// is 5.1's: the intersection of its characters' augmented Script_Extensions sets is not empty,
// where a character whose Script_Extensions is Common or Inherited (ASCII digits, most punctuation
// and marks) is of every script, and Han, Hiragana, Katakana, Hangul and Bopomofo also count as
// Japanese, Korean or Han with Bopomofo. (A mark such as U+0301 lists the scripts it is used with.) That comes down to this: some script of the first character that is not of every
// script is shared by every other character, or every character is of Latin, Han and one of the
// sets below (or of every script). Each is one regular expression over the whole text.

const CJK_WITH_LATIN: readonly (readonly string[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];
const CJK_RELATED = new Set(CJK_WITH_LATIN.flat());
const CJK_ALL = [...CJK_RELATED];

// UAX #31 Table 4, the scripts recommended for identifiers: in common use today, so tried first.
// Compiling a script's regular expression is the costly part (ICU builds its set), so a label in
// one of these does not pay for the other 140-odd.
const RECOMMENDED = new Set([
  'Arabic',
  'Armenian',
  'Bengali',
  'Bopomofo',
  'Cyrillic',
  'Devanagari',
  'Ethiopic',
  'Georgian',
  'Greek',
  'Gujarati',
  'Gurmukhi',
  'Han',
  'Hangul',
  'Hebrew',
  'Hiragana',
  'Kannada',
  'Katakana',
  'Khmer',
  'Lao',
  'Latin',
  'Malayalam',
  'Myanmar',
  'Oriya',
  'Sinhala',
  'Tamil',
  'Telugu',
  'Thaana',
  'Thai',
  'Tibetan',
]);

const escape = (script: string) => `\\p{Script_Extensions=${script}}`;
const EVERY_SCRIPT = escape('Common') + escape('Inherited');
const SPECIFIC = new RegExp(`[^${EVERY_SCRIPT}]`, 'u');
const ASCII_LETTER = /^[A-Za-z]$/;

/** U+0430: how a message names a character, whether or not it shows. */
export function codePointOf(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

// One per script, per CJK set and for all of them together: a bounded number, made on first use.
const spanRegexes = new Map<string, RegExp>();

/** How many UTF-16 units at the start of `text` are of one of `scripts`, or of every script. */
function span(scripts: readonly string[], text: string): number {
  const key = scripts.join(' ');
  let regex = spanRegexes.get(key);
  if (regex === undefined) {
    regex = new RegExp(`^[${scripts.map(escape).join('')}${EVERY_SCRIPT}]*`, 'u');
    spanRegexes.set(key, regex);
  }
  return regex.exec(text)?.[0].length ?? 0;
}

interface ScriptGroup {
  scripts: string[];
  any: RegExp;
  /** Each script's own test, made when a character first falls in the group. */
  each?: RegExp[];
}

// About √172 groups of about √172 scripts: a character's scripts take some 26 tests to find, not 172.
const GROUP_SIZE = 13;
let groups: ScriptGroup[] | undefined;

const anyOf = (scripts: readonly string[]) => new RegExp(`^[${scripts.map(escape).join('')}]$`, 'u');

function scriptGroups(): ScriptGroup[] {
  if (groups === undefined) {
    groups = [];
    const ordered = [
      ...UNICODE_SCRIPTS.filter((script) => RECOMMENDED.has(script)),
      ...UNICODE_SCRIPTS.filter((script) => !RECOMMENDED.has(script)),
    ];
    for (let i = 0; i < ordered.length; i += GROUP_SIZE) {
      let scripts = ordered.slice(i, i + GROUP_SIZE);
      let any: RegExp;
      try {
        any = anyOf(scripts);
      } catch {
        // An engine on an older Unicode than UNICODE_SCRIPTS refuses the names it does not know; their
        // characters are unassigned there, and labels refuse unassigned characters before their scripts.
        scripts = scripts.filter((script) => {
          try {
            return anyOf([script]) instanceof RegExp;
          } catch {
            return false;
          }
        });
        any = anyOf(scripts);
      }
      groups.push({ scripts, any });
    }
  }
  return groups;
}

/** The scripts in the Script_Extensions of `char` (a character not of every script), recommended ones first. */
function* scriptsOf(char: string): Generator<string, void> {
  if (ASCII_LETTER.test(char)) {
    yield 'Latin';
    return;
  }
  for (const group of scriptGroups()) {
    if (group.any.test(char)) {
      group.each ??= group.scripts.map((script) => anyOf([script]));
      for (const [i, script] of group.scripts.entries()) {
        if (group.each[i]?.test(char) === true) {
          yield script;
        }
      }
    }
  }
}

function nameOf(char: string, known?: string): string {
  for (const script of known === undefined ? scriptsOf(char) : [known]) {
    return script.replaceAll('_', ' ');
  }
  return `the script of ${codePointOf(char)}`;
}

/**
 * Null if `text` (in NFC) meets UTS #39's Highly Restrictive level; otherwise two scripts it mixes,
 * by name (`['Latin', 'Cyrillic']`): one of the first character's and that of the first one that
 * does not fit with it.
 */
export function mixedScripts(text: string): [string, string] | null {
  const found = SPECIFIC.exec(text);
  if (found === null) {
    return null;
  }
  const first = found[0];
  let best: string | undefined;
  let fits = found.index;
  let cjk = false;
  // Scripts are found one at a time: the first that every other character shares settles it.
  for (const script of scriptsOf(first)) {
    const length = span([script], text);
    if (length === text.length) {
      return null;
    }
    if (best === undefined || length > fits) {
      [best, fits] = [script, length];
    }
    cjk ||= CJK_RELATED.has(script);
  }
  if (cjk && CJK_WITH_LATIN.some((scripts) => span(scripts, text) === text.length)) {
    return null;
  }
  // The first misfit: outside the script that fits longest or, when that is Latin or CJK, outside
  // all of them together (so that "東京abcб" names Cyrillic, not Latin). With no script known for
  // the first character (an engine on an older Unicode), the first character itself.
  const outsideCjk = best !== undefined && CJK_RELATED.has(best) ? span(CJK_ALL, text) : text.length;
  const at = outsideCjk < text.length ? outsideCjk : fits;
  const misfit = String.fromCodePoint(text.codePointAt(at) ?? 0);
  return [nameOf(first, best), nameOf(misfit)];
}
