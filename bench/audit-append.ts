// `npm run -s bench:audit`: audited-write throughput on its own, without HTTP or GraphQL.
// AUDIT_BENCH_CONNECTIONS (32) workers, each on its own connection, loop for
// AUDIT_BENCH_SECONDS (10, after 2 s of warm-up) on: begin; one insert into a scratch table;
// AuditLog.append; commit. Prints commits per second, transaction latency p50/p99, how many
// chains the rows landed on, and whether every chain verifies afterwards.
// Runs on a fresh bench_<random> database on DATABASE_URL's server (else an embedded one),
// dropped at the end. The script runs unchanged against the one-lock audit log of before
// (it configures the audit key only when the module offers configureAuditLog).
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as audit from '../src/modules/audit/index.js';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { createBenchDatabase } from './setup.js';

const CONNECTIONS = Number(process.env.AUDIT_BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.AUDIT_BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.AUDIT_BENCH_WARMUP_SECONDS ?? 2);

const keyed = audit as unknown as {
  configureAuditLog?: (options: { keyring: unknown }) => void;
  AuditKeyring?: { of(current: string): unknown };
};
if (keyed.configureAuditLog && keyed.AuditKeyring) keyed.configureAuditLog({ keyring: keyed.AuditKeyring.of(randomBytes(32).toString('base64url')) });

const db = await createBenchDatabase((line) => console.log(line));
const orm = await connectOrm({ databaseUrl: db.url, entities: [], poolSize: CONNECTIONS + 1 });
try {
  await migrateUp(orm);
  await orm.em.fork().execute('create table bench_write (id bigserial primary key, worker int not null, at timestamptz not null default now())');

  const latencies: number[] = [];
  let commits = 0;
  let measuring = false;
  const start = Date.now();
  const warmupEnds = start + WARMUP_SECONDS * 1000;
  const ends = warmupEnds + SECONDS * 1000;
  const worker = async (w: number) => {
    for (let i = 0; Date.now() < ends; i++) {
      const t0 = performance.now();
      await orm.em.fork().transactional(async (tx) => {
        await tx.execute('insert into bench_write (worker) values (?)', [w]);
        await audit.AuditLog.append(tx, audit.SYSTEM_AUDIT, { action: 'bench.write', subject: `${w}:${i}`, after: { worker: w, i } });
      });
      if (!measuring && Date.now() >= warmupEnds) measuring = true;
      if (measuring) {
        commits++;
        latencies.push(performance.now() - t0);
      }
    }
  };
  console.log(`audited writes: ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up, on ${db.source}`);
  // Every worker settles before the connections close (a failed one stops only itself).
  const failed = (await Promise.allSettled(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  const em = orm.em.fork();
  const [chains] = await em.execute<{ n: number }[]>(
    `select count(distinct c)::int as n from (select ${keyed.configureAuditLog ? 'chain' : '0'} as c from audit_log) x`,
  );
  const report = await audit.verifyAuditChain(em);
  console.log(`  ${(commits / SECONDS).toFixed(0)} commits/s   p50 ${pct(50)} ms   p99 ${pct(99)} ms   (${commits} in ${SECONDS} s)`);
  console.log(`  rows on ${chains!.n} chain(s); chain check: ${report.intact ? 'intact' : JSON.stringify(report)}`);
} finally {
  await orm.close();
  await db.close();
}
