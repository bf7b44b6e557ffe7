// The console's precompressed assets: each text asset's Brotli and gzip forms, written by the build.
import { randomBytes } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BundleFile } from '../../web/budget.js';
import { compressedForms, precompress } from '../../web/precompress.js';

const SCRIPT = 'export function list(){return fetch("/api/v1/servers")}\n'.repeat(200);

/** Runs the plugin's generateBundle on `bundle` and returns the files it emitted, by name. */
function emitted(bundle: Record<string, BundleFile>): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const plugin = precompress();
  const context = {
    emitFile: ({ fileName, source }: { fileName: string; source: Buffer }) => {
      files.set(fileName, source);
      return fileName;
    },
  };
  (plugin.generateBundle as unknown as (this: typeof context, o: unknown, b: typeof bundle) => void).call(
    context,
    {},
    bundle,
  );
  return files;
}

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

describe('the precompress plugin', () => {
  it('writes .br and .gz beside text assets only, not beside the page or an image', () => {
    const files = emitted({
      'assets/index-a.js': { type: 'chunk', fileName: 'assets/index-a.js', code: SCRIPT, isEntry: true, imports: [] },
      'assets/index-b.css': { type: 'asset', fileName: 'assets/index-b.css', source: 'body{margin:0}'.repeat(50) },
      'assets/logo-c.png': { type: 'asset', fileName: 'assets/logo-c.png', source: new Uint8Array(500) },
      'index.html': { type: 'asset', fileName: 'index.html', source: '<!doctype html>'.repeat(50) },
    });
    expect([...files.keys()].sort()).toEqual([
      'assets/index-a.js.br',
      'assets/index-a.js.gz',
      'assets/index-b.css.br',
      'assets/index-b.css.gz',
    ]);
    expect(gunzipSync(files.get('assets/index-a.js.gz') ?? Buffer.alloc(0)).toString()).toBe(SCRIPT);
  });
});
