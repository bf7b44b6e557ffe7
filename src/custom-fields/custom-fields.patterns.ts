import { RE2JS } from 're2js';
import { codePointCount } from '../servers/labels.js';

// A string field's pattern: compiled by RE2 (linear time), within bounds on the program's size and on
// the work of compiling it, both measured (docs/benchmarks.md, "Custom fields: patterns").

/**
 * The most instructions a pattern's compiled program may have. RE2 matches in time proportional to
 * the value's length times the program's size: at this size, a 4096-character value takes at most
 * some tens of milliseconds (measured: about 20 ms at 500 instructions), where a 1 KiB pattern of
 * nested counted repetitions would compile to 180,000 instructions and take 26 s a value.
 */
export const MAX_PATTERN_PROGRAM = 1000;

/**
 * The largest estimate (estimatedProgramSize) of a pattern that RE2 is given to compile. Compiling is
 * the costly step, not parsing: re2js writes out every copy of a counted repetition before it can
 * count the instructions, and a 1 KiB pattern of them took 0.1 to 1.2 s to compile, on the event
 * loop, only to be refused. At twice the program's bound, a pattern that the estimate overrates (an
 * alternation whose branches share a prefix, which RE2 factors out) still gets its exact count.
 */
export const MAX_PATTERN_ESTIMATE = 2 * MAX_PATTERN_PROGRAM;

/** Counts above this RE2 refuses as it parses the pattern, before writing anything out. */
const MAX_COUNT = 1000;

