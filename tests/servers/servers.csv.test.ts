import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRecord, defuse, undefuse } from '../../src/servers/servers.export.js';
import type { ListedServer } from '../../src/servers/servers.schemas.js';
import { DECLARED, FIELD_NAMES, type FieldName } from '../../src/servers/server-fields.js';
import { MAX_SERVER_ID } from '../../src/servers/server-fields.schemas.js';
import { TRACKED_FIELDS } from '../../src/servers/servers.values.js';
import { PYTHON_CSV_READER, hasPython, python } from '../helpers/python.js';
import type { JsonSchema } from '../helpers/schema-arbitrary.js';
import { AT } from '../helpers/servers.js';

// The export's CSV was csv-stringify's until its cost per cell showed in the export's memory
// (docs/benchmarks.md); its own serialiser must quote and escape as csv-stringify did, byte for byte,
// whatever the defusing adds in front of a cell.
const COLUMNS = [
  'id',
  ...TRACKED_FIELDS.filter((field) => field !== 'custom_fields'),
  'created_at',
  'updated_at',
  'last_seen_at',
] as const;

function previousRecord(server: ListedServer): string {
  const cells = COLUMNS.map((column) => {
    const value = column === 'tags' ? (server.tags.length === 0 ? null : server.tags.join(' ')) : server[column];
    return value === null ? null : String(value);
  });
  // csv-stringify writes null as it writes the empty string: the export writes null as an empty cell
  // and the empty string as a quoted one, so that an apply tells them apart. Cell by cell, then.
  const written = cells.map((cell) =>
    cell === null
      ? ''
      : stringify([[defuse(cell)]], { record_delimiter: 'windows', quoted_match: /[\r\n]/, quoted_empty: true }).slice(
          0,
          -2,
        ),
  );
  return `${written.join(',')}\r\n`;
}

/**
 * What a spreadsheet may skip before it looks for a formula, and formula triggers in their ASCII,
 * fullwidth, small, superscript and subscript forms (NFKC folds each to = + - or @).
 */
const LEADING = [
  '\0',
  '\t',
  '\r',
  '\n',
  ' ',
  '\u000b',
  '\u000c',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\u200b',
  '\ufeff',
];
const TRIGGERS = [
  '=',
  '+',
  '-',
  '@',
  '＝',
  '＋',
  '－',
  '＠',
  '\ufe66',
  '\ufe62',
  '\ufe63',
  '\ufe6b',
  '⁼',
  '⁺',
  '₌',
  '⩵',
];

/** Strings rich in what CSV cares about: delimiters, quotes, line breaks, formula prefixes. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(',', '"', '\r\n', "'", ';', '\u0338', ...LEADING, ...TRIGGERS),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
  ),
  maxLength: 12,
});

/** Any value of a field, by its shape: text as hostile as it gets, whatever the field's own rules. */
function anyValue(name: FieldName): fc.Arbitrary<unknown> {
  const { read, nullable } = DECLARED[name] as { read: JsonSchema; nullable?: true };
  const value =
    read.type === 'integer'
      ? fc.integer({ min: read.minimum ?? 0, max: read.maximum ?? MAX_SERVER_ID })
      : read.type === 'array'
        ? fc.array(text, { maxLength: 3 })
        : read.enum !== undefined
          ? fc.constantFrom(...read.enum)
          : read.format === 'date-time'
            ? fc.constant(AT)
            : text;
  return nullable === true ? fc.option(value) : value;
}

const server = fc.record(
  Object.fromEntries(FIELD_NAMES.map((name) => [name, anyValue(name)])) as Record<FieldName, fc.Arbitrary<unknown>>,
) as fc.Arbitrary<ListedServer>;

