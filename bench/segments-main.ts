// `npm run bench:segments`: the daily computation of segments for BENCH_SEGMENT_MEMBERS members
// (100,000) on real time, and a test clock's day. On DATABASE_URL's server, else an embedded
// PostgreSQL.
import 'reflect-metadata';
import { measureSegments, printSegments, segmentSettings } from './segments.js';
import { createBenchDatabase } from './setup.js';

const log = (line: string) => console.log(line);
const db = await createBenchDatabase(log);
let code = 1;
try {
  log(`database: ${db.source}`);
  const result = await measureSegments(db.url, segmentSettings(), log);
  log('');
  printSegments(result, log);
  code = result.partitioned ? 0 : 1;
} finally {
  await db.close();
}
process.exit(code);
