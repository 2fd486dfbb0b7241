// Preloaded with `node --import ./dist/bench/count-loaded.js <entry point>` by
// `npm run -s bench:footprint`: records every file the process loads (ESM and CommonJS
// alike, through module.registerHooks) and, on SIGUSR2, writes them with the process's
// memory to $FOOTPRINT_OUT as JSON.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const loaded = new Set<string>();

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) loaded.add(url);
    return nextLoad(url, context);
  },
});

process.on('SIGUSR2', () => {
  const out = process.env.FOOTPRINT_OUT;
  if (!out) return;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  writeFileSync(out, JSON.stringify({ files: [...loaded].map((url) => fileURLToPath(url)), rss: memory.rss, heapUsed: memory.heapUsed }));
});
