import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';

/**
 * The environment, as one schema: every variable the process reads, its default and what it accepts.
 * Values stay strings here (that is what an environment holds) with exact patterns, so that `PORT=8o`
 * or `PORT=` is refused instead of being coerced into something nobody asked for.
 */
const EXPECTED = {
  PORT: 'an integer from 0 to 65535 (0 picks a free port)',
  HOST: 'an address or host name to listen on, such as 127.0.0.1, 0.0.0.0 or ::',
  DATABASE_URL:
    'sqlite:PATH, sqlite:///ABSOLUTE/PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://)',
  DATABASE_POOL_MAX: 'an integer from 1 to 1000 (connections per process, PostgreSQL only)',
  DATABASE_STATEMENT_TIMEOUT_MS: 'an integer number of milliseconds from 0 (no limit) to 3600000',
  INVENTORY_MIGRATE: 'true or false',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  LOG_FORMAT: 'auto (readable lines on a terminal, JSON lines otherwise), json or pretty',
  INVENTORY_SEED: 'true or false',
  INVENTORY_AUTH_READS: 'true or false',
  INVENTORY_BOOTSTRAP_TOKEN: 'at least 32 characters without whitespace',
  INVENTORY_BOOTSTRAP_TOKEN_FILE: 'the path of a readable file holding a token of at least 32 characters',
  SHUTDOWN_GRACE_MS: 'an integer number of milliseconds from 1 to 600000',
  METRICS_ENABLED: 'true or false',
  UI_ENABLED: 'true or false',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true or false',
  WEBHOOK_TIMEOUT_MS: 'an integer number of milliseconds from 1 to 300000',
  WEBHOOK_RETRY_SCHEDULE:
    'a comma-separated list of 1 to 20 waits in seconds between attempts, each an integer from 1 to 604800 (7 days)',
  WEBHOOK_LOG_RETENTION_DAYS: 'an integer number of days from 1 to 3650',
  WEBHOOK_SECRET_KEY: 'the base64 encoding of 32 bytes (44 characters), such as `openssl rand -base64 32` prints',
  STREAM_POLL_MS: 'an integer number of milliseconds from 10 to 60000',
  STREAM_MAX_CLIENTS: 'an integer from 1 to 100000',
  CORS_ORIGINS: 'a comma-separated list of origins such as https://app.example.com (scheme, host and optional port)',
  RATE_LIMIT_PER_MINUTE: 'an integer from 0 (no limit) to 1000000',
  READINESS_TIMEOUT_MS: 'an integer number of milliseconds from 1 to 60000',
  MAX_EVENT_LOOP_DELAY_MS: 'an integer number of milliseconds from 0 (no check) to 60000',
  MAX_CONNECTIONS: 'an integer from 1 to 1000000',
  TRUST_PROXY:
    "a comma-separated list of the proxies' addresses and CIDRs, such as 10.0.0.0/8,fd00::/8 " +
    '(or loopback, linklocal, uniquelocal); empty trusts no proxy',
} as const;

/** A positive decimal integer without sign, leading zero or exponent; ranges are checked after parsing. */
const UNSIGNED_INTEGER = '^(0|[1-9][0-9]{0,8})$';
const ORIGIN_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/;

const MIN_BOOTSTRAP_TOKEN_LENGTH = 32;
const BOOTSTRAP_TOKEN_PATTERN = `^\\S{${MIN_BOOTSTRAP_TOKEN_LENGTH},}$`;

