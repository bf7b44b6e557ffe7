import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRecord } from '../../src/servers/servers.export.js';
import type { Server } from '../../src/servers/servers.schemas.js';
import { SERVER_STATUSES } from '../../src/servers/servers.schemas.js';
import { TRACKED_FIELDS } from '../../src/servers/servers.values.js';
import { AT } from '../helpers/servers.js';

// The export's CSV was csv-stringify's until its cost per cell showed in the export's memory
// (docs/benchmarks.md); its own serialiser must give the same bytes for any server.
const COLUMNS = ['id', ...TRACKED_FIELDS, 'created_at', 'updated_at'] as const;

function previousRecord(server: Server): string {
  const cells = COLUMNS.map((column) => {
    const value = column === 'tags' ? server.tags.join(' ') : server[column];
    return value === null ? '' : String(value);
  });
  const defused = cells.map((value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value));
  return stringify([defused], {
    header: false,
    columns: [...COLUMNS],
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
  });
}

/** Strings rich in what CSV cares about: delimiters, quotes, line breaks, formula prefixes. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(',', '"', '\r', '\n', '\r\n', '=', '+', '-', '@', '\t', "'", ' ', ';'),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
  ),
  maxLength: 12,
});

const server: fc.Arbitrary<Server> = fc.record({
  id: fc.integer({ min: 1, max: 2147483647 }),
  hostname: text,
  ip: text,
  status: fc.constantFrom(...SERVER_STATUSES),
  environment: fc.option(text),
  role: fc.option(text),
  location: fc.option(text),
  os: fc.option(text),
  tags: fc.array(text, { maxLength: 3 }),
  notes: fc.option(text),
  created_at: fc.constant(AT),
  updated_at: fc.constant(AT),
});

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
