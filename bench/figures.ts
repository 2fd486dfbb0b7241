// The program figures' bench (`npm run bench:figures`): a history of BENCH_FIGURES_MEMBERS members
// (1,000,000) generated into the bench database (bench/program-history.ts), the figures refreshed
// from it (every step timed: what each figure costs straight from the raw tables), then each
// dashboard's query timed as the resolvers run it (its SQL through the service), median of
// BENCH_FIGURES_RUNS runs (7), against the target: under a second on 1M members.
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadModules } from '../src/modules/index.js';
import { FigureBucket, ProgramFiguresService, refreshFigures, type FiguresRunSummary } from '../src/modules/program-figures/index.js';
import type { AppDependencies } from '../src/platform/context.js';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { seedDemoCatalog } from '../src/seed/demo-catalog.js';
import { seedProgramHistory, type ProgramHistorySummary } from './program-history.js';

export interface FiguresBenchSettings {
  members: number;
  runs: number;
  seed: number;
}

export interface DashboardFigure {
  name: string;
  /** Median, min and max milliseconds of the service call (its SQL and the mapping). */
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** The refresh steps that compute it from the raw tables, and their milliseconds (the baseline). */
  rawSteps: string[];
  rawMs: number;
}

export interface FiguresBenchResult {
  members: number;
  history: ProgramHistorySummary | null;
  tableRows: Record<string, number>;
  refreshes: FiguresRunSummary[];
  dashboards: DashboardFigure[];
  /** A few figures, to see the history is plausible. */
  sample: Record<string, unknown>;
}