export const EnvSchema = Type.Object({
  PORT: Type.String({
    pattern: '^(0|[1-9][0-9]{0,4})$',
    default: '5000',
    description: EXPECTED.PORT,
  }),
  HOST: Type.String({
    pattern: '^[^\\s]+$',
    default: '127.0.0.1',
    description: EXPECTED.HOST,
  }),
  DATABASE_URL: Type.String({
    minLength: 1,
    default: 'sqlite:data/inventory.db',
    description: EXPECTED.DATABASE_URL,
  }),
  DATABASE_POOL_MAX: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '10',
    description: EXPECTED.DATABASE_POOL_MAX,
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '30000',
    description: EXPECTED.DATABASE_STATEMENT_TIMEOUT_MS,
  }),
  INVENTORY_MIGRATE: Type.Enum(['true', 'false'], {
    default: 'true',
    description: EXPECTED.INVENTORY_MIGRATE,
  }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: EXPECTED.LOG_LEVEL,
  }),
  LOG_FORMAT: Type.Enum(['auto', 'json', 'pretty'], {
    default: 'auto',
    description: EXPECTED.LOG_FORMAT,
  }),
  INVENTORY_SEED: Type.Enum(['true', 'false'], {
    default: 'true',
    description: EXPECTED.INVENTORY_SEED,
  }),
  INVENTORY_AUTH_READS: Type.Enum(['true', 'false'], {
    default: 'false',
    description: EXPECTED.INVENTORY_AUTH_READS,
  }),
  INVENTORY_BOOTSTRAP_TOKEN: Type.Optional(
    Type.String({ pattern: BOOTSTRAP_TOKEN_PATTERN, description: EXPECTED.INVENTORY_BOOTSTRAP_TOKEN }),
  ),
  INVENTORY_BOOTSTRAP_TOKEN_FILE: Type.Optional(
    Type.String({ minLength: 1, description: EXPECTED.INVENTORY_BOOTSTRAP_TOKEN_FILE }),
  ),
  SHUTDOWN_GRACE_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '10000',
    description: EXPECTED.SHUTDOWN_GRACE_MS,
  }),
  METRICS_ENABLED: Type.Enum(['true', 'false'], { default: 'true', description: EXPECTED.METRICS_ENABLED }),
  UI_ENABLED: Type.Enum(['true', 'false'], { default: 'true', description: EXPECTED.UI_ENABLED }),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: Type.Enum(['true', 'false'], {
    default: 'false',
    description: EXPECTED.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
  }),
  WEBHOOK_TIMEOUT_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '15000',
    description: EXPECTED.WEBHOOK_TIMEOUT_MS,
  }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    default: '5,300,1800,7200,18000,36000,36000',
    description: EXPECTED.WEBHOOK_RETRY_SCHEDULE,
  }),
  WEBHOOK_LOG_RETENTION_DAYS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '30',
    description: EXPECTED.WEBHOOK_LOG_RETENTION_DAYS,
  }),
  WEBHOOK_SECRET_KEY: Type.Optional(Type.String({ minLength: 1, description: EXPECTED.WEBHOOK_SECRET_KEY })),
  STREAM_POLL_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '1000',
    description: EXPECTED.STREAM_POLL_MS,
  }),
  STREAM_MAX_CLIENTS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '1000',
    description: EXPECTED.STREAM_MAX_CLIENTS,
  }),
  CORS_ORIGINS: Type.String({ default: '', description: EXPECTED.CORS_ORIGINS }),
  RATE_LIMIT_PER_MINUTE: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '0',
    description: EXPECTED.RATE_LIMIT_PER_MINUTE,
  }),
  READINESS_TIMEOUT_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '1000',
    description: EXPECTED.READINESS_TIMEOUT_MS,
  }),
  MAX_EVENT_LOOP_DELAY_MS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '1000',
    description: EXPECTED.MAX_EVENT_LOOP_DELAY_MS,
  }),
  // An idle keep-alive connection costs at most 6 KB (measured: 2000 of them, both ends in one process,
  // 5.9 KB of RSS each), so the default holds idle connections to about 24 MB of the 256 MiB that the
  // deployments give a replica.
  MAX_CONNECTIONS: Type.String({
    pattern: UNSIGNED_INTEGER,
    default: '4096',
    description: EXPECTED.MAX_CONNECTIONS,
  }),
  TRUST_PROXY: Type.String({ default: '', description: EXPECTED.TRUST_PROXY }),
});

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface SqliteConfig {
  readonly dialect: 'sqlite';
  /** A file path, or `:memory:` for a throwaway database. */
  readonly filename: string;
}

