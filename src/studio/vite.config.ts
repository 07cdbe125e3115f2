import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/**
 * The Studio, built by `npm install` (package.json `prepare`) into
 * templates/studio/, which git ignores and the server reads through its
 * assets port (files on Node, the static-assets binding on Workers).
 * Everything it loads is in the build: no CDN, no web fonts.
 */
const here = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root: here,
  base: '/studio/',
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: `${here}../../templates/studio`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    // No inline data: URLs for scripts; the Content-Security-Policy allows scripts from the server only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
