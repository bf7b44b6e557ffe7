// What a custom field's value must be, type by type: valid, invalid, boundaries and null.
import { RE2JS } from 're2js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compilePattern, estimatedProgramSize } from '../../src/custom-fields/custom-fields.patterns.js';
import { type CustomFieldSpec, type CustomFieldType, NO_SPEC } from '../../src/custom-fields/custom-fields.schemas.js';
import {
  type Definition,
  canonicalDatetime,
  checkValue,
  mergeValues,
  resolveValues,
  valueFromText,
} from '../../src/custom-fields/custom-fields.values.js';
import type { ErrorDetail } from '../../src/errors.js';

let nextId = 1;
function field(name: string, type: CustomFieldType, spec: Partial<CustomFieldSpec> = {}): Definition {
  const at = '2026-01-01T00:00:00.000Z';
  nextId += 1;
  return { id: nextId, name, type, spec: { ...NO_SPEC, ...spec }, created_at: at, updated_at: at };
}

/** The stored value, or the problem's text. */
function check(definition: Definition, value: unknown): unknown {
  const checked = checkValue(definition, value);
  return checked.ok ? checked.value : `refused: ${checked.problem}`;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-return -- vitest types an asymmetric matcher as any
const stringMatching = (pattern: RegExp): string => expect.stringMatching(pattern);
const refused = (pattern: RegExp) => stringMatching(new RegExp(`^refused: .*${pattern.source}`));

describe('checkValue', () => {
  it('string: 1 to max_length characters (counted in code points), tab and line breaks but no other control', () => {
    const rack = field('rack', 'string', { max_length: 3 });
    expect(check(rack, 'R12')).toBe('R12');
    expect(check(rack, '😀😀😀')).toBe('😀😀😀');
    expect(check(rack, 'a\tb')).toBe('a\tb');
    expect(check(rack, 'R123')).toEqual(refused(/must be a string of 1 to 3 characters.*\(got "R123"\)$/));
    expect(check(rack, '')).toEqual(refused(/must be a string/));
    expect(check(rack, 'a\u0000')).toEqual(refused(/must be a string/));
    expect(check(rack, '\ud800')).toEqual(refused(/must be a string/));
    expect(check(rack, 12)).toEqual(refused(/must be a string.*\(got 12\)$/));
    expect(check(rack, true)).toEqual(refused(/must be a string/));
    expect(check(field('long', 'string'), 'x'.repeat(4096))).toHaveLength(4096);
    expect(check(field('long', 'string'), 'x'.repeat(4097))).toEqual(refused(/1 to 4096 characters/));
  });

  it('string with a pattern: a value must contain a match (anchors make it whole)', () => {
    const rack = field('rack', 'string', { pattern: '^R[0-9]{1,3}$' });
    expect(check(rack, 'R7')).toBe('R7');
    expect(check(rack, 'xR7')).toEqual(refused(/matching the pattern "\^R\[0-9\]\{1,3\}\$" \(got "xR7"\)$/));
    expect(check(field('team', 'string', { pattern: 'ops' }), 'netops-2')).toBe('netops-2');
  });

  it('a pattern that backtracks catastrophically elsewhere runs in linear time here', () => {
    // (a+)+$ against a long run of a's ending in b takes exponential time in a backtracking engine:
    // this test would not finish. RE2 answers at once.
    const evil = field('evil', 'string', { pattern: '^(a+)+$' });
    expect(check(evil, `${'a'.repeat(4000)}b`)).toEqual(refused(/matching the pattern/));
    expect(check(evil, 'a'.repeat(4000))).toHaveLength(4000);
    const alternation = field('alt', 'string', { pattern: '^(a|a)*$' });
    expect(check(alternation, `${'a'.repeat(4000)}!`)).toEqual(refused(/matching the pattern/));
  });

  it('patterns that need backtracking are refused when defined, with the reason', () => {
    expect(compilePattern('^(a)\\1$')).toEqual({ ok: false, problem: stringMatching(/RE2 syntax.*\\1/) });
    expect(compilePattern('^(?=a)')).toEqual({ ok: false, problem: stringMatching(/RE2 syntax.*\(\?=/) });
    expect(compilePattern('[')).toMatchObject({ ok: false });
    expect(compilePattern('^R\\d+$')).toMatchObject({ ok: true });
  });

  it('patterns whose program would make each match slow are refused when defined', () => {
    // Linear, but in the program's size too: 184,000 instructions took 26 s for one 4096-character value.
    expect(compilePattern('^(?:a?){600}$')).toEqual({
      ok: false,
      problem: stringMatching(/^is too complex to match quickly: it compiles to \d+ instructions, at most 1000/),
    });
    expect(compilePattern('^(?:a?){200}$')).toMatchObject({ ok: true });
  });

  it('a stored pattern is enforced as it was accepted, even one the estimate would refuse now', () => {
    // The estimate counts each branch in full; RE2 factors out their shared prefix (701 instructions).
    const pattern = '^(?:abcdef|abcdeg|abcdeh){1,100}$';
    expect(compilePattern(pattern)).toMatchObject({ ok: false });
    const code = field('code', 'string', { pattern });
    expect(check(code, 'abcdefabcdeh')).toBe('abcdefabcdeh');
    expect(check(code, 'abcdex')).toEqual(refused(/matching the pattern/));
  });

  describe('counted repetitions that expand too far', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('are refused from the estimate, before RE2 writes them out', () => {
      const compile = vi.spyOn(RE2JS, 'compile');
      const nested = '(?:(?:a{1,10}){1,10}){1,10}'.repeat(37);
      expect(compilePattern(nested)).toEqual({
        ok: false,
        problem:
          'is too complex to match quickly: its counted repetitions expand to about 73963 instructions, at most ' +
          '1000; use fewer or smaller counted repetitions ({n})',
      });
      expect(compilePattern(`^${'(?:a?){999}'.repeat(4)}$`)).toMatchObject({ ok: false });
      expect(compilePattern('(?:a{1000}){1000}')).toEqual({
        ok: false,
        problem: stringMatching(/^is too complex to match quickly: its counted repetitions expand to over a million/),
      });
      expect(compile).not.toHaveBeenCalled();
      expect(compilePattern('^R[0-9]{2}$')).toMatchObject({ ok: true });
      expect(compile).toHaveBeenCalledTimes(1);
      // An alternation of single characters is a class, not 16 branches of 100 copies each.
      expect(compilePattern(`^(?:0|1|2|3|4|5|6|7|8|9|a|b|c|d|e|f){1,100}$`)).toMatchObject({ ok: true });
    });

    it('are estimated as RE2 counts its program, whatever the syntax around them', () => {
      const patterns = [
        '^R[0-9]{1,3}$',
        '^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$',
        '^(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(?:\\.(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)){3}$',
        '(?P<rack>R[0-9]{2})-(?<u>[0-9]{1,2})',
        '(?i)[a-z]{10,20}(?s:.{5})',
        // A ] first in a class is a member; a { that opens no count is a literal.
        '[]a]{10}[^]b]{10}[[:alpha:]]{10}a{,5}b{01}c{3,}',
        '\\Qa.b{5}(\\E{30}\\p{Greek}{10}\\pL{10}\\x{263a}{10}\\x41{10}😀{10}',
        '(?:a*?b+?c??){20}',
        // Alternations of single characters, which RE2 makes one class; octal escapes are one character.
        '^(?:0|1|2|3|4|5|6|7|8|9|a|b|c|d|e|f){1,100}$',
        '(?:[a-c]|\\d|x|(?:y)|\\101){50}(?:ab|c){10}(a|b){10}(?:^|x){10}\\0\\12\\101{20}',
      ];
      for (const pattern of patterns) {
        const size = RE2JS.compile(pattern).programSize();
        // Never far below (what it lets through compiles quickly), nor far above (it refuses little that fits).
        expect(estimatedProgramSize(pattern), pattern).toBeGreaterThanOrEqual(size - 3);
        expect(estimatedProgramSize(pattern), pattern).toBeLessThanOrEqual(size * 1.2 + 3);
      }
    });
  });

  it('integer: safe integers within minimum and maximum, inclusive', () => {
    const u = field('u', 'integer', { minimum: 1, maximum: 48 });
    expect(check(u, 1)).toBe(1);
    expect(check(u, 48)).toBe(48);
    expect(check(u, 0)).toEqual(refused(/must be an integer between 1 and 48 \(got 0\)$/));
    expect(check(u, 49)).toEqual(refused(/between 1 and 48/));
    expect(check(u, 1.5)).toEqual(refused(/must be an integer/));
    expect(check(u, '14')).toEqual(refused(/must be an integer.*\(got "14"\)$/));
    expect(check(field('big', 'integer'), 2 ** 53)).toEqual(refused(/must be an integer \(got/));
    expect(check(field('big', 'integer'), 2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(check(field('low', 'integer', { minimum: -5 }), -5)).toBe(-5);
    expect(check(field('low', 'integer', { minimum: -5 }), -6)).toEqual(refused(/of at least -5/));
    expect(check(field('high', 'integer', { maximum: 10 }), 11)).toEqual(refused(/of at most 10/));
  });

  it('number: finite numbers within bounds', () => {
    const cost = field('cost', 'number', { minimum: 0, maximum: 99.5 });
    expect(check(cost, 0)).toBe(0);
    expect(check(cost, 99.5)).toBe(99.5);
    expect(check(cost, 12.25)).toBe(12.25);
    expect(check(cost, 99.51)).toEqual(refused(/must be a number between 0 and 99.5/));
    expect(check(cost, -0.01)).toEqual(refused(/must be a number/));
    expect(check(cost, Number.POSITIVE_INFINITY)).toEqual(refused(/must be a number/));
    expect(check(cost, '1')).toEqual(refused(/must be a number/));
  });

  it('boolean: true or false, not their names', () => {
    const b = field('backup', 'boolean');
    expect(check(b, true)).toBe(true);
    expect(check(b, false)).toBe(false);
    expect(check(b, 'true')).toEqual(refused(/must be true or false \(got "true"\)$/));
    expect(check(b, 1)).toEqual(refused(/must be true or false/));
  });

  it('date: YYYY-MM-DD of a day that exists', () => {
    const d = field('warranty_end', 'date');
    expect(check(d, '2028-02-29')).toBe('2028-02-29');
    expect(check(d, '0001-01-01')).toBe('0001-01-01');
    expect(check(d, '2027-02-29')).toEqual(refused(/must be a date as YYYY-MM-DD/));
    expect(check(d, '2027-13-01')).toEqual(refused(/must be a date/));
    expect(check(d, '2027-1-01')).toEqual(refused(/must be a date/));
    expect(check(d, '2027-01-01T00:00:00Z')).toEqual(refused(/must be a date/));
  });

  it('datetime: RFC 3339 with a zone, stored in UTC at fixed width', () => {
    const t = field('installed_at', 'datetime');
    expect(check(t, '2026-03-02T10:30:00+02:00')).toBe('2026-03-02T08:30:00.000Z');
    expect(check(t, '2026-03-02t08:30:00.5z')).toBe('2026-03-02T08:30:00.500Z');
    expect(check(t, '2026-03-02T08:30:00')).toEqual(refused(/RFC 3339 date and time with a time zone/));
    expect(check(t, '2026-06-30T23:59:60Z')).toEqual(refused(/without a leap second/));
    expect(check(t, '2026-02-30T00:00:00Z')).toEqual(refused(/RFC 3339/));
    expect(check(t, '9999-12-31T23:00:00-02:00')).toEqual(refused(/between the years 0 and 9999/));
    expect(canonicalDatetime('0000-01-01T00:00:00Z')).toBe('0000-01-01T00:00:00.000Z');
  });

  it('url: absolute http or https, no spaces, 2048 characters at most', () => {
    const u = field('runbook', 'url');
    expect(check(u, 'https://wiki.example/runbooks/web?x=1,2')).toBe('https://wiki.example/runbooks/web?x=1,2');
    expect(check(u, 'http://10.0.0.1:8080/')).toBe('http://10.0.0.1:8080/');
    expect(check(u, 'javascript:alert(1)')).toEqual(refused(/http or https URL/));
    expect(check(u, 'ftp://files.example/')).toEqual(refused(/http or https URL/));
    expect(check(u, 'https://wiki.example/a b')).toEqual(refused(/without spaces/));
    expect(check(u, '/relative')).toEqual(refused(/absolute/));
    expect(check(u, `https://e.example/${'a'.repeat(2048)}`)).toEqual(refused(/2048 characters/));
  });

  it('enum: one of the choices, exactly', () => {
    const e = field('backup_policy', 'enum', { choices: ['none', 'daily', 'weekly'] });
    expect(check(e, 'daily')).toBe('daily');
    expect(check(e, 'Daily')).toEqual(refused(/must be one of none, daily, weekly \(got "Daily"\)$/));
    expect(check(e, null)).toEqual(refused(/must be one of/));
  });
});

describe('valueFromText (a CSV cell)', () => {
  it('reads numbers and booleans by the type, leaves text for the check to refuse, and empty as no value', () => {
    expect(valueFromText('integer', '14')).toBe(14);
    expect(valueFromText('number', '-2.5e3')).toBe(-2500);
    expect(valueFromText('integer', '0x10')).toBe('0x10');
    expect(valueFromText('integer', ' 1')).toBe(' 1');
    expect(valueFromText('boolean', 'true')).toBe(true);
    expect(valueFromText('boolean', 'false')).toBe(false);
    expect(valueFromText('boolean', 'yes')).toBe('yes');
    expect(valueFromText('string', '14')).toBe('14');
    expect(valueFromText('date', '')).toBeNull();
  });
});

describe('resolveValues', () => {
  const rack = field('rack', 'string');
  const u = field('u', 'integer', { required: true, default: 1 });
  const policy = field('policy', 'enum', { choices: ['daily', 'weekly'], required: true });
  const owner = field('owner', 'string', { default: 'ops' });

  function resolve(given: Record<string, unknown> | null, mode: 'whole' | 'merged') {
    const details: ErrorDetail[] = [];
    const values = resolveValues([rack, u, policy, owner], given, mode, '[2].', details);
    return { values, details };
  }

  it('a whole server takes the defaults of what it leaves out (or sets to null), keys in name order', () => {
    expect(resolve({ rack: 'R1', policy: 'daily' }, 'whole')).toEqual({
      values: { owner: 'ops', policy: 'daily', rack: 'R1', u: 1 },
      details: [],
    });
    expect(resolve({ policy: 'weekly', u: null, owner: null, rack: null }, 'whole').values).toEqual({
      owner: 'ops',
      policy: 'weekly',
      u: 1,
    });
  });

  it('refuses unknown fields, bad values and required fields without a value, naming each', () => {
    expect(resolve({ rak: 'R1', u: 'x' }, 'whole').details).toEqual([
      { field: '[2].custom_fields.rak', message: stringMatching(/^is not a defined custom field/) },
      { field: '[2].custom_fields.u', message: 'must be an integer (got "x")' },
      { field: '[2].custom_fields.policy', message: 'is required: must be one of daily, weekly' },
    ]);
  });

  it('after a merge, no default applies: a required field left without a value is refused', () => {
    const merged = mergeValues({ policy: 'daily', u: 3 }, { u: null, rack: 'R2' });
    expect(merged).toEqual({ policy: 'daily', rack: 'R2' });
    expect(resolve(merged, 'merged').details).toEqual([
      { field: '[2].custom_fields.u', message: 'is required: must be an integer' },
    ]);
    expect(mergeValues({ policy: 'daily' }, null)).toEqual({});
  });
});
