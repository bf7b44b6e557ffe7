/** A command of the command-line tool, as its usage text shows it. */
export interface CliCommand {
  /** The words that name it, such as `token create`. */
  readonly name: string;
  /** Its arguments after the name, if any. */
  readonly args?: string;
  /** What it does, one line of the usage text per entry. */
  readonly summary: readonly string[];
}

/** Every command `src/cli.ts` runs: the usage text is built from this list, and the docs are checked against it. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  { name: 'migrate', summary: ['bring the database schema up to date, then exit'] },
  {
    name: 'token create',
    args: '--name NAME --scope read|write|admin [--expires-in-days N]',
    summary: ['create an API token; its secret is the last line printed,', 'and is shown only this once'],
  },
  { name: 'token list', summary: ['list the tokens (never their secrets)'] },
  {
    name: 'token rotate',
    args: 'NAME [--grace-seconds N]',
    summary: [
      'give a token a new secret (the last line printed); the old',
      'one keeps working N seconds more (0, the default, to 604800)',
    ],
  },
  { name: 'token revoke', args: 'NAME', summary: ['revoke a token at once'] },
  { name: 'help', summary: ['show this message'] },
];

const COLUMN = 32;

function usageLines({ name, args, summary }: CliCommand): string[] {
  const synopsis = args === undefined ? name : `${name} ${args}`;
  const indent = ' '.repeat(COLUMN + 2);
  const [first = '', ...rest] = summary;
  const head = synopsis.length < COLUMN ? [`  ${synopsis.padEnd(COLUMN)}${first}`] : [`  ${synopsis}`, indent + first];
  return [...head, ...rest.map((line) => indent + line)];
}

export const USAGE = `Usage: npm run cli -- <command>

Commands:
${CLI_COMMANDS.flatMap(usageLines).join('\n')}

Configuration comes from the same environment variables as the server (DATABASE_URL ...).`;
