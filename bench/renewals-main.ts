// `npm run bench:renewals`: the renewal figure alone (`npm run bench` prints it with the rest):
// BENCH_RENEWALS memberships (100,000) due at once, renewed by BENCH_RENEWAL_WORKERS worker
// processes (1), the rate measured over the first BENCH_RENEWALS_MEASURED (10,000; set it to
// BENCH_RENEWALS to renew them all), beside the raw UPDATE rate. On DATABASE_URL's server, else an embedded PostgreSQL.
import 'reflect-metadata';
import { distFile, startChild, runBenchMain, type Child } from './processes.js';
import { measureRenewals, seedDueMemberships } from './renewals.js';
import { createBenchDatabase, prepareBenchState } from './setup.js';

const log = (line: string) => console.log(line);
const count = Number(process.env.BENCH_RENEWALS ?? 100_000);
const measured = Math.min(count, Number(process.env.BENCH_RENEWALS_MEASURED ?? 10_000));
const workerCount = Number(process.env.BENCH_RENEWAL_WORKERS ?? 1);
const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
  const db = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}`);
  const state = await prepareBenchState(db.url, 'sparkwash');
  cleanups.push(() => state.close());
  log(`seeding ${count.toLocaleString('en-US')} memberships due at once…`);
  await seedDueMemberships(db.url, state, count, log);
  const workers: Child[] = [];
  for (let n = 1; n <= workerCount; n++) {
    // The first worker takes the sandbox's notifications on the configured port; others pick one.
    const env = n === 1 ? state.env : { ...state.env, WORKER_PORT: '0' };
    const child = await startChild({ name: `worker ${n}`, script: distFile('../src/worker-main.js'), env, ready: /worker listening on (\S+)/, timeoutMs: 90_000 });
    cleanups.push(() => child.stop());
    workers.push(child);
    log(`worker ${n}: ${child.url} (pid ${child.pid})`);
  }
  const result = await measureRenewals(db.url, count, measured, workerCount, log, {
    alive: () => {
      for (const w of workers) if (w.exited()) throw new Error(`${w.name} ${w.exited()}:\n${w.tail().join('\n')}`);
    },
    stopRenewing: async () => {
      if (process.env.BENCH_DEBUG) for (const w of workers) log(`${w.name}:\n${w.tail().join('\n')}`);
      await Promise.all(workers.map((w) => w.stop()));
    },
  });
  log('');
  log(
    `renewals: ${result.memberships.toLocaleString('en-US')} due at once, ${result.workers} worker(s): ${result.renewalsPerSecond.toFixed(0)} renewals/s ` +
      `(${result.measured.toLocaleString('en-US')} settled in ${result.seconds.toFixed(1)} s), none charged twice: ${result.chargedOnce}`,
  );
  log(`raw UPDATE of the same rows with pg (${result.raw.connections} connections): ${result.raw.updatesPerSecond.toFixed(0)} updates/s — ${result.rawOverRenewal.toFixed(1)}× a renewal`);
  if (!result.chargedOnce) throw new Error('a membership was not renewed exactly once');
}

await runBenchMain(cleanups, main);
