// Builds the console (console/index.html and src/) into dist/console: index.html plus
// content-hashed files under assets/, which the gateway serves at /console (src/edge/console-route.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // The typed client (an npm workspace) from its source: no build of it needed first.
  resolve: { alias: { '@coalition-gateway/client': fileURLToPath(new URL('../packages/client/src/index.ts', import.meta.url)) } },
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // No inline polyfill script: the page's Content-Security-Policy allows our own files only.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
