// The segments' figures (`npm run bench:segments`): the daily computation of BENCH_SEGMENT_MEMBERS
// members on real time (100,000) with a year and more of activities (purchases, refunds of some,
// check-ins), through the segments' due work as a worker runs it: the first run (everyone enters
// their segments), then the next day's (a few new purchases, everyone's computed_at moves on);
// and what one day of a test clock with one member costs (BENCH_SEGMENT_CLOCK_DAYS runs).
// Everything runs in this process on the bench database, through the module's own code.
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadModules } from '../src/modules/index.js';
import { nextScheduledRun, loadSegmentConfig } from '../src/modules/segment/index.js';
import type { AppDependencies } from '../src/platform/context.js';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { createLogger } from '../src/platform/logger.js';
import type { DueWork } from '../src/platform/module.js';
import { seedDemoCatalog } from '../src/seed/demo-catalog.js';

export interface SegmentBenchSettings {
  members: number;
  clockDays: number;
}

export interface SegmentRunFigure {
  seconds: number;
  /** The computation's own duration (segment_run.duration_ms). */
  computeMs: number;
  members: number;
  entered: number;
  left: number;
  counts: Record<string, number>;
}

export interface SegmentBenchResult {
  members: number;
  activities: Record<string, number>;
  seedSeconds: number;
  first: SegmentRunFigure;
  nextDay: SegmentRunFigure;
  /** Every member in exactly one RFM segment and one lifecycle stage after each run. */
  partitioned: boolean;
  clockDay: { runs: number; msPerRun: number };
}

const TIME_ZONE = 'Asia/Shanghai';
const MARK = 'urn:bench-segments';
const BATCH = 10_000;
const DAY_MS = 86_400_000;

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** BENCH_SEGMENT_MEMBERS (100,000), BENCH_SEGMENT_CLOCK_DAYS (365). */
export function segmentSettings(): SegmentBenchSettings {
  return { members: intEnv('BENCH_SEGMENT_MEMBERS', 100_000), clockDays: intEnv('BENCH_SEGMENT_CLOCK_DAYS', 365) };
}

/**
 * Members joined over the last two years; each with 0-14 purchases of ¥10-¥1,010 since joining
 * (a member's count and amounts from a hash of their id, so runs compare), about one purchase in
 * ten refunded (half of those whole), and 0-9 check-ins.
 */
async function seed(client: pg.Client, count: number, now: Date, log: (line: string) => void): Promise<void> {
  for (let offset = 0; offset < count; offset += BATCH) {
    const size = Math.min(BATCH, count - offset);
    await client.query('begin');
    await client.query(
      `create temp table bench_members on commit drop as
       select gen_random_uuid() as id, $2::timestamptz - make_interval(secs => random() * 730 * 86400) as created_at from generate_series(1, $1)`,
      [size, now],
    );
    await client.query(`insert into member (id, issuer, subject, created_at) select id, $1, id::text, created_at from bench_members`, [MARK]);
    await client.query(
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, occurred_at, posted_at, request_hash, seq)
       select gen_random_uuid(), m.id, 'PURCHASE', 'bench', 'p-' || m.id || '-' || g, 1000 + (abs(hashtext(m.id::text || g::text)) % 100000), 'CNY', t, t, 'bench', nextval('activity_seq')
         from bench_members m
         cross join lateral generate_series(1, abs(hashtext(m.id::text)) % 15) g
         cross join lateral (select m.created_at + random() * ($1::timestamptz - m.created_at) as t) at`,
      [now],
    );
    await client.query(
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, refund_of_id, occurred_at, posted_at, request_hash, seq)
       select gen_random_uuid(), p.member_id, 'REFUND', 'bench', 'r-' || p.id, case when random() < 0.5 then p.amount else p.amount / 2 end, 'CNY', p.id, t, t, 'bench', nextval('activity_seq')
         from activity p join bench_members m on m.id = p.member_id
         cross join lateral (select least(p.occurred_at + interval '3 days', $1::timestamptz) as t) at
        where p.type = 'PURCHASE' and random() < 0.1`,
      [now],
    );
    await client.query(
      `insert into activity (id, member_id, type, channel, external_id, occurred_at, posted_at, request_hash, seq)
       select gen_random_uuid(), m.id, 'CHECK_IN', 'bench', 'c-' || m.id || '-' || g, t, t, 'bench', nextval('activity_seq')
         from bench_members m
         cross join lateral generate_series(1, abs(hashtext(m.id::text || 'c')) % 10) g
         cross join lateral (select m.created_at + random() * ($1::timestamptz - m.created_at) as t) at`,
      [now],
    );
    await client.query('commit');
    if ((offset / BATCH) % 5 === 4) log(`  seeded ${(offset + size).toLocaleString('en-US')} members`);
  }
  await client.query('analyze member; analyze activity');
}

