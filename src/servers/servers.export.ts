import { CUSTOM_FIELD_PREFIX } from '../custom-fields/custom-fields.schemas.js';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Definition, valueAsText } from '../custom-fields/custom-fields.values.js';
import { type FieldsWith, fieldsWith } from './server-fields.js';
import type { ListedServer } from './servers.schemas.js';

export const EXPORT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CSV_TYPE = 'text/csv; charset=utf-8; header=present';
export const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';

/** The CSV's fixed columns: the fields declared with `csv` (server-fields.ts), named after them, in their order. */
export const CSV_COLUMNS = fieldsWith('csv') as FieldsWith<'csv'>[];
/** The prefix of a custom field's column: `cf_<name>`, after the fixed columns. */
export const CUSTOM_COLUMN_PREFIX = CUSTOM_FIELD_PREFIX;

/** The header row: the fixed columns, then `cf_<name>` for each custom field, in the order given. */
export function csvHeader(customFields: readonly string[]): string {
  let header = CSV_COLUMNS.join(',');
  for (const name of customFields) {
    header += `,${CUSTOM_COLUMN_PREFIX}${name}`;
  }
  return `${header}\r\n`;
}

/**
 * The first character a spreadsheet may look at for a formula: not white space (U+00A0 and U+3000
 * included), not a control (NUL, line breaks, U+0085), not an invisible format character (zero-width
 * space, BOM, bidi marks), none of which a reader of the file would see in front of the formula.
 */
const SIGNIFICANT = /[^\s\p{Cc}\p{Cf}]/u;
const FORMULA_TRIGGER = /^[=+\-@]/;
/** Tab, CR and LF (OWASP's CSV Injection list) and NUL (ASVS 1.2.10) are defused wherever they lead. */
const DEFUSED_LEADS = /^[\t\r\n\0]/;

function startsFormula(value: string): boolean {
  if (DEFUSED_LEADS.test(value)) {
    return true;
  }
  const first = SIGNIFICANT.exec(value)?.[0];
  // Under NFKC the fullwidth, small, superscript and other compatibility forms of the triggers are
  // the triggers ("＝" is "=", "⁺" is "+", "⩵" is "=="): a reader cannot tell them apart, and any
  // tool on the way that folds text (as search and input normalisation often do) makes them live.
  // Folding that one character, not the cell, keeps the cost flat and still finds every cell whose
  // NFKC form starts with a trigger: no trigger is composed from what follows it, and no character
  // folds to white space before a trigger (checked over every code point). It finds a few more:
  // "⁼" before U+0338, which the cell's NFKC composes to "≠", is defused like "=" before U+0338.
  return first !== undefined && FORMULA_TRIGGER.test(first.normalize('NFKC'));
}

/** Whether the export marks a cell with an apostrophe (see defuse). */
function needsMark(value: string): boolean {
  let start = 0;
  while (value.charCodeAt(start) === 0x27) {
    start += 1;
  }
  return startsFormula(start === 0 ? value : value.slice(start));
}

/**
 * A cell a spreadsheet would run as a formula (CSV injection) with a leading apostrophe, which
 * spreadsheets display as text: one that starts with = + - or @, also behind leading white space,
 * controls or invisible characters and in fullwidth or other compatibility forms (NFKC), and one
 * that starts with a tab, CR, LF or NUL. A cell that starts with apostrophes before such a one gets
 * one more, so that the mark can always be told from the value's own apostrophes: undefuse gives the
 * value back exactly, which an apply of an exported file relies on.
 */
export function defuse(value: string): string {
  const first = value.charCodeAt(0);
  // Most cells start with a printable ASCII character other than a space or an apostrophe: that
  // character alone decides, and the export never normalises or scans them.
  if (first > 0x20 && first < 0x7f && first !== 0x27) {
    return first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 ? `'${value}` : value;
  }
  return needsMark(value) ? `'${value}` : value;
}

/** A cell's value without the apostrophe that defuse put in front of it: undefuse(defuse(v)) is v. */
export function undefuse(cell: string): string {
  return cell.charCodeAt(0) === 0x27 && needsMark(cell.slice(1)) ? cell.slice(1) : cell;
}

/**
 * The cells that are quoted, with their quotes doubled: those holding a comma, a quote or a line
 * break (CR, LF or both; an unquoted bare LF would end the record for most readers). This is
 * csv-stringify 6's output with `record_delimiter: 'windows'` and `quoted_match: /[\r\n]/`, which
 * tests/servers/servers.csv.test.ts compares byte for byte; that library allocated about 4.5 KB per row
 * for 160 bytes of CSV, several objects per cell.
 */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One cell of RFC 4180 CSV; null is an empty cell and the empty string a quoted one (`""`), so that an
 * apply of the file tells them apart.
 */
