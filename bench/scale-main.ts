// `npm run bench:scale`: a million members (issue 12, part 3). On DATABASE_URL's server, two
// databases of the same generator (bench/program-history.ts) and seed: BENCH_SCALE_DATABASE
// (scale_1m) with BENCH_SCALE_MEMBERS (1,000,000), generated once and kept (`npm run
// bench:scale:seed` generates it alone), and BENCH_SCALE_SMALL_DATABASE (scale_small) with
// BENCH_SCALE_SMALL_MEMBERS (2,000), generated afresh every run. On each: p50/p99 of `me` (direct
// and through our gateway), `redeemEntitlement` and the console's dashboards for members and
// rights drawn at random across the population, then the renewal, expiry, tier and segment jobs
// at the instant they are due (rows per second). Prints the table with the p99 ratio large ÷ small
// (target ≤ 1.2×) and writes bench-results/scale.json (BENCH_SCALE_OUT: elsewhere). Generator
// progress goes to stderr.
// Settings: see scaleSettings() in bench/scale.ts.
import 'reflect-metadata';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminateAll } from './processes.js';
import { printScale, runScaleBench, scaleSettings } from './scale.js';

const log = (line: string) => console.log(line);
const err = (line: string) => process.stderr.write(line + '\n');
const intEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
process.on('SIGINT', () => {
  terminateAll();
  process.exit(130);
});
let code = 1;
try {
  const settings = scaleSettings();
  const seed = intEnv('BENCH_SCALE_SEED', 1);
  const result = await runScaleBench(
    {
      small: { name: process.env.BENCH_SCALE_SMALL_DATABASE ?? 'scale_small', members: intEnv('BENCH_SCALE_SMALL_MEMBERS', 2_000), seed },
      large: { name: process.env.BENCH_SCALE_DATABASE ?? 'scale_1m', members: intEnv('BENCH_SCALE_MEMBERS', 1_000_000), seed },
    },
    settings,
    log,
    err,
  );
  log('');
  printScale(result, log);
  const outFile = process.env.BENCH_SCALE_OUT ?? fileURLToPath(new URL('../../bench-results/scale.json', import.meta.url));
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  await fs.writeFile(outFile, JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2) + '\n');
  log(`results: ${path.relative(process.cwd(), outFile)}`);
  code = result.bad === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
}
process.exit(code);
