import { CUSTOM_FIELD_PREFIX } from '../../custom-fields/custom-fields.schemas.js';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, type Options, parse } from 'csv-parse';
import { type ErrorDetail, appError } from '../../errors.js';
import { findJsonSyntaxError } from '../../shared/json-syntax.js';
import { turnEvery } from '../../db/chunks.js';
import { CUSTOM_FIELD_NAME_PATTERN, MAX_CUSTOM_FIELDS } from '../../custom-fields/custom-fields.schemas.js';
import { DECLARED, type FieldName, WRITABLE_FIELDS } from '../server-fields.js';
import { CSV_COLUMNS, undefuse } from '../servers.export.js';
import { MAX_APPLY_ITEMS, TOO_MANY_ITEMS } from './apply.schemas.js';

// An apply's NDJSON and CSV bodies as the servers they hold, each with the line it starts on, so that
// an error names the line a person can find in the file. Both are read a slice at a time, with a turn
// of the event loop between slices: a body of 10,000 servers never holds up other requests for long.

/** The servers of a body, and the line each starts on. */
export interface ParsedItems {
  items: unknown[];
  lines: number[];
  /**
   * A CSV body's custom fields, by the `cf_<name>` columns of its header (names without the prefix,
   * in the header's order). Their cells are in each item's `custom_fields` as text (null for an empty
   * cell), which the apply reads by the field's type once it has the definitions.
   */
  customColumns?: string[];
}

/** How many lines or records are read between two turns of the event loop. */
const TURN = 1000;

function tooMany(): Error {
  return appError('VALIDATION_FAILED', [{ field: 'body', message: TOO_MANY_ITEMS }]);
}

/**
 * NDJSON: one JSON object per line (LF or CRLF); blank lines are skipped but counted, a leading byte
 * order mark is dropped. A body without a server is refused: with prune, it would delete every server
 * of the source, and an empty file is far likelier a broken script than a source that sees nothing
 * (which says so with a JSON body's `"servers": []`).
 */
export async function parseNdjson(body: string): Promise<ParsedItems> {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  const items: unknown[] = [];
  const lines: number[] = [];
  let line = 0;
  for (let start = 0; start <= text.length;) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    line += 1;
    const content = text.slice(start, text.charCodeAt(stop - 1) === 0x0d ? stop - 1 : stop);
    if (content.trim() !== '') {
      try {
        items.push(JSON.parse(content));
      } catch {
        const syntax = findJsonSyntaxError(content);
        throw appError('INVALID_JSON', [
          {
            field: `line ${line}`,
            message:
              syntax === null
                ? 'is not valid JSON: send one JSON object per line'
                : `is not valid JSON: expected ${syntax.expected} at column ${syntax.column}, found ${syntax.found}`,
          },
        ]);
      }
      lines.push(line);
      if (items.length > MAX_APPLY_ITEMS) {
        throw tooMany();
      }
      await turnEvery(items.length, TURN);
    }
    if (end === -1) {
      break;
    }
    start = end + 1;
  }
  if (items.length === 0) {
    throw appError('VALIDATION_FAILED', [
      { field: 'body', message: 'holds no server: send one JSON object per line (a JSON body may send "servers": [])' },
    ]);
  }
  return { items, lines };
}

/** The CSV columns an apply reads: the writable ones of the export, but managed_by (the apply's source). */
const READ_COLUMNS = new Set<string>(
  CSV_COLUMNS.filter((name) => (WRITABLE_FIELDS as readonly string[]).includes(name) && name !== 'managed_by'),
);
/** The export's other columns, which an apply skips: an exported file applies back as it is. */
const SKIPPED_COLUMNS = new Set<string>(CSV_COLUMNS.filter((name) => !READ_COLUMNS.has(name)));

/** The prefix of a custom field's column, `cf_<name>`, as the export names them. */
export const CUSTOM_COLUMN_PREFIX = CUSTOM_FIELD_PREFIX;
const CUSTOM_FIELD_NAME = new RegExp(CUSTOM_FIELD_NAME_PATTERN);

/** A column of the header: a field of the server, a custom field (`cf_<name>`), or one that is skipped. */
type Column = { field: FieldName } | { custom: string } | null;

