// The log format a process chooses (LOG_FORMAT), seen from outside as a person or a collector
// would: a child process whose standard output is a pipe, as under systemd, Docker or Kubernetes.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeDatabase, loadConfig } from '../src/config.js';
import { isPretty } from '../src/logger.js';

const run = promisify(execFile);
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LOGGER = pathToFileURL(fileURLToPath(new URL('../src/logger.ts', import.meta.url))).href;

/** What a process with this LOG_FORMAT writes for one request log line with credentials in it. */
async function logLine(format: string): Promise<string> {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    createLogger({ logLevel: 'info', logFormat: ${JSON.stringify(format)} }).info(
      { req: { method: 'GET', headers: { authorization: 'Bearer inv_secret' } } },
      'request completed',
    );`;
  const { stdout } = await run(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 20_000,
  });
  return stdout;
}

describe('LOG_FORMAT', () => {
  it('writes readable lines with pretty, credentials still censored', async () => {
    const out = await logLine('pretty');
    expect(out).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: request completed\n/);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('inv_secret');
    expect(out).not.toContain('"level"');
  });

  it('writes one JSON object a line with json, and with auto when the output is not a terminal', async () => {
    for (const format of ['json', 'auto']) {
      const out = await logLine(format);
      const entry = JSON.parse(out) as { level: number; msg: string; req: { headers: { authorization: string } } };
      expect(entry.msg, format).toBe('request completed');
      expect(entry.req.headers.authorization, format).toBe('[redacted]');
    }
  });

  it('is readable on a terminal under auto, and as forced otherwise', () => {
    expect(isPretty('auto', true)).toBe(true);
    expect(isPretty('auto', false)).toBe(false);
    expect(isPretty('json', true)).toBe(false);
    expect(isPretty('pretty', false)).toBe(true);
  });

  it('is refused when it is none of auto, json or pretty', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow(/LOG_FORMAT must be auto/);
  });
});

describe('describeDatabase', () => {
  it('names the SQLite file, or the PostgreSQL server and database without user or password', () => {
    const of = (url: string) => describeDatabase(loadConfig({ DATABASE_URL: url }).database);
    expect(of('sqlite:data/inventory.db')).toBe('SQLite data/inventory.db');
    expect(of('sqlite::memory:')).toBe('SQLite in memory');
    const pg = of('postgres://inventory:s3cr3t-pw@db.example.com:6432/inventory?sslmode=require');
    expect(pg).toBe('PostgreSQL db.example.com:6432/inventory');
    expect(of('postgresql://u:p@db.example.com/inv')).toBe('PostgreSQL db.example.com:5432/inv');
  });
});
