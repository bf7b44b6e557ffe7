import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { USAGE } from './cli.usage.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase } from './db/connect.js';
import { ensureSchema, migrateToLatest } from './db/migrator.js';
import type { Database } from './db/types.js';
import { AppError } from './errors.js';
import { MAX_GRACE_SECONDS, TOKEN_SCOPES, type TokenScope } from './tokens/tokens.schemas.js';
import { CLI_ACTOR, type TokenInfo, createTokensService } from './tokens/tokens.service.js';

class UsageError extends Error {}

function isScope(value: string | undefined): value is TokenScope {
  return TOKEN_SCOPES.includes(value as TokenScope);
}

/** A domain error as the CLI prints it: the message, then each detail on a line of its own. */
function describeAppError(error: AppError): string {
  return [error.message, ...(error.details ?? []).map((d) => `  ${d.field}: ${d.message}`)].join('\n');
}

/** node:util parseArgs's refusals (unknown option, missing value), which are the user's to fix. */
function isParseArgsError(error: unknown): boolean {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

/** Opens the configured database, its schema checked (or migrated, as INVENTORY_MIGRATE says), for one command. */
async function withDatabase<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const db = createDatabase(config.database);
  try {
    await ensureSchema(db, { migrate: config.migrate });
    return await work(db);
  } finally {
    await db.destroy();
  }
}

async function migrate(): Promise<void> {
  const config = loadConfig(process.env);
  const db = createDatabase(config.database);
  try {
    const { results } = await migrateToLatest(db);
    const applied = (results ?? []).filter((r) => r.status === 'Success');
    process.stdout.write(
      applied.length === 0
        ? 'Database schema is up to date.\n'
        : applied.map((r) => `Applied ${r.migrationName}\n`).join(''),
    );
  } finally {
    await db.destroy();
  }
}

function tokenTable(tokens: TokenInfo[]): string {
  if (tokens.length === 0) {
    return 'No tokens.\n';
  }
  const rows = [
    ['NAME', 'SCOPE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
    ...tokens.map((t) => [t.name, t.scope, t.status, t.created_at ?? '-', t.expires_at ?? '-', t.last_used_at ?? '-']),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return (
    rows
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

async function token(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      'expires-in-days': { type: 'string' },
      'grace-seconds': { type: 'string' },
    },
  });
  const [action, ...rest] = positionals;
  switch (action ?? '') {
    case 'create': {
      // Each argument at fault, named: "needs --name" for a wrong --scope sent people looking elsewhere.
      const problems = [
        ...(values.name === undefined ? ['token create needs --name NAME'] : []),
        ...(values.scope === undefined
          ? ['token create needs --scope read|write|admin']
          : !isScope(values.scope)
            ? [`--scope must be read, write or admin (got ${JSON.stringify(values.scope)})`]
            : []),
        ...(rest.length > 0 ? [`token create takes no other argument (got ${JSON.stringify(rest.join(' '))})`] : []),
      ];
      if (problems.length > 0 || values.name === undefined || !isScope(values.scope)) {
        throw new UsageError(problems.join('\n'));
      }
      const days = values['expires-in-days'];
      if (days !== undefined && !/^[1-9][0-9]{0,4}$/.test(days)) {
        throw new UsageError('--expires-in-days must be a whole number of days, 1 or more');
      }
      const scope: TokenScope = values.scope;
      const name = values.name;
      const { secret, token: created } = await withDatabase((db) =>
        createTokensService(db).create({
          name,
          scope,
          actor: CLI_ACTOR,
          ...(days === undefined ? {} : { expiresInDays: Number(days) }),
        }),
      );
      process.stdout.write(
        `Created ${created.scope} token "${created.name}"` +
          (created.expires_at === null ? ', without expiry' : `, expiring ${created.expires_at}`) +
          '.\nStore the secret now: it is not kept and cannot be shown again.\n' +
          `${secret}\n`,
      );
      return;
    }
    case 'list':
      process.stdout.write(tokenTable(await withDatabase((db) => createTokensService(db).list())));
      return;
    case 'rotate': {
      const [name] = rest;
      if (name === undefined || rest.length > 1) {
        throw new UsageError('token rotate needs the NAME of the token');
      }
      const grace = values['grace-seconds'] ?? '0';
      if (!/^(0|[1-9][0-9]{0,5})$/.test(grace) || Number(grace) > MAX_GRACE_SECONDS) {
        throw new UsageError(`--grace-seconds must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`);
      }
      const { secret, token: rotated } = await withDatabase((db) =>
        createTokensService(db).rotate(name, { graceSeconds: Number(grace), actor: CLI_ACTOR }),
      );
      process.stdout.write(
        `Rotated token "${rotated.name}"` +
          (rotated.grace_until === null
            ? '; the previous secret no longer works'
            : `; the previous secret works until ${rotated.grace_until}`) +
          '.\nStore the new secret now: it is not kept and cannot be shown again.\n' +
          `${secret}\n`,
      );
      return;
    }
    case 'revoke': {
      const [name] = rest;
      if (name === undefined || rest.length > 1) {
        throw new UsageError('token revoke needs the NAME of the token');
      }
      await withDatabase((db) => createTokensService(db).revoke(name, CLI_ACTOR));
      process.stdout.write(`Revoked token "${name}".\n`);
      return;
    }
    default:
      throw new UsageError(`Unknown token command: ${action ?? '(none)'}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'migrate':
      parseArgs({ args: rest, strict: true });
      await migrate();
      return 0;
    case 'token':
      await token(rest);
      return 0;
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case undefined:
      process.stdout.write(`${USAGE}\n`);
      return 2;
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const known = error instanceof ConfigError || isParseArgsError(error);
    const message =
      error instanceof AppError && error.statusCode < 500
        ? describeAppError(error)
        : known
          ? (error as Error).message
          : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  }
}
