// `npm run bench:import`: the bulk-import figure alone (`npm run bench` prints it with the rest):
// BENCH_IMPORT purchases (100,000) of BENCH_IMPORT_MEMBERS members (10,000) imported as one NDJSON
// file by one worker process applying BENCH_IMPORT_CONCURRENCY lanes at once (4), beside the raw
// INSERT rate of the same rows (the first BENCH_IMPORT_RAW, 20,000). On DATABASE_URL's server,
// else an embedded PostgreSQL.
import 'reflect-metadata';
import { measureImport, seedImportMembers } from './import.js';
import { distFile, startChild, runBenchMain, type Child } from './processes.js';
import { createBenchDatabase, prepareBenchState } from './setup.js';

const log = (line: string) => console.log(line);
const count = Number(process.env.BENCH_IMPORT ?? 100_000);
const memberCount = Number(process.env.BENCH_IMPORT_MEMBERS ?? 10_000);
const concurrency = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 4);
const rawRows = Number(process.env.BENCH_IMPORT_RAW ?? 20_000);
const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<void> {
  const db = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}`);
  const state = await prepareBenchState(db.url, 'sparkwash');
  cleanups.push(() => state.close());
  log(`seeding ${memberCount.toLocaleString('en-US')} members…`);
  const members = await seedImportMembers(db.url, memberCount);
  const worker: Child = await startChild({
    name: 'worker',
    script: distFile('../src/worker-main.js'),
    env: { ...state.env, ACTIVITY_IMPORT_CONCURRENCY: String(concurrency) },
    ready: /worker listening on (\S+)/,
    timeoutMs: 90_000,
  });
  cleanups.push(() => worker.stop());
  log(`worker: ${worker.url} (pid ${worker.pid}), ${concurrency} lanes at once`);
  const cpuBefore = worker.cpuSeconds();
  const result = await measureImport({
    databaseUrl: db.url,
    uploadUrl: worker.url,
    adminToken: await state.devIssuer.mint('bench-admin', { admin: true }),
    members,
    count,
    concurrency,
    rawRows,
    log,
    alive: () => {
      if (worker.exited()) throw new Error(`worker ${worker.exited()}:\n${worker.tail().join('\n')}`);
    },
  });
  const cpu = worker.cpuSeconds() - cpuBefore;
  log('');
  log(
    `activity import: ${result.activities.toLocaleString('en-US')} purchases of ${result.members.toLocaleString('en-US')} members, 1 worker, ${result.concurrency} lanes at once: ` +
      `${result.activitiesPerSecond.toFixed(0)} activities/s (${result.seconds.toFixed(1)} s; upload ${result.uploadSeconds.toFixed(1)} s), every line accepted once: ${result.exact}`,
  );
  log(`worker CPU: ${cpu.toFixed(1)} s (${((cpu / result.activities) * 1000).toFixed(2)} ms per activity, upload included)`);
  log(`raw INSERT of the same rows with pg (${result.raw.connections} connections, ${result.raw.rows.toLocaleString('en-US')} rows): ${result.raw.insertsPerSecond.toFixed(0)} inserts/s — ${result.rawOverImport.toFixed(1)}× an imported activity`);
  if (!result.exact) throw new Error('the import did not accept every line exactly once');
}

await runBenchMain(cleanups, main);
