import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { hashToken } from '../src/tokens/tokens.service.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toStrictEqual({
      port: 5000,
      host: '127.0.0.1',
      database: { dialect: 'sqlite', filename: 'data/inventory.db' },
      logLevel: 'info',
      logFormat: 'auto',
      migrate: true,
      seed: true,
      auth: { reads: false, bootstrapTokenHash: undefined },
      shutdownGraceMs: 10_000,
      metricsEnabled: true,
      uiEnabled: true,
      webhooks: {
        allowPrivateNetworks: false,
        timeoutMs: 15_000,
        retrySchedule: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
        logRetentionDays: 30,
        secretKey: undefined,
      },
      streams: { pollMs: 1000, maxClients: 1000 },
      corsOrigins: [],
      rateLimitPerMinute: 0,
      readinessTimeoutMs: 1000,
      maxEventLoopDelayMs: 1000,
      maxConnections: 4096,
      trustProxy: [],
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        DATABASE_URL: 'sqlite:/var/lib/inventory/inventory.db',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        INVENTORY_MIGRATE: 'false',
        INVENTORY_SEED: 'false',
        INVENTORY_AUTH_READS: 'true',
        SHUTDOWN_GRACE_MS: '2500',
        METRICS_ENABLED: 'false',
        UI_ENABLED: 'false',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_RETRY_SCHEDULE: '1, 2,3',
        WEBHOOK_LOG_RETENTION_DAYS: '7',
        WEBHOOK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
        STREAM_POLL_MS: '250',
        STREAM_MAX_CLIENTS: '50',
        CORS_ORIGINS: 'https://inventory.example.com, http://localhost:3000',
        RATE_LIMIT_PER_MINUTE: '600',
        READINESS_TIMEOUT_MS: '250',
        MAX_EVENT_LOOP_DELAY_MS: '0',
        MAX_CONNECTIONS: '100',
        TRUST_PROXY: '10.0.0.0/8, fd00::/8,192.0.2.1',
        UNRELATED: 'ignored',
      }),
    ).toStrictEqual({
      port: 8080,
      host: '0.0.0.0',
      database: { dialect: 'sqlite', filename: '/var/lib/inventory/inventory.db' },
      logLevel: 'debug',
      logFormat: 'json',
      migrate: false,
      seed: false,
      auth: { reads: true, bootstrapTokenHash: undefined },
      shutdownGraceMs: 2500,
      metricsEnabled: false,
      uiEnabled: false,
      webhooks: {
        allowPrivateNetworks: true,
        timeoutMs: 2000,
        retrySchedule: [1, 2, 3],
        logRetentionDays: 7,
        secretKey: Buffer.alloc(32, 1),
      },
      streams: { pollMs: 250, maxClients: 50 },
      corsOrigins: ['https://inventory.example.com', 'http://localhost:3000'],
      rateLimitPerMinute: 600,
      readinessTimeoutMs: 250,
      maxEventLoopDelayMs: 0,
      maxConnections: 100,
      trustProxy: ['10.0.0.0/8', 'fd00::/8', '192.0.2.1'],
    });
  });

  it.each([
    ['', []],
    [' , ', []],
    ['loopback', ['loopback']],
    ['loopback,linklocal,uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
    ['127.0.0.1', ['127.0.0.1']],
    ['::1,::ffff:10.1.2.3', ['::1', '::ffff:10.1.2.3']],
    ['0.0.0.0/0,::/0', ['0.0.0.0/0', '::/0']],
    ['10.0.0.0/32,2001:db8::/128', ['10.0.0.0/32', '2001:db8::/128']],
  ])('reads TRUST_PROXY=%j as the proxies %j', (value, list) => {
    const config = loadConfig({ TRUST_PROXY: value });
    expect(config.trustProxy).toStrictEqual(list);
    expect(Object.isFrozen(config.trustProxy)).toBe(true);
  });

  it('reads an empty CORS_ORIGINS as no origin: CORS stays off', () => {
    expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).toStrictEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' , ' }).corsOrigins).toStrictEqual([]);
  });

  it.each([
    ['sqlite::memory:', ':memory:'],
    ['sqlite:inventory.db', 'inventory.db'],
    ['sqlite:./data/x.db', './data/x.db'],
    ['sqlite:///srv/inventory.db', '/srv/inventory.db'],
  ])('reads DATABASE_URL=%s as the file %s', (url, filename) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toStrictEqual({ dialect: 'sqlite', filename });
  });

  it.each([
    ['postgres://inventory:secret@db.internal:5432/inventory', 10, 30_000, {}],
    [
      'postgresql://inventory@db/inventory?sslmode=verify-full',
      25,
      0,
      { DATABASE_POOL_MAX: '25', DATABASE_STATEMENT_TIMEOUT_MS: '0' },
    ],
    ['postgres:///inventory?host=/var/run/postgresql', 10, 30_000, {}],
  ])(
    'reads DATABASE_URL=%s as PostgreSQL with its pool size and statement timeout',
    (url, poolMax, statementTimeoutMs, env) => {
      expect(loadConfig({ DATABASE_URL: url, ...env }).database).toStrictEqual({
        dialect: 'postgres',
        url,
        poolMax,
        statementTimeoutMs,
      });
    },
  );

  it('accepts the edges of the port range', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it('reads the longest retry schedule, and freezes it', () => {
    const schedule = Array.from({ length: 20 }, (_, i) => 604_800 - i);
    const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE: schedule.join(',') });
    expect(config.webhooks.retrySchedule).toStrictEqual(schedule);
    expect(Object.isFrozen(config.webhooks)).toBe(true);
    expect(Object.isFrozen(config.webhooks.retrySchedule)).toBe(true);
  });

  it('never repeats WEBHOOK_SECRET_KEY in a problem', () => {
    const key = `${Buffer.alloc(31, 9).toString('base64')}xyz`;
    const problems = problemsOf({ WEBHOOK_SECRET_KEY: key });
    expect(problems).toHaveLength(1);
    expect(problems.join('\n')).not.toContain(key);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', ''],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '0x50'],
    ['PORT', ' 80'],
    ['PORT', '080'],
    ['HOST', ''],
    ['HOST', 'local host'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['INVENTORY_SEED', 'yes'],
    ['INVENTORY_SEED', '0'],
    ['INVENTORY_SEED', ''],
    ['DATABASE_URL', ''],
    ['DATABASE_URL', 'mysql://root@localhost/inventory'],
    ['DATABASE_URL', 'data/inventory.db'],
    ['DATABASE_URL', 'sqlite:'],
    ['DATABASE_URL', 'postgres://db.internal'],
    ['DATABASE_URL', 'postgres://db.internal/'],
    ['DATABASE_URL', 'postgres://'],
    ['DATABASE_URL', 'postgres://db:port/inventory'],
    ['DATABASE_URL', 'postgres://db/inventory?sslmode=allow-maybe'],
    ['DATABASE_POOL_MAX', '0'],
    ['DATABASE_POOL_MAX', '1001'],
    ['DATABASE_POOL_MAX', 'ten'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '3600001'],
    ['INVENTORY_MIGRATE', 'no'],
    ['SHUTDOWN_GRACE_MS', '0'],
    ['SHUTDOWN_GRACE_MS', '10s'],
    ['SHUTDOWN_GRACE_MS', '600001'],
    ['SHUTDOWN_GRACE_MS', ''],
    ['METRICS_ENABLED', 'yes'],
    ['METRICS_ENABLED', 'TRUE'],
    ['UI_ENABLED', 'no'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'inventory.example.com'],
    ['CORS_ORIGINS', 'https://a.example.com/path'],
    ['CORS_ORIGINS', 'https://a.example.com,ftp://b.example.com'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['RATE_LIMIT_PER_MINUTE', '1.5'],
    ['RATE_LIMIT_PER_MINUTE', '1000001'],
    ['READINESS_TIMEOUT_MS', '0'],
    ['READINESS_TIMEOUT_MS', '60001'],
    ['MAX_EVENT_LOOP_DELAY_MS', 'off'],
    ['MAX_EVENT_LOOP_DELAY_MS', '60001'],
    ['MAX_CONNECTIONS', '0'],
    ['MAX_CONNECTIONS', '1000001'],
    ['MAX_CONNECTIONS', 'many'],
    ['MAX_CONNECTIONS', ''],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'fd00::/129'],
    ['TRUST_PROXY', '10.0.0.0/08'],
    ['TRUST_PROXY', '10.0.0.0/8/1'],
    ['TRUST_PROXY', '10.0.0'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.1,localhost'],
    ['TRUST_PROXY', '10.0.0.1;10.0.0.2'],
    ['TRUST_PROXY', '1'],
    ['TRUST_PROXY', '2'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '*'],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes'],
    ['WEBHOOK_TIMEOUT_MS', '0'],
    ['WEBHOOK_TIMEOUT_MS', '300001'],
    ['WEBHOOK_TIMEOUT_MS', '15s'],
    ['WEBHOOK_RETRY_SCHEDULE', ''],
    ['WEBHOOK_RETRY_SCHEDULE', '5,,300'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,0,300'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,-1'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,1.5'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,05'],
    ['WEBHOOK_RETRY_SCHEDULE', '5m,1h'],
    ['WEBHOOK_RETRY_SCHEDULE', '604801'],
    ['WEBHOOK_RETRY_SCHEDULE', Array.from({ length: 21 }, () => '1').join(',')],
    ['WEBHOOK_LOG_RETENTION_DAYS', '0'],
    ['WEBHOOK_LOG_RETENTION_DAYS', '3651'],
    ['WEBHOOK_SECRET_KEY', ''],
    ['WEBHOOK_SECRET_KEY', 'short'],
    ['WEBHOOK_SECRET_KEY', Buffer.alloc(16).toString('base64')],
    ['WEBHOOK_SECRET_KEY', Buffer.alloc(32).toString('hex')],
    ['STREAM_POLL_MS', '9'],
    ['STREAM_POLL_MS', '60001'],
    ['STREAM_POLL_MS', '1s'],
    ['STREAM_POLL_MS', ''],
    ['STREAM_MAX_CLIENTS', '0'],
    ['STREAM_MAX_CLIENTS', '100001'],
    ['STREAM_MAX_CLIENTS', '-1'],
  ])('refuses %s=%j with a message naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}\\b`));
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', INVENTORY_SEED: 'maybe' });
    expect(problems).toStrictEqual([
      'PORT must be an integer from 0 to 65535 (0 picks a free port)',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'INVENTORY_SEED must be true or false',
    ]);
  });

  it('says why a hop count and trusting everyone are refused', () => {
    expect(problemsOf({ TRUST_PROXY: '1' })).toStrictEqual([
      "TRUST_PROXY must list the proxies' addresses or CIDRs, not a hop count: a count cannot tell a proxy " +
        'from a client that sends X-Forwarded-For itself',
    ]);
    expect(problemsOf({ TRUST_PROXY: 'true' })[0]).toContain('0.0.0.0/0,::/0');
  });

  it('reports a bad TRUST_PROXY with the other mistakes', () => {
    expect(problemsOf({ TRUST_PROXY: 'proxy', PORT: 'x', CORS_ORIGINS: '*' })).toStrictEqual([
      'PORT must be an integer from 0 to 65535 (0 picks a free port)',
      'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (scheme, host and optional port)',
      "TRUST_PROXY must be a comma-separated list of the proxies' addresses and CIDRs, such as 10.0.0.0/8,fd00::/8 " +
        '(or loopback, linklocal, uniquelocal); empty trusts no proxy',
    ]);
  });

  it('reports the mistakes of the schema and of the later checks in one run', () => {
    expect(
      problemsOf({ DATABASE_URL: 'mysql://x', LOG_LEVEL: 'verbose', PORT: '99999', CORS_ORIGINS: 'ftp://x' }),
    ).toStrictEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'PORT must be an integer from 0 to 65535 (0 picks a free port)',
      'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com (scheme, host and optional port)',
      'DATABASE_URL must be sqlite:PATH, sqlite:///ABSOLUTE/PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://)',
    ]);
  });

  it.each([
    'postgres://inventory:hunter2@db.internal',
    'postgresql://inventory:hunter2@db.internal:port/inventory',
    'postgres://inventory:hunter2@db.internal/inventory?sslmode=hunter2',
  ])('refuses a malformed PostgreSQL URL without repeating it (%s)', (url) => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: url });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('db.internal');
  });
});