/**
 * A cell as the value of its field: a list split at spaces (an empty cell is none), an empty cell as
 * null and a quoted empty one (`""`) as the empty string, as the export writes them; text as it is.
 */
function cellValue(name: FieldName, cell: string | null): unknown {
  if (DECLARED[name].column.json === true) {
    return cell === null
      ? []
      : undefuse(cell)
          .split(' ')
          .filter((item) => item !== '');
  }
  return cell === null ? null : undefuse(cell);
}

/** A cell's line breaks: CRLF pairs, and lone CRs or LFs. */
function lineBreaks(cell: string | null): { pairs: number; lone: number } {
  let pairs = 0;
  let lone = 0;
  // One scan, and none of a cell without a break (nearly all of them): the parser runs this per cell.
  if (cell !== null && (cell.includes('\n') || cell.includes('\r'))) {
    for (const [found] of cell.matchAll(/\r\n|\r|\n/g)) {
      if (found.length === 2) {
        pairs += 1;
      } else {
        lone += 1;
      }
    }
  }
  return { pairs, lone };
}

/** The columns of the header row, or a 400 naming what is wrong with it. */
function headerColumns(header: (string | null)[]): Column[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  let custom = 0;
  const columns = header.map((raw): Column => {
    const name = (raw ?? '').trim();
    if (seen.has(name)) {
      details.push({ field: 'line 1', message: `names the column ${JSON.stringify(name)} twice` });
    }
    seen.add(name);
    if (READ_COLUMNS.has(name)) {
      return { field: name as FieldName };
    }
    const customName = name.startsWith(CUSTOM_COLUMN_PREFIX) ? name.slice(CUSTOM_COLUMN_PREFIX.length) : null;
    // Whether the field is defined is for the apply to say, which reads the definitions.
    if (customName !== null && CUSTOM_FIELD_NAME.test(customName)) {
      custom += 1;
      return { custom: customName };
    }
    if (!SKIPPED_COLUMNS.has(name)) {
      details.push({
        field: 'line 1',
        message:
          `names an unknown column ${JSON.stringify(name)}; the columns are those of the export: ` +
          `${CSV_COLUMNS.join(', ')}, and ${CUSTOM_COLUMN_PREFIX}<name> for each custom field`,
      });
    }
    return null;
  });
  if (!seen.has('hostname')) {
    details.push({ field: 'line 1', message: 'must name a hostname column: servers are matched by host name' });
  }
  if (custom > MAX_CUSTOM_FIELDS) {
    details.push({
      field: 'line 1',
      message: `names ${custom} custom fields: an inventory has at most ${MAX_CUSTOM_FIELDS}, remove the others`,
    });
  }
  if (details.length > 0) {
    throw appError('VALIDATION_FAILED', details);
  }
  return columns;
}

/** What csv-parse's errors mean, said as what to fix. */
const CSV_PROBLEMS: Readonly<Record<string, string>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH:
    'has a different number of cells than the header row: quote cells that hold a comma',
  CSV_QUOTE_NOT_CLOSED: 'opens a quoted cell that is never closed: close it with a double quote',
  CSV_INVALID_CLOSING_QUOTE:
    'has a character after the closing quote of a cell: double a quote inside a quoted cell ("")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'has a character after the closing quote of a cell: double a quote inside a quoted cell ("")',
  INVALID_OPENING_QUOTE: 'has a quote inside an unquoted cell: quote the whole cell and double the quote ("")',
  CSV_MAX_RECORD_SIZE: 'holds a record larger than any server: check the quotes',
};

function csvProblem(error: CsvError): string {
  return CSV_PROBLEMS[error.code] ?? `is not RFC 4180 CSV (${error.code}): check its quotes and separators`;
}

/** The line (1-based) of the first line that is not blank after `line`, in `text`. */
function nextRecordLine(text: string, line: number): number {
  const lines = text.split(/\r\n|\n|\r/);
  let next = line + 1;
  while (next <= lines.length && (lines[next - 1] ?? '').trim() === '') {
    next += 1;
  }
  return next;
}

/**
 * The separator of the cells: a comma, or a semicolon where the header row has semicolons and no
 * comma (spreadsheets in locales whose decimal mark is a comma save CSV so). The header holds column
 * names only, so it tells the two apart; a cell's own semicolons never decide.
 */
