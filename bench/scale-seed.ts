// `npm run bench:scale:seed`: makes sure a database of DATABASE_URL's server named
// BENCH_SCALE_DATABASE (scale_1m) holds the generated history of BENCH_SCALE_MEMBERS members
// (1,000,000; seed BENCH_SCALE_SEED, 1): created and migrated when missing, generated only when it
// holds fewer. Progress (rows/s, ETA) on stderr, the rows per table on stdout. Kept afterwards, for
// `npm run bench:scale` to measure again without generating again.
import 'reflect-metadata';
import { ensureScaleDatabase } from './scale.js';

const err = (line: string) => process.stderr.write(line + '\n');
const intEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const result = await ensureScaleDatabase(
  { name: process.env.BENCH_SCALE_DATABASE ?? 'scale_1m', members: intEnv('BENCH_SCALE_MEMBERS', 1_000_000), seed: intEnv('BENCH_SCALE_SEED', 1) },
  err,
);
console.log(JSON.stringify(result, null, 2));
