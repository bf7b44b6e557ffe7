/**
 * Checks of the documentation against the code, as pure functions of the documents' text: each returns
 * the problems it finds (none when the document is right), so that a test can feed it a broken
 * document and see it fail.
 */

/**
 * The text under a heading (`## Errors`), up to the next heading of the same or a higher level. Headings
 * inside fenced code blocks (a shell comment such as `# Create one server`) do not count.
 */
export function section(markdown: string, heading: string): string {
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const lines = markdown.split('\n');
  let fenced = false;
  let start = -1;
  for (const [index, line] of lines.entries()) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      continue;
    }
    if (start === -1) {
      if (line.trim() === heading) {
        start = index + 1;
      }
      continue;
    }
    const other = /^(#+) /.exec(line);
    if (other?.[1] !== undefined && other[1].length <= level) {
      return lines.slice(start, index).join('\n');
    }
  }
  if (start === -1) {
    throw new Error(`no heading "${heading}"`);
  }
  return lines.slice(start).join('\n');
}

/** The first Markdown table of a text: its header cells and its rows, cells trimmed, `\|` unescaped. */
export function firstTable(markdown: string): { header: string[]; rows: string[][] } {
  const lines = markdown.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  if (first === -1) {
    return { header: [], rows: [] };
  }
  const end = lines.findIndex((line, index) => index > first && !line.startsWith('|'));
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|'));
  const [header = '', , ...rows] = lines.slice(first, end === -1 ? undefined : end);
  return { header: cells(header), rows: rows.map(cells) };
}

/** `` `CODE` `` -> `CODE`; anything else is returned as it is, so that a stray cell shows in the problem. */
function code(cell: string | undefined): string {
  return /^`([^`]+)`$/.exec(cell ?? '')?.[1] ?? cell ?? '';
}

/** Duplicates, missing entries and unknown entries between what a table names and what the code has. */
function compareNames(kind: string, documented: string[], actual: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of documented) {
    if (seen.has(name)) {
      problems.push(`${kind} ${name} is documented twice`);
    }
    seen.add(name);
    if (!actual.includes(name)) {
      problems.push(`${kind} ${name} is documented but does not exist`);
    }
  }
  for (const name of actual) {
    if (!seen.has(name)) {
      problems.push(`${kind} ${name} is missing from the documentation`);
    }
  }
  return problems;
}

/** The errors table of docs/api.md (`| Status | Code | When |`) against the error registry. */
export function errorTableProblems(apiDoc: string, registry: Readonly<Record<string, { status: number }>>): string[] {
  const { rows } = firstTable(section(apiDoc, '## Errors'));
  const documented = rows.map((row) => ({ status: row[0] ?? '', code: code(row[1]) }));
  const problems = compareNames(
    'error code',
    documented.map((row) => row.code),
    Object.keys(registry),
  );
  for (const row of documented) {
    const registered = registry[row.code];
    if (registered !== undefined && String(registered.status) !== row.status) {
      problems.push(
        `error code ${row.code} is documented with status ${row.status}, registered with ${registered.status}`,
      );
    }
  }
  return problems;
}

/** The default column as the schema would say it: `` `value` ``, `(empty)` for '', `none` for no default. */
function documentedDefault(value: string | undefined): string {
  if (value === undefined) {
    return 'none';
  }
  return value === '' ? '(empty)' : `\`${value}\``;
}

/** The variables table of docs/configuration.md (`| Variable | Default | Meaning |`) against the environment's schema. */
export function configurationTableProblems(
  configurationDoc: string,
  variables: Readonly<Record<string, { default?: string }>>,
): string[] {
  const { header, rows } = firstTable(configurationDoc);
  if (header[0] !== 'Variable' || header[1] !== 'Default') {
    return [`the first table is not the variables table (its header: ${header.join(' | ')})`];
  }
  const documented = rows.map((row) => ({ name: code(row[0]), default: row[1] ?? '' }));
  const problems = compareNames(
    'variable',
    documented.map((row) => row.name),
    Object.keys(variables),
  );
  for (const row of documented) {
    const variable = variables[row.name];
    if (variable !== undefined && documentedDefault(variable.default) !== row.default) {
      problems.push(
        `variable ${row.name} is documented with the default ${row.default}, the schema's is ${documentedDefault(variable.default)}`,
      );
    }
  }
  return problems;
}