function delimiterOf(text: string): ',' | ';' {
  const end = text.search(/\r|\n/);
  const header = end === -1 ? text : text.slice(0, end);
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

/** A record of the CSV, and the line of the file it starts on. */
interface ParsedRecord {
  record: (string | null)[];
  line: number;
}

/** The slices the body is fed to the CSV parser in, with a turn of the event loop between two. */
async function* slices(text: string): AsyncGenerator<string> {
  // The parser takes some 0.5 ms per KiB of CSV: 32 KiB is a block of about 15 ms.
  const size = 32 * 1024;
  for (let start = 0; start < text.length; start += size) {
    yield text.slice(start, start + size);
    await nextTurn();
  }
}

/**
 * CSV (RFC 4180) with a header row naming the export's columns (any subset, any order, hostname
 * among them), separated by commas, or by semicolons throughout. A cell's leading apostrophe that the
 * export added against formulas is taken off; columns the apply does not set (id, timestamps,
 * managed_by, last_seen_at) are skipped; `cf_<name>` columns give custom fields (see ParsedItems).
 */
export async function parseCsv(text: string): Promise<ParsedItems> {
  // The parser counts a CRLF inside a quoted cell as two lines: its count, less those, is the file's.
  // Counted as each record is parsed (on_record runs in order, ahead of the loop below), so that an
  // error, which may come before the loop has taken the records parsed ahead of it, is placed right.
  let overcount = 0;
  let lastLine = 0;
  const options: Options<ParsedRecord, (string | null)[]> = {
    bom: true,
    delimiter: delimiterOf(text),
    skip_empty_lines: true,
    max_record_size: 64 * 1024,
    // An empty cell is null, a quoted empty one the empty string.
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
    on_record: (record, context) => {
      let breaks = 0;
      for (const cell of record) {
        const { pairs, lone } = lineBreaks(cell);
        overcount += pairs;
        breaks += pairs + lone;
      }
      lastLine = context.lines - overcount;
      return { record, line: lastLine - breaks };
    },
  };
  // parse() is typed generically only for options with `columns`, which this one has not.
  const parser = Readable.from(slices(text)).pipe(parse(options as unknown as Options));
  const items: unknown[] = [];
  const lines: number[] = [];
  let columns: Column[] | undefined;
  let customColumns: string[] = [];
  try {
    for await (const { record, line } of parser as AsyncIterable<ParsedRecord>) {
      if (columns === undefined) {
        columns = headerColumns(record);
        customColumns = columns.flatMap((column) => (column !== null && 'custom' in column ? [column.custom] : []));
        continue;
      }
      const item: Record<string, unknown> = {};
      // Text, or null for an empty cell: read by the field's type where the definitions are known.
      const custom: Record<string, string | null> | undefined = customColumns.length > 0 ? {} : undefined;
      record.forEach((cell, i) => {
        const column = columns?.[i];
        if (column === undefined || column === null) {
          return;
        }
        if ('field' in column) {
          item[column.field] = cellValue(column.field, cell);
        } else if (custom !== undefined) {
          custom[column.custom] = cell === null ? null : undefuse(cell);
        }
      });
      if (custom !== undefined) {
        item.custom_fields = custom;
      }
      items.push(item);
      lines.push(line);
      if (items.length > MAX_APPLY_ITEMS) {
        throw tooMany();
      }
      await turnEvery(items.length, TURN);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      // An unclosed quote is found at the end of the body: the record at fault starts on the first
      // line after the last record read. Other faults are found on their record's (last) line.
      const line =
        error.code === 'CSV_QUOTE_NOT_CLOSED'
          ? nextRecordLine(text, lastLine)
          : ((error as CsvError & { lines?: number }).lines ?? lastLine + 1) - overcount;
      throw appError('INVALID_CSV', [{ field: `line ${line}`, message: csvProblem(error) }]);
    }
    throw error;
  } finally {
    parser.destroy();
  }
  if (columns === undefined) {
    throw appError('INVALID_CSV', [{ field: 'body', message: 'is empty: send a header row, then a row per server' }]);
  }
  return { items, lines, customColumns };
}
