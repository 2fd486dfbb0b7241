import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Node's compile cache for the test workers and every process the tests start (servers, workers,
// subgraphs, a hundred delivery workers): each start compiled about 1,200 files of JavaScript
// again. Kept under the OS temp dir between runs; Node checks each entry against its file.
process.env.NODE_COMPILE_CACHE ??= path.join(os.tmpdir(), 'coalition-gateway-compile-cache');

// Decorator metadata must be emitted for type-graphql and MikroORM (oxc does not by default).
const oxc = { decorator: { legacy: true, emitDecoratorMetadata: true } } as const;

// One graphql instance: Vite would pick graphql's ESM build for our files while Node loads
// the CommonJS one for dependencies, and graphql refuses types from "another realm".
const resolve = {
  alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) }],
};

export default defineConfig({
  oxc,
  resolve,
  test: {
    projects: [
      {
        oxc,
        resolve,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'console/src/**/*.test.ts', 'partners/**/*.test.ts', 'payments/**/*.test.ts', 'messaging/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.pg.test.ts', 'node_modules/**', 'dist/**'],
          setupFiles: ['test/setup/reflect.ts'],
        },
      },
      {
        oxc,
        resolve,
        test: {
          name: 'pg',
          include: ['test/**/*.pg.test.ts', 'src/**/*.pg.test.ts', 'partners/**/*.pg.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          setupFiles: ['test/setup/reflect.ts'],
          globalSetup: ['test/setup/postgres.global.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: two workers, each with its own database.
          maxWorkers: 2,
        },
      },
    ],
  },
});
