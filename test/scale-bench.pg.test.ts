// `npm run bench:scale` end to end at a few hundred members, so neither the history generator
// nor the scale bench rots: the compiled bench (dist/bench/scale-main.js, as `npm run` runs it)
// generates both databases, measures `me`, `redeemEntitlement` and the dashboards through the
// compiled processes and runs the four jobs, without a bad response; and the generated ledger
// still balances after the jobs moved points (expiry) and tiers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropDatabase, databaseUrlFor, JOB_ROWS, LATENCY_ROWS, type ScaleBenchResult } from '../bench/scale.js';

// The bench makes its databases on DATABASE_URL's server: the test project's server (the
// configured one, or the embedded PostgreSQL CI falls back to).
process.env.DATABASE_URL ??= inject('pgAdminUrl');

const suffix = randomBytes(4).toString('hex');
const SMALL = { name: `scale_test_small_${suffix}`, members: 200 };
const LARGE = { name: `scale_test_large_${suffix}`, members: 600 };
const out = path.join(os.tmpdir(), `scale-bench-${suffix}.json`);

afterAll(async () => {
  await dropDatabase(SMALL.name);
  await dropDatabase(LARGE.name);
  await fs.rm(out, { force: true });
});

function runBench(): Promise<{ code: number | null; output: string }> {
  const env = {
    ...process.env,
    BENCH_SCALE_DATABASE: LARGE.name,
    BENCH_SCALE_MEMBERS: String(LARGE.members),
    BENCH_SCALE_SMALL_DATABASE: SMALL.name,
    BENCH_SCALE_SMALL_MEMBERS: String(SMALL.members),
    BENCH_SCALE_SECONDS: '1',
    BENCH_SCALE_CONNECTIONS: '4',
    BENCH_SCALE_SAMPLE: '40',
    BENCH_SCALE_REDEEMS: '24',
    BENCH_SCALE_JOB_ROWS: '60',
    BENCH_SCALE_RENEWALS: '10',
    BENCH_SCALE_OUT: out,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/bench/scale-main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench:scale at a few hundred members', () => {
  it('generates both databases, measures every row and job with clean responses, and leaves the ledger balanced', async () => {
    const { code, output } = await runBench();
    expect(code, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/history: 600\/600 members, [\d,]+ rows, \d+ s, [\d,]+ rows\/s \(ETA 0 s\)/);
    const result = JSON.parse(await fs.readFile(out, 'utf8')) as ScaleBenchResult;
    expect(result.bad).toBe(0);
    for (const figures of [result.small, result.large]) {
      for (const row of LATENCY_ROWS) expect(figures.latency[row]?.requests, `${figures.database}: ${row}`).toBeGreaterThan(0);
      for (const row of JOB_ROWS) expect(figures.jobs[row]?.perSecond, `${figures.database}: ${row}`).toBeGreaterThan(0);
      expect(Object.keys(figures.dashboards).length).toBeGreaterThanOrEqual(12);
    }
    expect(Object.keys(result.p99Ratio)).toEqual([...LATENCY_ROWS]);

    // The generated history, after the jobs: postings of every kind, the ledger balanced three ways.
    const db = new pg.Client({ connectionString: databaseUrlFor(LARGE.name) });
    await db.connect();
    try {
      const kinds = (await db.query<{ kind: string }>(`select distinct kind::text from points_journal order by 1`)).rows.map((r) => r.kind);
      expect(kinds).toEqual(['EARN', 'EXPIRY', 'REVERSAL', 'SPEND']);
      const [ledger] = (
        await db.query<{ balances: string; lots: string; net: string; off: string; journals: string; members: string }>(
          `select (select sum(balance) from points_account where kind = 'MEMBER') as balances,
                  (select sum(remaining) from points_lot) as lots,
                  (select sum(amount) filter (where credit_account_id like 'member:%') - sum(amount) filter (where debit_account_id like 'member:%') from points_transfer) as net,
                  (select count(*) from points_lot l where l.remaining <> l.earned
                     - coalesce((select sum(amount) from points_transfer t where t.lot_id = l.id and t.debit_account_id like 'member:%'), 0)
                     + coalesce((select sum(amount) from points_transfer t where t.lot_id = l.id and t.credit_account_id like 'member:%' and t.journal_id <> l.journal_id), 0)) as off,
                  (select count(*) from points_journal j join member m on m.id = j.member_id where m.issuer = 'urn:seed-program-history') as journals,
                  (select count(*) from member where issuer = 'urn:seed-program-history') as members`,
        )
      ).rows;
      expect(Number(ledger!.members)).toBe(LARGE.members);
      expect(ledger!.balances).toBe(ledger!.lots);
      expect(ledger!.net).toBe(ledger!.lots);
      expect(Number(ledger!.off)).toBe(0);
      // About 20 postings a member, as 20M for a million.
      expect(Number(ledger!.journals) / LARGE.members).toBeGreaterThan(12);
    } finally {
      await db.end();
    }
  }, 600_000);
});
