// The receiver of docs/webhooks.md, run as it is written there, against requests signed as deliveries are.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_IN_PROGRESS, BUSY_SERVING, BUSY_UTILIZATION, LOAD_SAMPLE_MS } from '../../src/plugins/api-load.js';
import { BUSY_PASS_INTERVAL_MS } from '../../src/webhooks/webhooks.fanout.js';
import { generateSecret, signatureHeaders } from '../../src/webhooks/webhooks.signing.js';
import { BUSY_ATTEMPTS_PER_SECOND } from '../../src/webhooks/webhooks.worker.js';
import { section } from '../helpers/docs-reference.js';
import { freePort } from '../helpers/free-port.js';

const DOC = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');

/** The fenced js blocks of a text, in order. */
function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

describe('the receiver of docs/webhooks.md', () => {
  const secret = generateSecret();
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    const blocks = jsBlocks(section(DOC, '### A receiver in Node'));
    expect(blocks.map((block) => block.split('\n', 1)[0])).toStrictEqual([
      '// receiver.mjs',
      '// server.mjs: WEBHOOK_SECRET=whsec_... PORT=8080 node server.mjs',
    ]);
    dir = mkdtempSync(join(tmpdir(), 'webhook-receiver-'));
    writeFileSync(join(dir, 'receiver.mjs'), blocks[0] ?? '');
    writeFileSync(join(dir, 'server.mjs'), blocks[1] ?? '');
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    child = spawn(process.execPath, ['server.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    // Until it listens.
    for (let i = 0; ; i += 1) {
      try {
        await fetch(url, { method: 'POST', body: '' });
        break;
      } catch (error) {
        if (i > 100) {
          throw new Error(`the receiver did not start: ${output}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  afterAll(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const body = JSON.stringify({ type: 'server.deleted', timestamp: '2026-03-02T10:00:00.000Z', data: { seq: 9 } });
  const now = () => Math.floor(Date.now() / 1000);
  const post = async (headers: Record<string, string>, payload = body) =>
    (await fetch(url, { method: 'POST', headers, body: payload })).status;
  const signed = (secrets: string[], timestamp = now(), messageId = 'msg_9_1') =>
    signatureHeaders({ messageId, timestamp, body, secrets });

  it('accepts a delivery signed with its secret, and one signed during a rotation', async () => {
    expect(await post(signed([secret]))).toBe(204);
    expect(await post(signed([generateSecret(), secret], now(), 'msg_10_1'))).toBe(204);
    expect(output).toContain('msg_9_1 server.deleted');
    expect(output).toContain('msg_10_1 server.deleted');
  });

  it('refuses another secret, an altered body, an old timestamp and missing headers', async () => {
    expect(await post(signed([generateSecret()]))).toBe(401);
    expect(await post(signed([secret]), body.replace('9', '8'))).toBe(401);
    expect(await post(signed([secret], now() - 600))).toBe(401);
    const unsigned: Record<string, string> = signed([secret]);
    delete unsigned['webhook-signature'];
    expect(await post(unsigned)).toBe(401);
    expect(await post({ ...signed([secret]), 'webhook-signature': 'v2,abc v1,' })).toBe(401);
  });
});

describe('"Under load" in docs/webhooks.md', () => {
  it('gives the figures the code uses', () => {
    const text = section(DOC, '### Under load').replace(/\s+/g, ' ');
    expect(text).toContain(`over the last ${LOAD_SAMPLE_MS} ms`);
    expect(text).toContain(`requests queued (two or more in progress`);
    expect(BUSY_IN_PROGRESS).toBe(2);
    expect(text).toContain(`at least ${BUSY_UTILIZATION * 100}% busy`);
    expect(text).toContain('on average 0.25 or more');
    expect(BUSY_SERVING).toBe(0.25);
    expect(text).toContain(`${BUSY_PASS_INTERVAL_MS} ms after its last pass ended`);
    expect(text).toContain(`at most ${BUSY_ATTEMPTS_PER_SECOND} attempts a second`);
    expect(text).toContain(`makes ${BUSY_ATTEMPTS_PER_SECOND} attempts a second`);
  });
});
