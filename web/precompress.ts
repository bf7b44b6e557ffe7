import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import type { BundleFile } from './budget.js';

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
 * preCompressed, src/plugins/console.ts) instead of compressing on every request or not at all.
 */
export function precompress(): Plugin {
  return {
    name: 'precompress-assets',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle) as BundleFile[]) {
        if (!file.fileName.startsWith('assets/') || !COMPRESSIBLE.test(file.fileName)) {
          continue;
        }
        const forms = compressedForms(file.type === 'chunk' ? file.code : file.source);
        for (const [suffix, source] of Object.entries(forms)) {
          this.emitFile({ type: 'asset', fileName: `${file.fileName}.${suffix}`, source });
        }
      }
    },
  };
}