const COUNTED = /\{(0|[1-9][0-9]{0,7})(?:(,)(0|[1-9][0-9]{0,7})?)?\}/y;
const FLAGS = /\(\?[imsU-]*([:)])/y;
const NAMED = /\(\?P?<(?![=!])/y;

/** The index after a code point that starts at `i`. */
function nextCodePoint(text: string, i: number): number {
  return i + ((text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1);
}

const OCTAL = /[0-7]{1,3}/y;

/** The index after an escape (`\d`, `\x41`, `\x{263a}`, `\pL`, `\p{Greek}`, `\101`) that starts at `i`. */
function escapeEnd(pattern: string, i: number): number {
  const letter = pattern[i + 1];
  OCTAL.lastIndex = i + 1;
  if (OCTAL.test(pattern)) {
    // An octal escape, one character: up to three digits.
    return OCTAL.lastIndex;
  }
  if ((letter === 'p' || letter === 'P' || letter === 'x') && pattern[i + 2] === '{') {
    const close = pattern.indexOf('}', i + 3);
    return close < 0 ? pattern.length : close + 1;
  }
  if (letter === 'x') {
    return Math.min(i + 4, pattern.length);
  }
  if (letter === 'p' || letter === 'P') {
    return Math.min(i + 3, pattern.length);
  }
  return i + 1 < pattern.length ? nextCodePoint(pattern, i + 1) : pattern.length;
}

/** The index after a character class (`[^a-z\d[:alpha:]]`) that starts at `i`. */
function classEnd(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') {
    j += 1;
  }
  // A ] first is a member of the class.
  let first = true;
  while (j < pattern.length && (pattern[j] !== ']' || first)) {
    first = false;
    if (pattern.startsWith('[:', j)) {
      const close = pattern.indexOf(':]', j + 2);
      if (close >= 0) {
        j = close + 2;
        continue;
      }
    }
    j = pattern[j] === '\\' ? escapeEnd(pattern, j) : nextCodePoint(pattern, j);
  }
  return j + 1;
}

/**
 * What opens at `i` (a `(`): a group, capturing or not, or flags for the rest of the group (`(?i)`,
 * capture null); and the index after the opening.
 */
function groupOpening(pattern: string, i: number): { end: number; capture: boolean | null } {
  if (pattern[i + 1] !== '?') {
    return { end: i + 1, capture: true };
  }
  FLAGS.lastIndex = i;
  const flags = FLAGS.exec(pattern);
  if (flags !== null) {
    return { end: FLAGS.lastIndex, capture: flags[1] === ')' ? null : false };
  }
  NAMED.lastIndex = i;
  if (NAMED.test(pattern)) {
    const close = pattern.indexOf('>', i);
    return { end: close < 0 ? pattern.length : close + 1, capture: true };
  }
  // Lookaround and the like, which RE2 refuses as it parses.
  return { end: i + 2, capture: false };
}

/** The size of a repetition of something of size `sub`, as RE2's parser reckons it (`max` -1: none). */
function repeatedSize(sub: number, min: number, max: number): number {
  if (max === -1) {
    return min === 0 ? 2 + sub : 1 + min * sub;
  }
  return Math.max(1, max * sub + (max - min));
}

interface Group {
  /** The sizes of its alternatives before the current one. */
  done: number;
  /** How many `|` it has. */
  bars: number;
  /** The size of the current alternative so far. */
  size: number;
  /** The size of the last thing in it, which a repetition operator applies to. */
  last: number;
  capture: boolean;
  /** Whether the current alternative is one character so far: a literal, an escape or a class. */
  char: boolean;
  /** Whether every alternative before the current one was one character. */
  chars: boolean;
}

const newGroup = (capture: boolean): Group => ({
  done: 0,
  bars: 0,
  size: 0,
  last: 0,
  capture,
  char: false,
  chars: true,
});
/** Whether a group is an alternation of single characters (`0|1|...|f`), which RE2 makes one class. */
const isClass = (group: Group) => group.bars > 0 && group.chars && group.char;
const groupSize = (group: Group) =>
  (isClass(group) ? 1 : group.done + group.size + group.bars) + (group.capture ? 2 : 0);

/**
 * The size of a pattern's compiled program, estimated from its text alone as RE2's parser estimates
 * it (one instruction a character, class or assertion; x{n,m} m times x's, and nested repetitions
 * multiply), in one pass over the text and without writing anything out: what re2js would spend
 * 0.5 s compiling is known in microseconds to be too large. Infinity if it does not fit in a number.
 * Syntax errors are left to RE2, which finds them as it parses, before it compiles.
 */
export function estimatedProgramSize(pattern: string): number {
  const stack: Group[] = [];
  let group = newGroup(false);
  /** Adds something of `size`; `char`: it matches one character (a literal, an escape, a class). */
  const add = (size: number, char = false) => {
    group.char = char && group.size === 0;
    group.size += size;
    group.last = size;
  };
  const repeat = (min: number, max: number) => {
    const size = repeatedSize(group.last, min, max);
    group.size += size - group.last;
    group.last = size;
    group.char = false;
  };
  let i = 0;
  while (i < pattern.length) {
    switch (pattern.charAt(i)) {
      case '\\':
        if (pattern[i + 1] === 'Q') {
          // Literal text up to \E: one instruction a character.
          const end = pattern.indexOf('\\E', i + 2);
          const text = pattern.slice(i + 2, end < 0 ? pattern.length : end);
          if (text.length > 0) {
            const count = codePointCount(text);
            group.char = count === 1 && group.size === 0;
            group.size += count;
            group.last = 1;
          }
          i = end < 0 ? pattern.length : end + 2;
        } else {
          // Assertions (\A, \z, \b, \B) are not characters.
          add(1, !'AzbB'.includes(pattern.charAt(i + 1)));
          i = escapeEnd(pattern, i);
        }
        break;
      case '[':
        add(1, true);
        i = classEnd(pattern, i);
        break;
      case '(': {
        const opened = groupOpening(pattern, i);
        i = opened.end;
        if (opened.capture !== null) {
          stack.push(group);
          group = newGroup(opened.capture);
        }
        break;
      }
      case ')': {
        const inner = groupSize(group);
        const char = !group.capture && (isClass(group) || (group.bars === 0 && group.char));
        group = stack.pop() ?? newGroup(false);
        add(inner, char);
        i += 1;
        break;
      }
      case '|':
        group.done += group.size;
        group.bars += 1;
        group.chars &&= group.char;
        group.size = 0;
        group.last = 0;
        group.char = false;
        i += 1;
        break;
      case '*':
      case '+':
      case '?':
        repeat(pattern[i] === '+' ? 1 : 0, pattern[i] === '?' ? 1 : -1);
        // A ? after an operator makes it lazy: the same size.
        i += pattern[i + 1] === '?' ? 2 : 1;
        break;
      case '{': {
        COUNTED.lastIndex = i;
        const counted = COUNTED.exec(pattern);
        if (counted === null) {
          // Not a repetition: a literal {.
          add(1);
          i += 1;
          break;
        }
        const min = Math.min(Number(counted[1]), MAX_COUNT + 1);
        const max = counted[2] === undefined ? min : counted[3] === undefined ? -1 : Number(counted[3]);
        repeat(min, Math.min(max, MAX_COUNT + 1));
        i = COUNTED.lastIndex + (pattern[COUNTED.lastIndex] === '?' ? 1 : 0);
        break;
      }
      default:
        // ^ and $ are assertions, not characters.
        add(1, !'^$'.includes(pattern.charAt(i)));
        i = nextCodePoint(pattern, i);
    }
  }
  // A group left open is RE2's syntax error to report; its size counts all the same.
  while (stack.length > 0) {
    const inner = groupSize(group);
    group = stack.pop() ?? newGroup(false);
    add(inner);
  }
  return groupSize(group);
}

/** A pattern compiled by RE2 (linear time), or why it cannot be. */
export function compilePattern(pattern: string): { ok: true; regex: RE2JS } | { ok: false; problem: string } {
  const tooComplex = (size: string) =>
    `is too complex to match quickly: ${size} instructions, at most ${MAX_PATTERN_PROGRAM}; ` +
    'use fewer or smaller counted repetitions ({n})';
  const estimate = estimatedProgramSize(pattern);
  if (estimate > MAX_PATTERN_ESTIMATE) {
    const about = estimate < 1e6 ? `about ${estimate}` : 'over a million';
    return { ok: false, problem: tooComplex(`its counted repetitions expand to ${about}`) };
  }
  try {
    const regex = RE2JS.compile(pattern);
    const size = regex.programSize();
    if (size > MAX_PATTERN_PROGRAM) {
      return { ok: false, problem: tooComplex(`it compiles to ${size}`) };
    }
    return { ok: true, regex };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'cannot be parsed';
    return {
      ok: false,
      problem: `is not a regular expression in RE2 syntax (no backreferences or lookaround): ${reason}`,
    };
  }
}

/**
 * A definition's pattern, compiled for its checks of values: it passed compilePattern when it was
 * defined, under the rules of then, and is enforced as it was accepted (null only if RE2 cannot read
 * it at all, which compilePattern never let through).
 */
export function compileStoredPattern(pattern: string): RE2JS | null {
  try {
    return RE2JS.compile(pattern);
  } catch {
    return null;
  }
}
