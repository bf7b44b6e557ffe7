// The log format a process chooses (LOG_FORMAT), seen from outside as a person or a collector
// would: a child process whose standard output is a pipe, as under systemd, Docker or Kubernetes.
import { execFile, spawn } from 'node:child_process';
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

/** A child process that runs `script` once it has a logger at info, writing JSON, as `log`; its outputs are pipes. */
function spawnLogging(script: string) {
  return spawn(
    process.execPath,
    [
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      `const { createLogger, flushLogs } = await import(${JSON.stringify(LOGGER)});
       const log = createLogger({ logLevel: 'info', logFormat: 'json' });
       ${script}`,
    ],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * Runs `script` (see spawnLogging) in a child process whose standard output is a pipe that is not
 * read for `readAfterMs`; answers what it wrote to each output.
 */
async function loggingProcess(
  script: string,
  readAfterMs = 0,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawnLogging(script);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const chunks: Buffer[] = [];
  setTimeout(() => child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk)), readAfterMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { stdout: Buffer.concat(chunks).toString(), stderr, code };
}

describe('the JSON log on standard output', () => {
  const LINES = 3000;
  /** 3000 lines of about 2 KB: 6 MB, far more than a pipe holds (64 KB) while no one reads it. */
  const WRITE_LINES = `const pad = 'x'.repeat(2000);
    const began = performance.now();
    for (let i = 0; i < ${LINES}; i++) log.info({ i, pad }, 'request completed');
    process.stderr.write('logged in ' + Math.round(performance.now() - began) + ' ms\\n');`;

  function expectEveryLine(stdout: string): void {
    const lines = stdout.trimEnd().split('\n');
    const indexes = lines.map((line) => (JSON.parse(line) as { i?: number }).i).filter((i) => i !== undefined);
    expect(indexes).toEqual(Array.from({ length: LINES }, (_, i) => i));
  }

  it('does not hold the process while no one reads its output, and loses no line at process.exit()', async () => {
    const { stdout, stderr, code } = await loggingProcess(`${WRITE_LINES}\n process.exit(0);`, 1500);
    expect(code).toBe(0);
    expectEveryLine(stdout);
    // Written synchronously, the loop would wait for the reader, which starts after 1.5 s.
    const took = Number(/logged in (\d+) ms/.exec(stderr)?.[1]);
    expect(took).toBeLessThan(1000);
  });

  it('writes a lone line without waiting for others to fill its buffer', async () => {
    // The process logs one line, then stays up for 10 s: the line must come long before that.
    const child = spawnLogging(`log.info('alone'); setTimeout(() => undefined, 10_000);`);
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('no line within 5 s'));
        }, 5_000);
        child.stdout.once('data', (chunk: Buffer) => {
          clearTimeout(timer);
          resolve(chunk.toString());
        });
      });
      expect((JSON.parse(line) as { msg: string }).msg).toBe('alone');
    } finally {
      child.kill();
    }
  });

  it('writes every line out before a stop, while a slow reader holds writes back', async () => {
    // Writes start (and meet a full pipe) before the exit: flushLogs waits for them, as the shutdown does.
    const { stdout, code } = await loggingProcess(
      `${WRITE_LINES}\n await new Promise((r) => setTimeout(r, 350)); await flushLogs(); process.exit(0);`,
      1000,
    );
    expect(code).toBe(0);
    expectEveryLine(stdout);
  });

  it('loses no line when the process crashes', async () => {
    const { stdout, stderr, code } = await loggingProcess(`${WRITE_LINES}\n throw new Error('boom');`, 200);
    expect(code).not.toBe(0);
    expect(stderr).toContain('boom');
    expectEveryLine(stdout);
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