export function csvCell(value: string | null): string {
  if (value === null) {
    return '';
  }
  if (value === '') {
    return '""';
  }
  const text = defuse(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A field's value as the text of its cell: a list's items separated by spaces (none: null), null as an empty cell. */
function cellText(value: ListedServer[(typeof CSV_COLUMNS)[number]]): string | null {
  if (typeof value === 'number') {
    // Not String(id): V8 keeps the strings of the numbers it converts that way in a cache, which
    // kept every id's string alive across young-generation GCs, so each 100,000-row export moved
    // 2 to 3 MB of them into the old generation. toFixed(0) gives the same digits for an integer.
    return value.toFixed(0);
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? null : value.join(' ');
  }
  return value;
}

const NO_CUSTOM_FIELDS: readonly string[] = [];

/**
 * One server as a CSV record, CRLF included; tags in one cell separated by spaces; then the value of
 * each of `customFields` (by name) as text, defused and quoted as any other cell, empty without one.
 */
export function csvRecord(server: ListedServer, customFields = NO_CUSTOM_FIELDS): string {
  let record = '';
  let separator = '';
  for (const field of CSV_COLUMNS) {
    record += `${separator}${csvCell(cellText(server[field]))}`;
    separator = ',';
  }
  if (customFields.length > 0) {
    const values = server.custom_fields;
    for (const name of customFields) {
      const value = values[name];
      record += value === undefined ? ',' : `,${csvCell(valueAsText(value))}`;
    }
  }
  return `${record}\r\n`;
}

function csvChunk(servers: ListedServer[], header: string | null, customFields: readonly string[]): string {
  let chunk = header ?? '';
  for (const server of servers) {
    chunk += csvRecord(server, customFields);
  }
  return chunk;
}

/**
 * JSON leaves U+2028, U+2029 and U+0085 raw in strings, yet Python's str.splitlines() and many log
 * shippers end a line at each, cutting a record in two (JSON.stringify escapes every other line
 * break they know). It writes them nowhere but inside strings, where their escapes mean the same.
 */
const RAW_LINE_BREAKS = /[\u2028\u2029\u0085]/g;
const ESCAPED: Readonly<Record<string, string>> = { '\u2028': '\\u2028', '\u2029': '\\u2029', '\u0085': '\\u0085' };

/** Servers as NDJSON lines, each one JSON text whatever line splitter reads it. */
function ndjsonChunk(servers: ListedServer[]): string {
  const chunk = servers.map((server) => `${JSON.stringify(server)}\n`).join('');
  // One scan of the chunk; replace() gives the same string back when there is nothing to replace.
  return chunk.replace(RAW_LINE_BREAKS, (c) => ESCAPED[c] ?? c);
}

/**
 * The export as a stream of text, pulled chunk by chunk from `chunks`: the database is read only as
 * fast as the client takes the response, and a client that goes away stops the reading. The CSV has
 * a column for each of `definitions`, read once before the export: a field defined meanwhile has
 * none, and one deleted meanwhile has empty cells from then on (its values are gone).
 */
export function exportStream(
  format: Exclude<ExportFormat, 'json'>,
  definitions: readonly Pick<Definition, 'name'>[],
  chunks: AsyncGenerator<ListedServer[]>,
): Readable {
  const customFields = definitions.map(({ name }) => name);
  const header = csvHeader(customFields);
  async function* lines() {
    let first = true;
    for await (const servers of chunks) {
      yield format === 'csv' ? csvChunk(servers, first ? header : null, customFields) : ndjsonChunk(servers);
      first = false;
      // A client that reads as fast as the server writes (on the same host, or a fast network)
      // never fills the socket: every write completes at once, the next chunk is read from a
      // promise callback, and without this the whole export ran in one turn of the event loop
      // (1 to 2.5 s for 100,000 servers), stalling every other request and timer meanwhile.
      await nextTurn();
    }
    if (first && format === 'csv') {
      yield header;
    }
  }
  // As strings (`encoding`), not Buffers, which the socket copies for each write: with Buffers, whose
  // bytes live outside V8's heap, a 100,000-server CSV export grew RSS by 15–20 MiB in the container's
  // limits, with strings by 2–8 MiB (docs/benchmarks.md, "Fourth pass"; why is not proven).
  return Readable.from(lines(), { objectMode: false, encoding: 'utf8' });
}

const MEDIA_TYPES: Readonly<Record<string, ExportFormat>> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
};

/**
 * The format a request asks for: `format=` first, then the Accept header (RFC 9110 12.5.1: the
 * highest q wins, then the first listed; q=0 refuses a type); JSON when nothing else is wanted.
 */
export function requestedFormat(format: ExportFormat | undefined, accept: string | undefined): ExportFormat {
  if (format !== undefined) {
    return format;
  }
  let best: { format: ExportFormat; q: number } | undefined;
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const wanted = MEDIA_TYPES[type];
    if (wanted !== undefined && Number.isFinite(q) && q > 0 && (best === undefined || q > best.q)) {
      best = { format: wanted, q };
    }
  }
  return best?.format ?? 'json';
}
