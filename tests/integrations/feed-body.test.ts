import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, feedBody } from '../../src/integrations/feed-body.js';

async function read(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return chunks;
}

const etagOf = (bytes: Buffer) => `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;

describe('feedBody', () => {
  it('gives the UTF-8 bytes of the text added, their length and the ETag of their SHA-256, over many pieces', async () => {
    // Texts of every size, multi-byte characters among them, adding up to several pieces.
    const texts = ['[', ...Array.from({ length: 3000 }, (_, i) => `{"é😀":"${'x'.repeat(i % 701)}\u2028"},`), ']'];
    const body = feedBody();
    for (const text of texts) {
      body.add(text);
    }
    const finished = body.finish();
    const expected = Buffer.from(texts.join(''), 'utf8');
    expect(expected.length).toBeGreaterThan(3 * PIECE_CHARS);
    const chunks = await read(finished.stream());
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    expect(finished.length).toBe(expected.length);
    expect(finished.etag).toBe(etagOf(expected));
    expect(finished.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('gives one piece for a small body, and the same ETag however the text was cut', async () => {
    const whole = feedBody();
    whole.add('{"a":["b","c"]}');
    const cut = feedBody();
    for (const text of ['{"a":', '', '["b",', '"c"]}']) {
      cut.add(text);
    }
    const [a, b] = [whole.finish(), cut.finish()];
    expect(b.etag).toBe(a.etag);
    expect(b.length).toBe(15);
    const chunks = await read(b.stream());
    expect(chunks.map(String)).toStrictEqual(['{"a":["b","c"]}']);
  });

  it('hands its bytes over once: a second stream is empty', async () => {
    const body = feedBody();
    body.add('x'.repeat(PIECE_CHARS + 1));
    const finished = body.finish();
    expect(Buffer.concat(await read(finished.stream())).length).toBe(PIECE_CHARS + 1);
    expect(await read(finished.stream())).toStrictEqual([]);
  });

  it('gives an empty body the ETag of no bytes', async () => {
    const finished = feedBody().finish();
    expect(finished.length).toBe(0);
    expect(finished.etag).toBe(etagOf(Buffer.alloc(0)));
    expect(await read(finished.stream())).toStrictEqual([]);
  });
});
