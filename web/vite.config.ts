// The console's build: web/ into web/dist/ (index.html and content-hashed assets under assets/), served by
// src/plugins/console.ts at / and /ui/assets/. The build fails when the first page's gzipped JS and CSS
// pass FIRST_PAGE_BUDGET_BYTES.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { sizeBudget } from './budget.js';
import { precompress } from './precompress.js';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  // Preact's automatic JSX runtime, by Vite's own transform: no Babel.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // No inline script or style anywhere: the console's Content-Security-Policy has no 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  // The budget reads the bundle before the compressed forms join it.
  plugins: [sizeBudget(), precompress()],
});