export const TARGET_MS = 1000;
const TIME_ZONE = 'Asia/Shanghai';

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** BENCH_FIGURES_MEMBERS (1,000,000), BENCH_FIGURES_RUNS (7), BENCH_FIGURES_SEED (1). */
export function figuresSettings(): FiguresBenchSettings {
  return { members: intEnv('BENCH_FIGURES_MEMBERS', 1_000_000), runs: intEnv('BENCH_FIGURES_RUNS', 7), seed: intEnv('BENCH_FIGURES_SEED', 1) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Seeds (unless the database already holds the generated members) and measures. `now` is the
 * end of the history and the figures' instant.
 */
export async function measureFigures(databaseUrl: string, settings: FiguresBenchSettings, log: (line: string) => void): Promise<FiguresBenchResult> {
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl, entities: modules.entities(), poolSize: 4 });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const now = new Date();
    const history = await ensureProgramHistory(orm, client, databaseUrl, settings, now, log);
    const tableRows = Object.fromEntries(
      (
        await client.query<{ relname: string; n: string }>(
          `select relname, n_live_tup as n from pg_stat_user_tables where relname in ('member','membership','payment','entitlement','redemption','voucher_code','activity','points_journal','points_transfer','points_lot','member_tier','tier_change') order by relname`,
        )
      ).rows.map((r) => [r.relname, Number(r.n)]),
    );

    const refreshes: FiguresRunSummary[] = [];
    for (let i = 1; i <= 2; i++) {
      log(`figures: refresh ${i}/2 from the raw tables…`);
      const run = (await refreshFigures(orm.em.fork(), { asOf: now, timeZone: TIME_ZONE, trigger: 'ON_DEMAND' }))!;
      refreshes.push(run);
      log(`  ${(run.durationMs / 1000).toFixed(1)} s: ${Object.entries(run.steps).map(([k, v]) => `${k} ${v}`).join(', ')} ms`);
    }
    const steps = refreshes.at(-1)!.steps;

    const deps = { timeZone: TIME_ZONE, now: () => now } as AppDependencies;
    const service = () => new ProgramFiguresService(orm.em.fork(), deps);
    const year = { from: new Date(now.getTime() - 365 * 86_400_000), to: now };
    const twoYears = { from: new Date(now.getTime() - 730 * 86_400_000), to: now };
    const [version] = (await client.query<{ id: string }>(`select v.id from bundle_version v join bundle b on b.id = v.bundle_id where b.code = 'PLUS_BUNDLE' order by v.version desc limit 1`)).rows;
    const dashboards: Array<{ name: string; raw: string[]; call: () => Promise<unknown> }> = [
      { name: 'memberGrowthFigures (2 years by week)', raw: ['members', 'paidMembers'], call: () => service().memberGrowth(twoYears, FigureBucket.WEEK) },
      { name: 'paidConversionFigures (24 cohorts)', raw: ['cohorts'], call: () => service().paidConversion(twoYears) },
      { name: 'renewalFigures (2 years by month)', raw: ['renewals', 'repurchases'], call: () => service().renewals(twoYears, FigureBucket.MONTH) },
      { name: 'orderValueFigures (a year by day)', raw: ['orders'], call: () => service().orderValue(year, FigureBucket.DAY) },
      { name: 'benefitUtilizationFigures (a year)', raw: ['value', 'benefits'], call: () => service().benefitUtilization(year) },
      { name: 'memberValueFigures (a year)', raw: ['value'], call: () => service().memberValue(year) },
      { name: 'pointsLiabilityFigures', raw: ['pointsLiability'], call: () => service().pointsLiability() },
      { name: 'tierFigures (a year of moves)', raw: ['tiers'], call: () => service().tiers(year) },
      { name: 'partnerDependencyFigures (a year)', raw: ['value', 'benefits', 'pointsIssued', 'liveRights'], call: () => service().partnerDependency(year) },
      { name: 'partnerExitFigures (sparkwash)', raw: ['liveRights', 'pointsLiability'], call: () => service().partnerExit('sparkwash') },
      {
        name: 'bundleCostSimulation (PLUS_BUNDLE)',
        raw: ['value', 'benefits', 'planPoints'],
        call: () => service().bundleCost(version!.id, { utilization: new Map(), pointsPerPeriod: null }),
      },
    ];
    const figures: DashboardFigure[] = [];
    for (const d of dashboards) {
      await d.call(); // warm
      const times: number[] = [];
      for (let i = 0; i < settings.runs; i++) {
        const at = performance.now();
        await d.call();
        times.push(performance.now() - at);
      }
      const rawSteps = ['paidPeriods', ...d.raw].filter((s, i, all) => all.indexOf(s) === i && (s !== 'paidPeriods' || d.raw.some((r) => ['paidMembers', 'cohorts', 'renewals', 'repurchases', 'value', 'planPoints'].includes(r))));
      figures.push({
        name: d.name,
        medianMs: median(times),
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
        rawSteps,
        rawMs: rawSteps.reduce((acc, s) => acc + (steps[s] ?? 0), 0),
      });
      log(`  ${d.name}: ${median(times).toFixed(1)} ms`);
    }

    const s = service();
    const growth = await s.memberGrowth(twoYears, FigureBucket.MONTH);
    const renewals = await s.renewals(twoYears, FigureBucket.MONTH);
    const value = await s.memberValue(twoYears);
    const liability = await s.pointsLiability();
    const cost = await s.bundleCost(version!.id, { utilization: new Map(), pointsPerPeriod: null });
    const sample = {
      paidMembersNow: growth.buckets.at(-1)?.paidMembers,
      totalMembersNow: growth.buckets.at(-1)?.totalMembers,
      renewal: renewals.buckets.reduce((acc, b) => ({ due: acc.due + b.periodsDue, renewed: acc.renewed + b.periodsRenewed }), { due: 0, renewed: 0 }),
      repurchase: renewals.buckets.reduce((acc, b) => ({ ended: acc.ended + b.membershipsEnded, again: acc.again + b.repurchased }), { ended: 0, again: 0 }),
      valueToFee: value.value.valueToFee,
      liability: { points: liability.liability.outstandingPoints, amount: liability.liability.amount, lowest: liability.liability.lowestAmount },
      plusCost: cost.cost.plans.map((p) => ({ plan: p.planCode, fee: p.fee.amount, cost: p.totalCost.amount, costToFee: p.costToFee })),
    };
    return { members: settings.members, history, tableRows, refreshes, dashboards: figures, sample };
  } finally {
    await client.end();
    await orm.close();
  }
}