describe('the CSV of an export', () => {
  it('gives the bytes csv-stringify gave, for any server', () => {
    fc.assert(
      fc.property(server, (s) => {
        expect(csvRecord(s)).toBe(previousRecord(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes cells with a comma, a quote or any line break, doubles quotes and defuses formulas', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('one\r\ntwo')).toBe('"one\r\ntwo"');
    // A bare LF or CR too: unquoted, it would end the record for most readers.
    expect(csvCell('one\ntwo')).toBe('"one\ntwo"');
    expect(csvCell('one\rtwo')).toBe('"one\rtwo"');
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('-x, y')).toBe(`"'-x, y"`);
  });
});

/**
 * Whether a cell would start a formula in a spreadsheet, by OWASP's CSV Injection list (= + - @, tab,
 * CR, LF) and ASVS 1.2.10's NUL: a cell starting with tab, CR, LF or NUL, or whose first character
 * after leading white space, controls and invisible format characters is a trigger, as written or
 * under NFKC (fullwidth and other compatibility forms of the triggers).
 */
function startsFormula(cell: string): boolean {
  if (/^[\t\r\n\0]/.test(cell)) {
    return true;
  }
  return [cell, cell.normalize('NFKC')].some((view) => /^[=+\-@]/.test(view.replace(/^[\s\p{Cc}\p{Cf}]+/u, '')));
}

describe('the defusing of formulas in CSV cells', () => {
  it('defuses a formula behind white space, a NUL or a line break, and triggers in compatibility forms', () => {
    const formulas = [
      '\0=1+2',
      '\0',
      '\nplain',
      '\n=1+2',
      '\r\n@SUM(A1)',
      ' =1+2',
      '  +1',
      '\t \u000b-1',
      '\u00a0=1',
      '\u3000@SUM(A1)',
      '\u0085=1',
      '\u2028=1',
      '\u200b=1',
      '\ufeff-1',
      '＝HYPERLINK("http://x")',
      '＋1',
      '－1',
      '＠SUM(A1)',
      ' ＝1',
      '\ufe66x',
      '⁼x',
      '⩵x',
      '\ufb29x',
      // "⁼" before a combining long solidus, which the whole cell's NFKC form composes to "≠":
      // defused like "=" before one.
      '⁼\u0338x',
      // "=" and a combining long solidus compose to "≠" under NFKC, but a spreadsheet reads the "=".
      '=\u0338x',
    ];
    for (const cell of formulas) {
      expect(defuse(cell), JSON.stringify(cell)).toBe(`'${cell}`);
    }
    expect(csvCell(' =1+2')).toBe("' =1+2");
    expect(csvCell('\n=1+2')).toBe(`"'\n=1+2"`);
    expect(csvCell('\0=1')).toBe("'\0=1");
    expect(csvCell('＝1,2')).toBe(`"'＝1,2"`);
  });

  it('leaves cells that start no formula as they are', () => {
    for (const cell of [
      '',
      ' ',
      '\u00a0',
      'web-01',
      'a=b',
      '1-2',
      ' x',
      '\u00a0x',
      'ｘ=1',
      '５',
      '≠',
      // U+2212 MINUS SIGN is no compatibility form of "-": NFKC keeps it.
      '\u2212' + '1',
      'é=',
      '日本',
    ]) {
      expect(defuse(cell), JSON.stringify(cell)).toBe(cell);
    }
  });

  it('marks apostrophes before a formula once more, so that undefuse gives every value back', () => {
    expect(defuse("'=1")).toBe("''=1");
    expect(defuse("''+x")).toBe("'''+x");
    expect(defuse("'plain")).toBe("'plain");
    expect(undefuse("''=1")).toBe("'=1");
    expect(undefuse("'plain")).toBe("'plain");
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', ' ', '\t', 'a', '\uff1d') }), (value) => {
        expect(undefuse(defuse(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it.runIf(hasPython)(
    "read back by Python's csv module, no cell starts a formula unless it starts with an apostrophe",
    () => {
      const cell = fc.string({
        unit: fc.oneof(
          fc.constantFrom(',', '"', "'", 'a', '1', '\u0338', ...LEADING, ...TRIGGERS),
          fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
        ),
        maxLength: 6,
      });
      // Python takes some 100 ms to start: few runs, many cells each.
      fc.assert(
        fc.property(fc.array(cell, { minLength: 1, maxLength: 250 }), (cells) => {
          const csv = cells.map((value, i) => `${i},${csvCell(value)}\r\n`).join('');
          const records = python(PYTHON_CSV_READER, csv) as string[][];
          expect(records).toHaveLength(cells.length);
          records.forEach(([index, read = ''], i) => {
            const written = cells[i] ?? '';
            expect(index).toBe(String(i));
            // Defusing only ever adds the apostrophe: the text itself comes back whole.
            expect([written, `'${written}`]).toContain(read);
            expect(read.startsWith("'") || !startsFormula(read), JSON.stringify(read)).toBe(true);
            // And only where it may be needed: a cell whose first visible character is printable
            // ASCII other than a trigger is left alone, unless it is apostrophes before a formula.
            const bare = written.replace(/^'+/, '');
            if (/^[\s\p{Cc}\p{Cf}]*[!-~]/u.test(written) && !/^[\t\r\n\0]/.test(bare) && !startsFormula(bare)) {
              expect(read).toBe(written);
            }
          });
        }),
        { numRuns: 25 },
      );
    },
  );
});