export interface PostgresConfig {
  readonly dialect: 'postgres';
  /**
   * The connection URL as given, TLS settings (sslmode, sslrootcert ...) included. It holds the
   * password: never log it or put it in an error.
   */
  readonly url: string;
  /** The most connections the process keeps open. */
  readonly poolMax: number;
  /** PostgreSQL cancels a statement running longer than this; 0: never. */
  readonly statementTimeoutMs: number;
}

export type DatabaseConfig = SqliteConfig | PostgresConfig;

export interface AuthConfig {
  /** Whether reads need a token too (writes always do). */
  readonly reads: boolean;
  /** SHA-256 of INVENTORY_BOOTSTRAP_TOKEN(_FILE), hex; the token itself is not kept. */
  readonly bootstrapTokenHash: string | undefined;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseConfig;
  readonly logLevel: LogLevel;
  /** JSON lines for machines, readable lines for people; auto: readable when stdout is a terminal. */
  readonly logFormat: LogFormat;
  /** Apply pending migrations at start; with false, a schema that is behind stops the start. */
  readonly migrate: boolean;
  /** Seed the two sample servers into a new, empty database. */
  readonly seed: boolean;
  readonly auth: AuthConfig;
  /** How long in-flight requests get to finish after SIGTERM or SIGINT. */
  readonly shutdownGraceMs: number;
  /** Whether `GET /metrics` exists and requests are measured. */
  readonly metricsEnabled: boolean;
  /** Whether the web console is served at / (UI_ENABLED). */
  readonly uiEnabled: boolean;
  readonly webhooks: WebhooksConfig;
  readonly streams: StreamsConfig;
  /** Origins allowed to call the API from a browser; empty: CORS stays off. */
  readonly corsOrigins: readonly string[];
  /** Requests per minute and client address; 0: no limit. */
  readonly rateLimitPerMinute: number;
  /** How long the readiness check waits for the database. */
  readonly readinessTimeoutMs: number;
  /** Mean event-loop delay above which requests get 503 with Retry-After; 0: no check. */
  readonly maxEventLoopDelayMs: number;
  /** Open connections beyond which a new one is closed as soon as it is accepted. */
  readonly maxConnections: number;
  /**
   * The proxies whose X-Forwarded-For is believed (addresses, CIDRs, or proxy-addr's names loopback,
   * linklocal and uniquelocal); empty: none, the client is the connection's peer.
   */
  readonly trustProxy: readonly string[];
}

/** The change stream (GET /api/v1/changes/stream). */
export interface StreamsConfig {
  /**
   * How often the process reads the change table for its streams: the longest a change written through
   * another replica takes to reach them (a write of this process reaches them at once).
   */
  readonly pollMs: number;
  /** Streams open at once in this process; one more is answered 503 TOO_MANY_STREAMS. */
  readonly maxClients: number;
}

export interface WebhooksConfig {
  /** Whether webhook URLs may reach loopback, private, link-local and other non-public addresses. */
  readonly allowPrivateNetworks: boolean;
  /** How long one attempt may take, answer included. */
  readonly timeoutMs: number;
  /** The waits between attempts, in seconds: one attempt more than waits in all. */
  readonly retrySchedule: readonly number[];
  /** How long deliveries and their attempts are kept, in days. */
  readonly logRetentionDays: number;
  /**
   * The AES-256 key that seals the signing secrets in the database (WEBHOOK_SECRET_KEY); undefined: they
   * are stored as they are. Never log it or put it in an error.
   */
  readonly secretKey: Buffer | undefined;
}

/** The most waits WEBHOOK_RETRY_SCHEDULE may list, and the longest one (7 days). */
export const MAX_RETRY_STEPS = 20;
const MAX_RETRY_WAIT_SECONDS = 604_800;

