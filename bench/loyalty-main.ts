// `npm run bench:loyalty`: the loyalty engine's figures alone (`npm run bench` prints them with
// the rest): ledger postings beside raw pg, the expiry of BENCH_EXPIRY_LOTS lots (1,000,000) and
// the tier evaluation of BENCH_TIER_MEMBERS members (100,000), each beside the raw UPDATE rate.
// On DATABASE_URL's server, else an embedded PostgreSQL.
import 'reflect-metadata';
import { measureLoyalty } from './loyalty.js';
import { createBenchDatabase, prepareBenchState } from './setup.js';
import { loyaltySettings, printLoyalty } from './loyalty-report.js';

const log = (line: string) => console.log(line);
const db = await createBenchDatabase(log);
let code = 1;
try {
  log(`database: ${db.source}`);
  const state = await prepareBenchState(db.url, 'sparkwash');
  try {
    const result = await measureLoyalty(db.url, loyaltySettings(), log);
    log('');
    printLoyalty(result, log);
    code = result.expiry.allExpired && result.evaluation.allMoved ? 0 : 1;
  } finally {
    await state.close();
  }
} finally {
  await db.close();
}
process.exit(code);
