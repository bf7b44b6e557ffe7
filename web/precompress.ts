import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The files worth compressing: text (scripts, styles, maps, SVG, JSON). Images and fonts are compressed already. */
const COMPRESSIBLE = /\.(m?js|css|map|svg|json|txt)$/;

/** A file's Brotli (quality 11) and gzip (level 9) forms, each only when it is smaller than the file. */
export function compressedForms(content: string | Uint8Array): { br?: Buffer; gz?: Buffer } {
  const raw = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  return { ...(br.length < raw.length ? { br } : {}), ...(gz.length < raw.length ? { gz } : {}) };
}

/**
 * Vite plugin: beside each text asset, its `.br` and `.gz` forms, compressed once at the build with the
 * strongest settings, which the server sends to a browser that accepts them (@fastify/static's
 * preCompressed, src/plugins/console.ts) instead of compressing on every request or not at all. They
 * are made from the files as written, after every other plugin has had its say on their content.
 */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'precompress-assets',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle(_options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!fileName.startsWith('assets/') || !COMPRESSIBLE.test(fileName)) {
          continue;
        }
        const file = join(outDir, fileName);
        for (const [suffix, source] of Object.entries(compressedForms(readFileSync(file)))) {
          writeFileSync(`${file}.${suffix}`, source);
        }
      }
    },
  };
}