/** WEBHOOK_RETRY_SCHEDULE as seconds, or undefined if it is not a list of 1 to 20 waits in range. */
function parseRetrySchedule(value: string): number[] | undefined {
  const steps = value.split(',').map((step) => step.trim());
  const waits = steps.map((step) => (/^[1-9][0-9]{0,6}$/.test(step) ? Number(step) : NaN));
  return waits.length <= MAX_RETRY_STEPS && waits.every((wait) => wait <= MAX_RETRY_WAIT_SECONDS) ? waits : undefined;
}

/** WEBHOOK_SECRET_KEY as its 32 bytes, or undefined if it is not their base64 encoding. */
function parseSecretKey(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(value)) {
    return undefined;
  }
  const key = Buffer.from(value, 'base64');
  return key.length === 32 ? key : undefined;
}

/** The webhooks' settings, every problem added to `problems`. */
function parseWebhooks(env: Static<typeof EnvSchema>, problems: string[]): WebhooksConfig {
  const retrySchedule = parseRetrySchedule(env.WEBHOOK_RETRY_SCHEDULE);
  if (retrySchedule === undefined) {
    problems.push(`WEBHOOK_RETRY_SCHEDULE must be ${EXPECTED.WEBHOOK_RETRY_SCHEDULE}`);
  }
  const secretKey = env.WEBHOOK_SECRET_KEY === undefined ? undefined : parseSecretKey(env.WEBHOOK_SECRET_KEY);
  if (env.WEBHOOK_SECRET_KEY !== undefined && secretKey === undefined) {
    problems.push(`WEBHOOK_SECRET_KEY must be ${EXPECTED.WEBHOOK_SECRET_KEY}`);
  }
  return Object.freeze({
    allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true',
    timeoutMs: inRange(env, 'WEBHOOK_TIMEOUT_MS', 1, 300_000, problems),
    retrySchedule: Object.freeze(retrySchedule ?? []),
    logRetentionDays: inRange(env, 'WEBHOOK_LOG_RETENTION_DAYS', 1, 3650, problems),
    secretKey,
  });
}

/**
 * The database in use, for the startup line: the SQLite file, or the PostgreSQL server and database.
 * Never the user or the password.
 */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.dialect === 'sqlite') {
    return database.filename === MEMORY ? 'SQLite in memory' : `SQLite ${database.filename}`;
  }
  const url = new URL(database.url);
  const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname;
  return `PostgreSQL ${host}:${url.port === '' ? '5432' : url.port}${decodeURIComponent(url.pathname)}`;
}

/** Thrown when the environment is invalid; its message names every variable at fault, never a value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const MEMORY = ':memory:';

/** A PostgreSQL URL, checked without ever repeating it (it holds the password). */
function parsePostgresUrl(url: string, poolMax: number, statementTimeoutMs: number): PostgresConfig | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `DATABASE_URL must be ${EXPECTED.DATABASE_URL}`;
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    return 'DATABASE_URL must name the PostgreSQL host: postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  }
  if (parsed.pathname.length <= 1) {
    return 'DATABASE_URL must name the PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/DATABASE';
  }
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    return `DATABASE_URL's sslmode must be one of ${SSL_MODES.join(', ')}`;
  }
  return { dialect: 'postgres', url, poolMax, statementTimeoutMs };
}

/** The sslmode values libpq knows, which the pg driver reads from the URL. */
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

function parseDatabaseUrl(url: string, poolMax: number, statementTimeoutMs: number): DatabaseConfig | string {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return parsePostgresUrl(url, poolMax, statementTimeoutMs);
  }
  if (!url.startsWith('sqlite:')) {
    return `DATABASE_URL must be ${EXPECTED.DATABASE_URL}`;
  }
  let filename = url.slice('sqlite:'.length);
  if (filename.startsWith('//')) {
    filename = filename.slice(2);
  }
  if (filename === '' || filename === '/') {
    return `DATABASE_URL must name a database file: ${EXPECTED.DATABASE_URL}`;
  }
  return { dialect: 'sqlite', filename: filename === MEMORY ? MEMORY : filename };
}