describe('loadConfig: authentication', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-config-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const token = 'bootstrap-token-with-at-least-32-chars';

  it('keeps only the hash of INVENTORY_BOOTSTRAP_TOKEN', () => {
    const config = loadConfig({ INVENTORY_BOOTSTRAP_TOKEN: token });
    expect(config.auth.bootstrapTokenHash).toBe(hashToken(token));
    expect(JSON.stringify(config)).not.toContain(token);
  });

  it('reads INVENTORY_BOOTSTRAP_TOKEN_FILE, without its trailing newline', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    expect(loadConfig({ INVENTORY_BOOTSTRAP_TOKEN_FILE: file }).auth.bootstrapTokenHash).toBe(hashToken(token));
  });

  it.each([
    [{ INVENTORY_BOOTSTRAP_TOKEN: 'too-short' }, 'INVENTORY_BOOTSTRAP_TOKEN must be at least 32 characters'],
    [{ INVENTORY_BOOTSTRAP_TOKEN: `${token} with spaces` }, 'INVENTORY_BOOTSTRAP_TOKEN must be at least 32 characters'],
    [{ INVENTORY_BOOTSTRAP_TOKEN_FILE: '/nonexistent/token' }, 'INVENTORY_BOOTSTRAP_TOKEN_FILE must be the path'],
    [{ INVENTORY_BOOTSTRAP_TOKEN: token, INVENTORY_BOOTSTRAP_TOKEN_FILE: '/x' }, 'must not both be set'],
    [{ INVENTORY_AUTH_READS: 'yes' }, 'INVENTORY_AUTH_READS must be true or false'],
  ])('refuses %j without repeating the secret', (env, message) => {
    let text = '';
    try {
      loadConfig(env);
    } catch (error) {
      text = (error as Error).message;
    }
    expect(text).toContain(message);
    expect(text).not.toContain('too-short');
    expect(text).not.toContain(token);
  });

  it('refuses a token file whose content is too short, without repeating it', () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'short-secret\n');
    expect(() => loadConfig({ INVENTORY_BOOTSTRAP_TOKEN_FILE: file })).toThrow(
      /INVENTORY_BOOTSTRAP_TOKEN_FILE must be the path of a readable file holding a token of at least 32 characters/,
    );
  });
});