/** The commands table of docs/operations.md (`| Command | What it does |`) against the CLI's list, arguments included. */
export function cliTableProblems(
  operationsDoc: string,
  commands: readonly { name: string; args?: string | undefined }[],
): string[] {
  const { rows } = firstTable(section(operationsDoc, '## The command-line tool'));
  const synopsis = (command: { name: string; args?: string | undefined }) =>
    command.args === undefined ? command.name : `${command.name} ${command.args}`;
  return compareNames(
    'command',
    rows.map((row) => code(row[0])),
    commands.map(synopsis),
  );
}

/** The routes table of docs/api.md (`| Method and path | Answer |`) against the operations of the OpenAPI document. */
export function routeTableProblems(apiDoc: string, openapi: { paths: Record<string, object> }): string[] {
  const { rows } = firstTable(section(apiDoc, '## Routes'));
  const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const operations = Object.entries(openapi.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
  return compareNames(
    'operation',
    rows.map((row) => code(row[0])),
    operations,
  );
}

/** Every `npm run <script>`, `npm start` and `npm test` of the documents, against package.json's scripts. */
export function npmScriptProblems(
  documents: Readonly<Record<string, string>>,
  scripts: Readonly<Record<string, string>>,
): string[] {
  const problems: string[] = [];
  for (const [file, text] of Object.entries(documents)) {
    const named = [
      ...[...text.matchAll(/\bnpm run(?:\s+--?[a-z-]+)*\s+([a-z][\w:.-]*)/g)].map((m) => m[1] ?? ''),
      ...[...text.matchAll(/\bnpm (start|test)\b/g)].map((m) => m[1] ?? ''),
    ];
    for (const name of new Set(named)) {
      if (!Object.hasOwn(scripts, name)) {
        problems.push(`${file} names npm script "${name}", which package.json does not have`);
      }
    }
  }
  return problems;
}

/** The marker before the quick start's heading, for readers and for `quickStartCommands`. */
export const QUICKSTART_MARKER = '<!-- quickstart:';

/** Lines a fresh clone needs and a test run in the checkout must not repeat. */
const SETUP_LINE = /^(git clone |cd |npm ci\b)/;

/**
 * The commands of the README's quick start, in order: the ```sh blocks of the section that follows
 * the `<!-- quickstart: ...` marker, comments and blank lines dropped, continuation lines (`\`) joined.
 * `git clone`, `cd` and `npm ci` lines are returned apart, as `skipped`.
 */
export function quickStartCommands(readme: string): { commands: string[]; skipped: string[] } {
  const marker = readme.indexOf(QUICKSTART_MARKER);
  if (marker === -1) {
    throw new Error(`the README has no ${QUICKSTART_MARKER} marker`);
  }
  const before = readme.slice(0, marker).trimEnd().split('\n');
  const heading = before[before.length - 1] ?? '';
  if (!heading.startsWith('## ')) {
    throw new Error('the quick start marker must follow its heading');
  }
  const text = section(readme, heading);
  const commands: string[] = [];
  const skipped: string[] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const lines = (block[1] ?? '').replace(/\\\n\s*/g, '').split('\n');
    for (const line of lines.map((l) => l.trim())) {
      if (line === '' || line.startsWith('#')) {
        continue;
      }
      (SETUP_LINE.test(line) ? skipped : commands).push(line);
    }
  }
  return { commands, skipped };
}

/** The marker a guide puts before a fenced block that a test writes to a file of that name and runs. */
export const EXAMPLE_MARKER = '<!-- example: ';

/**
 * The files a guide gives whole, by name: each fenced block right after a `<!-- example: NAME -->`
 * line (blank lines between them allowed), as it is written, with its final line break. A marker
 * without a block, a name that is not a plain file name, or a name given twice, is an error.
 */
export function exampleFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const marker of markdown.matchAll(/^<!-- example: (.*) -->$/gm)) {
    const name = marker[1] ?? '';
    if (!/^[\w-][\w.-]*$/.test(name)) {
      throw new Error(`the example name ${JSON.stringify(name)} is not a plain file name`);
    }
    const rest = markdown.slice(marker.index + marker[0].length);
    const block = /^\n+```[\w-]*\n([\s\S]*?\n)```(?:\n|$)/.exec(rest);
    if (block?.[1] === undefined) {
      throw new Error(`the example ${name} is not followed by a fenced code block`);
    }
    if (files.has(name)) {
      throw new Error(`the example ${name} is given twice`);
    }
    files.set(name, block[1]);
  }
  return files;
}