/** The bootstrap token from the variable or from the file it names (a mounted secret), checked. */
function readBootstrapToken(
  value: string | undefined,
  file: string | undefined,
): string | undefined | { problem: string } {
  if (value !== undefined && file !== undefined) {
    return { problem: 'INVENTORY_BOOTSTRAP_TOKEN and INVENTORY_BOOTSTRAP_TOKEN_FILE must not both be set' };
  }
  if (file === undefined) {
    return value;
  }
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    return { problem: `INVENTORY_BOOTSTRAP_TOKEN_FILE must be ${EXPECTED.INVENTORY_BOOTSTRAP_TOKEN_FILE}` };
  }
  // Secret files usually end with a newline; the token is the content without surrounding whitespace.
  const token = content.trim();
  if (!new RegExp(BOOTSTRAP_TOKEN_PATTERN).test(token)) {
    return { problem: `INVENTORY_BOOTSTRAP_TOKEN_FILE must be ${EXPECTED.INVENTORY_BOOTSTRAP_TOKEN_FILE}` };
  }
  return token;
}

/** A variable already known to be a decimal integer, checked against its range. */
function inRange(
  env: Readonly<Record<string, string>>,
  name: keyof typeof EXPECTED,
  min: number,
  max: number,
  problems: string[],
): number {
  const value = Number(env[name]);
  if (value < min || value > max) {
    problems.push(`${name} must be ${EXPECTED[name]}`);
  }
  return value;
}

/** `https://a.example, http://localhost:3000` -> the origins, or undefined if one is malformed. */
function parseOrigins(list: string): string[] | undefined {
  const origins = list
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return origins.every((origin) => ORIGIN_PATTERN.test(origin)) ? origins : undefined;
}

/** proxy-addr's names for ranges of addresses, which Fastify's trustProxy accepts beside addresses. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, or an address and a prefix length within its family's bits. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    return false;
  }
  return prefix === undefined || (/^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** TRUST_PROXY as the list Fastify's trustProxy takes, or the problem with it. */
function parseTrustProxy(value: string): string[] | { problem: string } {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // Fastify 5 ignores a hop count (a count cannot tell a proxy from a client that sends the header
  // itself), and `true` would let every client choose its own address: neither may pass for a setting.
  if (entries.length === 1 && /^[0-9]+$/.test(entries[0] ?? '')) {
    return {
      problem:
        "TRUST_PROXY must list the proxies' addresses or CIDRs, not a hop count: a count cannot tell a proxy " +
        'from a client that sends X-Forwarded-For itself',
    };
  }
  if (entries.length === 1 && /^(true|\*)$/i.test(entries[0] ?? '')) {
    return {
      problem:
        "TRUST_PROXY must list the proxies' addresses or CIDRs, not trust everyone (any client could then " +
        'choose its own address); 0.0.0.0/0,::/0 says so explicitly if every peer really is a proxy',
    };
  }
  if (!entries.every((entry) => PROXY_RANGE_NAMES.has(entry) || isAddressOrCidr(entry))) {
    return { problem: `TRUST_PROXY must be ${EXPECTED.TRUST_PROXY}` };
  }
  return entries;
}

