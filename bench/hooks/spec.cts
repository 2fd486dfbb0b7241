// Shared by the autocannon worker hooks: the run's spec, written by bench/load.ts.
import fs = require('node:fs');

export interface LoadSpec {
  /** Channel the hooks report bad responses on (BroadcastChannel name). */
  channel: string;
  /** 'cycle' round-robins over items (from a random start); 'once' uses each item once. */
  mode: 'cycle' | 'once';
  /** Substring every good response body contains (e.g. `"me":{`). */
  expect: string;
  items: Array<{ authorization: string; body: string; headers?: Record<string, string> }>;
}

let cached: LoadSpec | undefined;

export function loadSpec(): LoadSpec {
  if (cached) return cached;
  const file = process.env.BENCH_SPEC;
  if (!file) throw new Error('BENCH_SPEC is not set');
  cached = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadSpec;
  return cached;
}
