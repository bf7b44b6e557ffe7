// The console's precompressed assets: each text asset's Brotli and gzip forms, written by the build.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressedForms } from '../../web/precompress.js';

const SCRIPT = 'export function list(){return fetch("/api/v1/servers")}\n'.repeat(200);

describe('compressedForms', () => {
  it('gives Brotli and gzip forms that decompress to the file, each smaller than it', () => {
    const { br = Buffer.alloc(0), gz = Buffer.alloc(0) } = compressedForms(SCRIPT);
    expect(brotliDecompressSync(br).toString()).toBe(SCRIPT);
    expect(gunzipSync(gz).toString()).toBe(SCRIPT);
    expect(br.length).toBeLessThan(gz.length);
    expect(gz.length).toBeLessThan(SCRIPT.length / 10);
  });

  it('gives no form of a file that compression would make larger', () => {
    expect(compressedForms(randomBytes(2000))).toEqual({});
  });
});

describe('the built console (web/dist, which tests/setup/console.ts builds)', () => {
  it("has beside each script and style its Brotli and gzip forms, each the file's exact bytes", () => {
    const assets = join(fileURLToPath(new URL('../../web/dist', import.meta.url)), 'assets');
    const texts = readdirSync(assets).filter((name) => /\.(js|css)$/.test(name));
    expect(texts.length).toBeGreaterThanOrEqual(2);
    for (const name of texts) {
      const file = readFileSync(join(assets, name));
      expect(brotliDecompressSync(readFileSync(join(assets, `${name}.br`))).equals(file), `${name}.br`).toBe(true);
      expect(gunzipSync(readFileSync(join(assets, `${name}.gz`))).equals(file), `${name}.gz`).toBe(true);
    }
  });
});