/**
 * Reads the configuration from an environment (process.env in production), once.
 * Unknown variables are ignored; known ones are validated together so that one run reports every mistake.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const properties: Record<string, TSchema> = EnvSchema.properties;
  const raw: Record<string, string> = {};
  for (const name of Object.keys(properties)) {
    const value = env[name];
    if (value !== undefined) {
      raw[name] = value;
    }
  }
  const withDefaults = Value.Default(EnvSchema, raw);

  const problems: string[] = [];
  const failed = new Set<string>();
  for (const error of Value.Errors(EnvSchema, withDefaults)) {
    const name = error.instancePath.replace(/^\//, '');
    if (name !== '' && !failed.has(name)) {
      failed.add(name);
      problems.push(`${name} must be ${EXPECTED[name as keyof typeof EXPECTED]}`);
    }
  }
  // A variable that failed its schema takes its default (or none) for the checks below, so that they
  // report the other variables' mistakes in the same run, and nothing twice.
  const checkable = {
    ...(Value.Default(EnvSchema, {}) as Record<string, unknown>),
    ...Object.fromEntries(
      Object.entries(withDefaults as Record<string, unknown>).filter(([name]) => !failed.has(name)),
    ),
  };
  const env_ = checkable as Static<typeof EnvSchema>;

  const port = Number(env_.PORT);
  if (port > 65535) {
    problems.push(`PORT must be ${EXPECTED.PORT}`);
  }
  const shutdownGraceMs = inRange(env_, 'SHUTDOWN_GRACE_MS', 1, 600_000, problems);
  const rateLimitPerMinute = inRange(env_, 'RATE_LIMIT_PER_MINUTE', 0, 1_000_000, problems);
  const readinessTimeoutMs = inRange(env_, 'READINESS_TIMEOUT_MS', 1, 60_000, problems);
  const maxEventLoopDelayMs = inRange(env_, 'MAX_EVENT_LOOP_DELAY_MS', 0, 60_000, problems);
  const maxConnections = inRange(env_, 'MAX_CONNECTIONS', 1, 1_000_000, problems);
  const corsOrigins = parseOrigins(env_.CORS_ORIGINS);
  if (corsOrigins === undefined) {
    problems.push(`CORS_ORIGINS must be ${EXPECTED.CORS_ORIGINS}`);
  }
  const poolMax = inRange(env_, 'DATABASE_POOL_MAX', 1, 1000, problems);
  const statementTimeoutMs = inRange(env_, 'DATABASE_STATEMENT_TIMEOUT_MS', 0, 3_600_000, problems);
  const database = parseDatabaseUrl(env_.DATABASE_URL, poolMax, statementTimeoutMs);
  if (typeof database === 'string') {
    problems.push(database);
  }
  const bootstrapToken = readBootstrapToken(env_.INVENTORY_BOOTSTRAP_TOKEN, env_.INVENTORY_BOOTSTRAP_TOKEN_FILE);
  if (typeof bootstrapToken === 'object') {
    problems.push(bootstrapToken.problem);
  }
  const trustProxy = parseTrustProxy(env_.TRUST_PROXY);
  if (!Array.isArray(trustProxy)) {
    problems.push(trustProxy.problem);
  }
  const webhooks = parseWebhooks(env_, problems);
  const streams = Object.freeze({
    pollMs: inRange(env_, 'STREAM_POLL_MS', 10, 60_000, problems),
    maxClients: inRange(env_, 'STREAM_MAX_CLIENTS', 1, 100_000, problems),
  });
  if (
    problems.length > 0 ||
    typeof database === 'string' ||
    typeof bootstrapToken === 'object' ||
    corsOrigins === undefined ||
    !Array.isArray(trustProxy)
  ) {
    throw new ConfigError(problems);
  }

  return Object.freeze({
    port,
    host: env_.HOST,
    database: Object.freeze(database),
    logLevel: env_.LOG_LEVEL,
    logFormat: env_.LOG_FORMAT,
    migrate: env_.INVENTORY_MIGRATE === 'true',
    seed: env_.INVENTORY_SEED === 'true',
    auth: Object.freeze({
      reads: env_.INVENTORY_AUTH_READS === 'true',
      bootstrapTokenHash:
        bootstrapToken === undefined ? undefined : createHash('sha256').update(bootstrapToken, 'utf8').digest('hex'),
    }),
    shutdownGraceMs,
    metricsEnabled: env_.METRICS_ENABLED === 'true',
    uiEnabled: env_.UI_ENABLED === 'true',
    webhooks,
    streams,
    corsOrigins: Object.freeze(corsOrigins),
    rateLimitPerMinute,
    readinessTimeoutMs,
    maxEventLoopDelayMs,
    maxConnections,
    trustProxy: Object.freeze(trustProxy),
  });
}