export async function measureSegments(databaseUrl: string, settings: SegmentBenchSettings, log: (line: string) => void): Promise<SegmentBenchResult> {
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl, entities: modules.entities(), poolSize: 4 });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await migrateUp(orm);
    await seedDemoCatalog(orm.em.fork());
    const snapshot = (await loadSegmentConfig(orm.em.fork()))!;
    const work: DueWork = modules.dueWork().find((w) => w.name === 'segments')!;
    const deps = { timeZone: TIME_ZONE } as AppDependencies;
    const logger = createLogger('silent');
    const run = async (now: Date, clockId: string | null = null) => {
      const em = orm.em.fork();
      return work.runDue({ em, deps, services: modules.createServices(em, deps), logger, now, clockId, limit: 200 });
    };

    const now = new Date();
    log(`segments: seeding ${settings.members.toLocaleString('en-US')} members with their activities…`);
    let started = process.hrtime.bigint();
    await seed(client, settings.members, now, log);
    const seedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const activities = Object.fromEntries(
      (await client.query<{ type: string; n: string }>(`select type, count(*) as n from activity group by type order by type`)).rows.map((r) => [r.type, Number(r.n)]),
    );
    log(`  ${Object.entries(activities).map(([type, n]) => `${n.toLocaleString('en-US')} ${type}`).join(', ')} (${seedSeconds.toFixed(0)} s)`);

    const figure = async (asOf: Date, seconds: number): Promise<SegmentRunFigure> => {
      const [row] = (await client.query(`select duration_ms, members, entered, "left", counts from segment_run where scope = 'real-time' and as_of = $1`, [asOf])).rows;
      return { seconds, computeMs: row.duration_ms, members: row.members, entered: row.entered, left: row.left, counts: row.counts };
    };
    const partitioned = async (members: number) => {
      const rows = (await client.query<{ kind: string; n: string; members: string }>(`select kind, count(*) as n, count(distinct member_id) as members from member_segment where test_clock_id is null and kind <> 'VALUE' group by kind`)).rows;
      return rows.length === 2 && rows.every((r) => Number(r.n) === members && Number(r.members) === members);
    };

    log('segments: the first computation (everyone enters their segments)…');
    started = process.hrtime.bigint();
    if ((await run(now)) !== 1) throw new Error('the first computation did not run');
    const first = await figure(now, Number(process.hrtime.bigint() - started) / 1e9);
    log(`  ${first.members.toLocaleString('en-US')} members in ${first.seconds.toFixed(2)} s (computation ${first.computeMs} ms), ${first.entered.toLocaleString('en-US')} entries`);
    let ok = await partitioned(first.members);

    // The next day: 1,000 members bought something since.
    const nextDay = nextScheduledRun(now, snapshot.config.schedule, TIME_ZONE);
    await client.query(
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, occurred_at, posted_at, request_hash, seq)
       select gen_random_uuid(), id, 'PURCHASE', 'bench', 'next-' || id, 50000, 'CNY', $2::timestamptz - interval '1 hour', $2::timestamptz - interval '1 hour', 'bench', nextval('activity_seq')
         from (select id from member where issuer = $1 order by id limit 1000) m`,
      [MARK, nextDay],
    );
    log('segments: the next day’s computation…');
    started = process.hrtime.bigint();
    if ((await run(nextDay)) !== 1) throw new Error('the next day’s computation did not run');
    const second = await figure(nextDay, Number(process.hrtime.bigint() - started) / 1e9);
    log(`  ${second.members.toLocaleString('en-US')} members in ${second.seconds.toFixed(2)} s (computation ${second.computeMs} ms), ${second.entered.toLocaleString('en-US')} entered, ${second.left.toLocaleString('en-US')} left`);
    ok = ok && (await partitioned(second.members));

    // A test clock with one member: what each day of an advance costs the segments.
    const clockStart = new Date(now.getTime() - settings.clockDays * DAY_MS);
    const [{ id: clockId }] = (await client.query<{ id: string }>(`insert into test_clock (id, name, frozen_time) values (gen_random_uuid(), 'bench', $1) returning id`, [clockStart])).rows as [{ id: string }];
    const [{ id: memberId }] = (await client.query<{ id: string }>(`insert into member (id, issuer, subject) values (gen_random_uuid(), $1, 'clock') returning id`, [MARK])).rows as [{ id: string }];
    await client.query(`insert into test_clock_member (member_id, test_clock_id, joined_at) values ($1, $2, $3)`, [memberId, clockId, clockStart]);
    await client.query(
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, occurred_at, posted_at, request_hash, seq)
       values (gen_random_uuid(), $1, 'PURCHASE', 'bench', 'clock', 10000, 'CNY', $2, $2, 'bench', nextval('activity_seq'))`,
      [memberId, clockStart],
    );
    log(`segments: ${settings.clockDays} daily runs of a test clock with one member…`);
    let at = clockStart;
    started = process.hrtime.bigint();
    for (let day = 0; day < settings.clockDays; day++) {
      if ((await run(at, clockId)) !== 1) throw new Error(`the clock's run ${day} did not run`);
      at = nextScheduledRun(at, snapshot.config.schedule, TIME_ZONE);
    }
    const clockSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const clockDay = { runs: settings.clockDays, msPerRun: (clockSeconds * 1000) / settings.clockDays };
    log(`  ${clockDay.msPerRun.toFixed(1)} ms per run`);

    return { members: first.members, activities, seedSeconds, first, nextDay: second, partitioned: ok, clockDay };
  } finally {
    await client.end();
    await orm.close();
  }
}

export function printSegments(result: SegmentBenchResult, log: (line: string) => void): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const line = (what: string, f: SegmentRunFigure) =>
    `${what}: ${n(f.members)} members in ${f.seconds.toFixed(2)} s (computation ${n(f.computeMs)} ms, ${n(f.members / (f.computeMs / 1000))} members/s), ${n(f.entered)} entered, ${n(f.left)} left`;
  log(`segments over ${n(result.members)} members on real time with ${Object.entries(result.activities).map(([type, count]) => `${n(count)} ${type}`).join(', ')}`);
  log(line('first computation', result.first));
  log(line('next day', result.nextDay));
  log(`counts after the next day: ${Object.entries(result.nextDay.counts).map(([code, count]) => `${code} ${n(count)}`).join(', ')}`);
  log(`every member in exactly one RFM segment and one stage: ${result.partitioned}`);
  log(`a test clock with one member: ${result.clockDay.msPerRun.toFixed(1)} ms per daily run (${result.clockDay.runs} runs)`);
}