/**
 * Migrates the database, seeds the demo catalog, and generates the history of `settings.members`
 * members ending at `now` unless it already holds them (then null). Shared with the console's
 * paint bench (bench/console-paint.ts), so both stand on the same generated history.
 */
export async function ensureProgramHistory(
  orm: MikroORM,
  client: pg.Client,
  databaseUrl: string,
  settings: FiguresBenchSettings,
  now: Date,
  log: (line: string) => void,
): Promise<ProgramHistorySummary | null> {
  await migrateUp(orm);
  await seedDemoCatalog(orm.em.fork());
  const [{ n }] = (await client.query<{ n: string }>(`select count(*) as n from member where issuer = 'urn:seed-program-history'`)).rows as [{ n: string }];
  if (Number(n) >= settings.members) {
    log(`figures: the database already holds ${Number(n).toLocaleString('en-US')} generated members; measuring them`);
    return null;
  }
  log(`figures: generating the history of ${settings.members.toLocaleString('en-US')} members (seed ${settings.seed})…`);
  const history = await seedProgramHistory(databaseUrl, { members: settings.members, seed: settings.seed, now, timeZone: TIME_ZONE, batch: 50_000, fast: true, log });
  log(`  ${history.seconds.toFixed(0)} s; analyzing…`);
  await client.query('analyze');
  return history;
}

/** Connects to the database, makes sure it holds the history, and refreshes the figures once if it has none from the last hour. */
export async function prepareFiguresDatabase(databaseUrl: string, settings: FiguresBenchSettings, log: (line: string) => void): Promise<{ history: ProgramHistorySummary | null; run: FiguresRunSummary | null }> {
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl, entities: modules.entities(), poolSize: 4 });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const now = new Date();
    const history = await ensureProgramHistory(orm, client, databaseUrl, settings, now, log);
    const [last] = (await client.query<{ as_of: Date }>(`select as_of from figures_run order by as_of desc limit 1`).catch(() => ({ rows: [] as { as_of: Date }[] }))).rows;
    if (!history && last && now.getTime() - last.as_of.getTime() < 3_600_000) return { history, run: null };
    log('figures: refreshing from the raw tables…');
    const run = (await refreshFigures(orm.em.fork(), { asOf: now, timeZone: TIME_ZONE, trigger: 'ON_DEMAND' }))!;
    log(`  ${(run.durationMs / 1000).toFixed(1)} s`);
    return { history, run };
  } finally {
    await client.end();
    await orm.close();
  }
}

export function printFigures(result: FiguresBenchResult, log: (line: string) => void): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  log(`program figures over ${n(result.members)} generated members`);
  if (result.history) {
    const total = Object.values(result.history.rows).reduce((a, b) => a + b, 0);
    log(`history: ${n(total)} rows in ${result.history.seconds.toFixed(0)} s (${n(total / result.history.seconds)} rows/s): ${Object.entries(result.history.rows).map(([t, c]) => `${t} ${n(c)}`).join(', ')}`);
  }
  const last = result.refreshes.at(-1)!;
  log(`refresh from the raw tables: ${result.refreshes.map((r) => `${(r.durationMs / 1000).toFixed(1)} s`).join(', then ')} (run hourly by the job, and by refreshProgramFigures)`);
  log('');
  log(`${'dashboard'.padEnd(42)} ${'served, median ms'.padStart(18)} ${'min–max'.padStart(12)} ${'< 1 s'.padStart(6)}   from the raw tables (refresh steps)`);
  for (const d of result.dashboards) {
    log(
      `${d.name.padEnd(42)} ${d.medianMs.toFixed(1).padStart(18)} ${`${d.minMs.toFixed(0)}–${d.maxMs.toFixed(0)}`.padStart(12)} ${(d.medianMs < TARGET_MS ? 'yes' : 'NO').padStart(6)}   ${n(d.rawMs)} ms (${d.rawSteps.join(' + ')})`,
    );
  }
  log('');
  log(`refresh steps (ms): ${Object.entries(last.steps).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  log(`sample: ${JSON.stringify(result.sample)}`);
}
