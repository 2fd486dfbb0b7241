// A million members (issue 12, part 3): the generated program history (bench/program-history.ts)
// in a kept database per size, and what the hot paths, the dashboards and the jobs cost on it
// against a small database of the same generator and seed.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { parse, print, separateOperations } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { BUILT_IN_PARTNERS } from '../src/built-in-partners.js';
import { loadModules } from '../src/modules/index.js';
import { loadSegmentConfig, nextScheduledRun } from '../src/modules/segment/index.js';
import type { AppDependencies } from '../src/platform/context.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { createLogger } from '../src/platform/logger.js';
import type { DueWork } from '../src/platform/module.js';
import { ensureProgramHistory, prepareFiguresDatabase } from './figures.js';
import { runLoad, type LoadItem, type LoadResult } from './load.js';
import { distFile, startChild, startServingProcesses, type Child } from './processes.js';
import type { ProgramHistorySummary } from './program-history.js';
import { measureRenewals, seedDueMemberships } from './renewals.js';
import { graphql, pool, prepareBenchState } from './setup.js';

export interface ScaleDatabaseSpec {
  /** Database name on DATABASE_URL's server. */
  name: string;
  members: number;
  seed: number;
}

export interface ScaleDatabase {
  url: string;
  name: string;
  members: number;
  /** Null when the database already held the members. */
  history: ProgramHistorySummary | null;
  /** Live rows per table (pg_stat_user_tables after ANALYZE). */
  tableRows: Record<string, number>;
}

/** DATABASE_URL with another database name. */
export function databaseUrlFor(name: string): string {
  const configured = process.env.DATABASE_URL;
  if (!configured) throw new Error('DATABASE_URL must name the PostgreSQL server the scale databases live on');
  const url = new URL(configured);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates the database when missing, migrates it, seeds the demo catalog and generates the history unless it holds it. */
export async function ensureScaleDatabase(spec: ScaleDatabaseSpec, log: (line: string) => void, now = new Date()): Promise<ScaleDatabase> {
  const admin = new pg.Client({ connectionString: databaseUrlFor('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`select 1 from pg_database where datname = $1`, [spec.name]);
    if (!rowCount) {
      log(`scale: creating database ${spec.name}`);
      await admin.query(`create database ${pg.escapeIdentifier(spec.name)}`);
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(spec.name);
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl: url, entities: modules.entities(), poolSize: 2 });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const history = await ensureProgramHistory(orm, client, url, { members: spec.members, seed: spec.seed, runs: 1 }, now, log);
    if (history) {
      log('scale: vacuum analyze…');
      await client.query('vacuum analyze');
    }
    const tableRows = Object.fromEntries(
      (await client.query<{ relname: string; n: string }>(`select relname, n_live_tup as n from pg_stat_user_tables where n_live_tup > 0 order by relname`)).rows.map((r) => [
        r.relname,
        Number(r.n),
      ]),
    );
    return { url, name: spec.name, members: spec.members, history, tableRows };
  } finally {
    await client.end();
    await orm.close();
  }
}

// ---------------------------------------------------------------------------------------------
// What is measured on each database.

export interface ScaleSettings {
  /** Members drawn at random across the population for `me` (their credentials cycle). */
  sample: number;
  /** Car-wash rights drawn at random, a token each, redeemed once. */
  redeems: number;
  seconds: number;
  connections: number;
  /** Lots made due for the expiry, member tiers for the evaluation (capped by what the database holds). */
  jobRows: number;
  renewals: number;
  /** Sections to run: hot (me, redeem), dashboards, jobs. */
  only: Array<'hot' | 'dashboards' | 'jobs'>;
  /** Seed of the random draws (the same draws for the same database). */
  drawSeed: number;
}

export interface Latency {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

export interface JobRate {
  rows: number;
  seconds: number;
  perSecond: number;
}

export interface DatabaseFigures {
  database: string;
  members: number;
  tableRows: Record<string, number>;
  latency: Record<string, Latency>;
  /** Each dashboard query alone, sequential calls through the gateway: median and max ms. */
  dashboards: Record<string, { medianMs: number; maxMs: number; runs: number }>;
  jobs: Record<string, JobRate>;
}

export const SCALE_ISSUER = 'urn:seed-program-history';
export const LATENCY_ROWS = ['me, direct to the membership subgraph', 'me, through the gateway', 'redeemEntitlement, through the gateway', 'PM dashboards (the console mix), through the gateway'] as const;
export const JOB_ROWS = ['renewals', 'points expiry', 'tier evaluation', 'segments (daily computation)'] as const;

const ME =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name } points { balance } } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM =
  'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';
const TIME_ZONE = 'Asia/Shanghai';
const DAY_MS = 86_400_000;

const latency = (r: LoadResult): Latency => ({
  requests: r.requests,
  rps: r.rps,
  p50: r.latencyMs.p50,
  p99: r.latencyMs.p99,
  bad: r.non2xx + r.graphqlErrors + r.connectionErrors,
});

/** An identity provider of our own for the generated members (their `issuer`), its JWKS served here. */
async function startIdentityProvider(): Promise<{ jwksUrl: string; mint(subject: string): Promise<string>; close(): Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomBytes(6).toString('hex');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] });
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const audience = process.env.AUTH_AUDIENCE ?? 'coalition-gateway';
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    mint: (subject) =>
      new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer(SCALE_ISSUER).setSubject(subject).setAudience(audience).setIssuedAt().setExpirationTime('4h').sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The console's dashboard operations (operations/console-figures.graphql), each with variables varied over `variants` ranges. */
async function dashboardOperations(client: pg.Client, now: Date): Promise<Array<{ name: string; query: string; variables: (k: number) => Record<string, unknown> }>> {
  const source = await fs.readFile(distFile('../../operations/console-figures.graphql'), 'utf8');
  const documents = separateOperations(parse(source));
  const [version] = (await client.query<{ id: string }>(`select v.id from bundle_version v join bundle b on b.id = v.bundle_id where b.code = 'PLUS_BUNDLE' order by v.version desc limit 1`)).rows;
  // Each variant ends an hour earlier: the same dashboards, never the same request twice in a row.
  const range = (days: number) => (k: number) => {
    const to = new Date(now.getTime() - k * 3_600_000);
    return { from: new Date(to.getTime() - days * DAY_MS).toISOString(), to: to.toISOString() };
  };
  const variables: Record<string, (k: number) => Record<string, unknown>> = {
    ConsoleProgramFiguresRun: () => ({}),
    ConsoleMemberGrowthFigures: (k) => ({ ...range(730)(k), bucket: 'WEEK' }),
    ConsolePaidConversionFigures: range(730),
    ConsoleRenewalFigures: (k) => ({ ...range(730)(k), bucket: 'MONTH' }),
    ConsoleOrderValueFigures: (k) => ({ ...range(365)(k), bucket: 'DAY' }),
    ConsoleBenefitUtilizationFigures: range(365),
    ConsoleMemberValueFigures: range(365),
    ConsolePointsLiabilityFigures: () => ({}),
    ConsolePointsOutstandingFigures: () => ({}),
    ConsoleTierFigures: range(365),
    ConsolePartnerDependencyFigures: range(365),
    ConsolePartnerExitFigures: (k) => ({ partnerId: ['sparkwash', 'brewbar', 'streamflix', 'skymiles'][k % 4] }),
    ConsoleBundleCostSimulation: (k) => ({ bundleVersionId: version!.id, utilization: [], pointsPerPeriod: 100 + k }),
  };
  return Object.entries(variables).map(([name, vars]) => {
    const document = documents[name];
    if (!document) throw new Error(`operations/console-figures.graphql has no operation ${name}`);
    return { name, query: print(document), variables: vars };
  });
}

/**
 * Measures one database: the hot paths and the dashboards against the compiled processes
 * (membership and sparkwash subgraphs, our gateway), then the jobs in this process (expiry,
 * tiers, segments) and the renewals by a worker process.
 */
export async function measureDatabase(db: ScaleDatabase, settings: ScaleSettings, log: (line: string) => void): Promise<DatabaseFigures> {
  const figures: DatabaseFigures = { database: db.name, members: db.members, tableRows: db.tableRows, latency: {}, dashboards: {}, jobs: {} };
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const idp = await startIdentityProvider();
  const state = await prepareBenchState(db.url, 'sparkwash');
  Object.assign(state.env, { AUTH_ISSUER: SCALE_ISSUER, AUTH_JWKS_URL: idp.jwksUrl });
  const children: Child[] = [];
  const salt = String(settings.drawSeed);
  try {
    if (settings.only.includes('dashboards')) {
      // Served from the figures tables: rebuilt first when they are older than an hour (minutes at 1M).
      await prepareFiguresDatabase(db.url, { members: db.members, seed: 1, runs: 1 }, log);
    }
    if (settings.only.includes('hot') || settings.only.includes('dashboards')) {
      const { membership, gateway } = await startServingProcesses(state.env, children, { timeoutMs: 90_000 });
      const measure = async (label: string, run: Parameters<typeof runLoad>[0], warmup: Parameters<typeof runLoad>[0]) => {
        await runLoad({ ...warmup, seconds: Math.min(3, settings.seconds) });
        const result = await runLoad(run);
        figures.latency[label] = latency(result);
        log(
          `  ${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` +
            `${result.samples.length ? ` BAD ${JSON.stringify(result.samples[0]).slice(0, 300)}` : ''}`,
        );
      };

      if (settings.only.includes('hot')) {
        // Members at random across the whole population: half warm the processes, half are measured.
        const subjects = (
          await client.query<{ subject: string }>(`select subject from member where issuer = $1 order by md5(subject || $2) limit $3`, [SCALE_ISSUER, salt, settings.sample * 2])
        ).rows.map((r) => r.subject);
        const bearers = await Promise.all(subjects.map((s) => idp.mint(s)));
        const half = Math.floor(bearers.length / 2);
        const body = JSON.stringify({ query: ME, operationName: 'Me' });
        const items = (from: number, to: number): LoadItem[] => bearers.slice(from, to).map((b) => ({ authorization: `Bearer ${b}`, body }));
        const me = (url: string, from: number, to: number, headers?: Record<string, string>) =>
          ({ url, seconds: settings.seconds, connections: settings.connections, items: items(from, to), mode: 'cycle', expect: '"me":{"membership":', headers }) as const;
        log(`${db.name}: me of ${bearers.length - half} members drawn at random (${half} more warm up)…`);
        const signed = { [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(state.env.SUBGRAPH_SECRET!, body) };
        await measure(LATENCY_ROWS[0], me(membership.url, half, bearers.length, signed), me(membership.url, 0, half, signed));
        await measure(LATENCY_ROWS[1], me(gateway.url, half, bearers.length), me(gateway.url, 0, half));

        // Car-wash rights live now, at random across the population: a token each, redeemed once.
        const rights = (
          await client.query<{ id: string; subject: string }>(
            `select e.id, m.subject from entitlement e join member m on m.id = e.member_id join benefit b on b.id = e.benefit_id
              where m.issuer = $1 and b.code = 'CAR_WASH' and e.status = 'ACTIVE' and e.used < e.quota and e.period_start <= now() and e.period_end > now()
              order by md5(e.id::text || $2) limit $3`,
            [SCALE_ISSUER, salt, settings.redeems],
          )
        ).rows;
        log(`${db.name}: issuing ${rights.length} tokens for car-wash rights drawn at random…`);
        const tokens: string[] = [];
        await pool(rights.length, 8, async (i) => {
          const { issueEntitlementToken } = await graphql<{ issueEntitlementToken: { token: string } }>(gateway.url, await idp.mint(rights[i]!.subject), ISSUE, { id: rights[i]!.id });
          tokens[i] = issueEntitlementToken.token;
        });
        const redeemItems = tokens.map((token) => ({
          authorization: `Bearer ${state.partnerKey}`,
          body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `scale-${randomBytes(8).toString('hex')}` } }),
        }));
        const warm = Math.floor(redeemItems.length / 6);
        const redeem = (list: LoadItem[]) =>
          ({ url: gateway.url, seconds: settings.seconds, connections: settings.connections, items: list, mode: 'once', expect: '"redeemEntitlement":{"id":' }) as const;
        await measure(LATENCY_ROWS[2], redeem(redeemItems.slice(warm)), redeem(redeemItems.slice(0, warm)));
      }

      if (settings.only.includes('dashboards')) {
        const operations = await dashboardOperations(client, new Date());
        const admin = await state.devIssuer.mint('scale-product-manager', { admin: true });
        const VARIANTS = 48;
        const items = (offset: number): LoadItem[] =>
          Array.from({ length: VARIANTS }, (_, k) => k + offset).flatMap((k) =>
            operations.map((op) => ({ authorization: `Bearer ${admin}`, body: JSON.stringify({ query: op.query, operationName: op.name, variables: op.variables(k) }) })),
          );
        log(`${db.name}: the console's ${operations.length} dashboard queries, mixed…`);
        const mix = (offset: number) => ({ url: gateway.url, seconds: settings.seconds, connections: Math.min(8, settings.connections), items: items(offset), mode: 'cycle', expect: '"data":{' }) as const;
        await measure(LATENCY_ROWS[3], mix(VARIANTS), mix(0));
        const RUNS = 15;
        for (const op of operations) {
          const times: number[] = [];
          for (let k = 0; k <= RUNS; k++) {
            const at = performance.now();
            await graphql(gateway.url, admin, op.query, op.variables(k + 2 * VARIANTS));
            if (k > 0) times.push(performance.now() - at);
          }
          times.sort((a, b) => a - b);
          figures.dashboards[op.name] = { medianMs: times[Math.floor(times.length / 2)]!, maxMs: times.at(-1)!, runs: RUNS };
        }
        log(`  alone (median ms): ${Object.entries(figures.dashboards).map(([name, d]) => `${name.replace(/^Console/, '')} ${d.medianMs.toFixed(1)}`).join(', ')}`);
      }
      for (const c of children.splice(0).reverse()) await c.stop();
    }

    if (settings.only.includes('jobs')) {
      Object.assign(figures.jobs, await measureJobs(db, settings, log));
      figures.jobs.renewals = await measureRenewalJob(db, state, settings.renewals, log);
    }
    return figures;
  } finally {
    for (const c of children.reverse()) await c.stop();
    await state.close();
    await idp.close();
    await client.end();
  }
}

/** Expiry, tier evaluation and the segments' daily computation, run as a worker runs them, at the instant they are due. */
async function measureJobs(db: ScaleDatabase, settings: ScaleSettings, log: (line: string) => void): Promise<Record<string, JobRate>> {
  const modules = await loadModules();
  const orm: MikroORM = await connectOrm({ databaseUrl: db.url, entities: modules.entities(), poolSize: 6 });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const salt = `${settings.drawSeed}:${Date.now()}`;
  // As a worker runs them: every built-in partner is provisioned (tier rights queue their events).
  const given: Pick<AppDependencies, 'timeZone' | 'provisionedPartners'> = { timeZone: TIME_ZONE, provisionedPartners: BUILT_IN_PARTNERS.map((p) => p.id) };
  const deps = given as AppDependencies;
  const logger = createLogger('silent');
  const work = (name: string): DueWork => modules.dueWork().find((w) => w.name === name)!;
  const runAll = async (name: string, now: Date, runners = 2) => {
    let done = 0;
    await Promise.all(
      Array.from({ length: runners }, async () => {
        for (;;) {
          const em = orm.em.fork();
          const ran = await work(name).runDue({ em, deps, services: modules.createServices(em, deps), logger, now, clockId: null, limit: 200 });
          done += ran;
          if (ran < 200) return;
        }
      }),
    );
    return done;
  };
  const timed = async (rows: () => Promise<number>, body: () => Promise<unknown>): Promise<JobRate> => {
    const started = performance.now();
    await body();
    const seconds = (performance.now() - started) / 1000;
    const n = await rows();
    return { rows: n, seconds, perSecond: n / seconds };
  };
  const jobs: Record<string, JobRate> = {};
  try {
    // Points expiry: live lots of members drawn at random, made due a minute ago (expiry, reminder sent).
    const due = new Date(Date.now() - 60_000);
    const lots = (
      await client.query<{ id: string }>(
        `select l.id from (select id from member where issuer = $1 order by md5(id::text || $2) limit $3) m
           cross join lateral (select id from points_lot where member_id = m.id and remaining > 0 and expires_at > now() order by expires_at limit 4) l limit $4`,
        [SCALE_ISSUER, salt, Math.ceil(settings.jobRows / 2), settings.jobRows],
      )
    ).rows.map((r) => r.id);
    await client.query(`update points_lot set expires_at = $2, due_at = $2, reminded_at = $2::timestamptz - interval '7 days' where id = any($1::uuid[])`, [lots, due]);
    log(`${db.name}: points expiry of ${lots.length.toLocaleString('en-US')} lots due at once…`);
    jobs['points expiry'] = await timed(
      async () => Number((await client.query(`select count(*) as n from points_lot where id = any($1::uuid[]) and remaining = 0`, [lots])).rows[0].n),
      () => runAll('points-lots', new Date()),
    );
    log(`  ${jobs['points expiry'].perSecond.toFixed(0)} lots/s (${jobs['points expiry'].rows} in ${jobs['points expiry'].seconds.toFixed(1)} s)`);

    // Tier evaluation: members drawn at random, their evaluation due a minute ago (their months as generated).
    const tiered = (
      await client.query<{ id: string }>(
        `select t.member_id as id from member m join member_tier t on t.member_id = m.id where m.issuer = $1 order by md5(m.id::text || $2) limit $3`,
        [SCALE_ISSUER, salt, settings.jobRows],
      )
    ).rows.map((r) => r.id);
    await client.query(`update member_tier set evaluation_due_at = $2 where member_id = any($1::uuid[])`, [tiered, due]);
    log(`${db.name}: tier evaluation of ${tiered.length.toLocaleString('en-US')} members due at once…`);
    let evaluated = 0;
    jobs['tier evaluation'] = await timed(
      async () => evaluated,
      async () => {
        evaluated = await runAll('tier-evaluation', new Date());
      },
    );
    log(`  ${jobs['tier evaluation'].perSecond.toFixed(0)} members/s (${evaluated} in ${jobs['tier evaluation'].seconds.toFixed(1)} s)`);

    // Segments: the daily computation over every member, at its next scheduled instant (the
    // first ever computation, everyone entering, is run untimed before).
    const snapshot = (await loadSegmentConfig(orm.em.fork()))!;
    const last = async () => (await client.query<{ as_of: Date }>(`select max(as_of) as as_of from segment_run where scope = 'real-time'`)).rows[0]?.as_of ?? null;
    if (!(await last())) {
      log(`${db.name}: segments' first computation (everyone enters; not the figure)…`);
      const started = performance.now();
      await runAll('segments', new Date(), 1);
      log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const next = nextScheduledRun((await last())!, snapshot.config.schedule, TIME_ZONE);
    log(`${db.name}: segments' daily computation at ${next.toISOString()}…`);
    jobs['segments (daily computation)'] = await timed(
      async () => Number((await client.query(`select members from segment_run where scope = 'real-time' and as_of = $1`, [next])).rows[0]?.members ?? 0),
      () => runAll('segments', next, 1),
    );
    log(`  ${jobs['segments (daily computation)'].perSecond.toFixed(0)} members/s (${jobs['segments (daily computation)'].rows} in ${jobs['segments (daily computation)'].seconds.toFixed(1)} s)`);
    return jobs;
  } finally {
    await client.end();
    await orm.close();
  }
}

/** Renewals: `count` memberships due at once in this database, renewed by one worker process through the WeChat Pay sandbox. */
async function measureRenewalJob(db: ScaleDatabase, state: Awaited<ReturnType<typeof prepareBenchState>>, count: number, log: (line: string) => void): Promise<JobRate> {
  const mark = `bench-renewal-${randomBytes(4).toString('hex')}`;
  log(`${db.name}: renewals of ${count.toLocaleString('en-US')} memberships due at once…`);
  await seedDueMemberships(db.url, state, count, () => {}, mark);
  const worker = await startChild({ name: 'worker', script: distFile('../src/worker-main.js'), env: state.env, ready: /worker listening on (\S+)/, timeoutMs: 90_000 });
  try {
    const result = await measureRenewals(db.url, count, count, 1, () => {}, {
      mark,
      alive: () => {
        if (worker.exited()) throw new Error(`worker ${worker.exited()}:\n${worker.tail().join('\n')}`);
      },
      stopRenewing: () => worker.stop(),
    });
    if (!result.chargedOnce) throw new Error('renewals: a membership was not charged exactly once');
    log(`  ${result.renewalsPerSecond.toFixed(0)} renewals/s (${result.measured} in ${result.seconds.toFixed(1)} s)`);
    return { rows: result.measured, seconds: result.seconds, perSecond: result.renewalsPerSecond };
  } finally {
    await worker.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Both databases, side by side.

export interface ScaleBenchResult {
  settings: ScaleSettings;
  small: DatabaseFigures;
  large: DatabaseFigures;
  /** p99 at the large size ÷ p99 at the small one, per latency row (target ≤ 1.2). */
  p99Ratio: Record<string, number>;
  /** Rows per second at the large size ÷ at the small one, per job. */
  jobRatio: Record<string, number>;
  bad: number;
}

export const P99_TARGET = 1.2;

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** BENCH_SCALE_SAMPLE (2,000 members), BENCH_SCALE_REDEEMS (600), BENCH_SCALE_SECONDS (8), BENCH_SCALE_CONNECTIONS (16), BENCH_SCALE_JOB_ROWS (10,000), BENCH_SCALE_RENEWALS (2,000), BENCH_SCALE_ONLY (hot,dashboards,jobs), BENCH_SCALE_DRAW_SEED (1). */
export function scaleSettings(): ScaleSettings {
  const only = (process.env.BENCH_SCALE_ONLY ?? 'hot,dashboards,jobs').split(',').map((s) => s.trim()) as ScaleSettings['only'];
  for (const s of only) if (!['hot', 'dashboards', 'jobs'].includes(s)) throw new Error(`BENCH_SCALE_ONLY: unknown section ${s}`);
  return {
    sample: intEnv('BENCH_SCALE_SAMPLE', 2_000),
    redeems: intEnv('BENCH_SCALE_REDEEMS', 600),
    seconds: intEnv('BENCH_SCALE_SECONDS', 8),
    connections: intEnv('BENCH_SCALE_CONNECTIONS', 16),
    jobRows: intEnv('BENCH_SCALE_JOB_ROWS', 10_000),
    renewals: intEnv('BENCH_SCALE_RENEWALS', 2_000),
    only,
    drawSeed: intEnv('BENCH_SCALE_DRAW_SEED', 1),
  };
}

/**
 * The small database is generated afresh every run (seconds: the hot paths consume its rights),
 * the large one is generated once and kept. Both with the same generator and seed.
 */
export async function runScaleBench(
  specs: { small: ScaleDatabaseSpec; large: ScaleDatabaseSpec },
  settings: ScaleSettings,
  log: (line: string) => void,
  progress: (line: string) => void = log,
): Promise<ScaleBenchResult> {
  // One audit key for both databases' preparations in this process (and their children).
  process.env.AUDIT_HMAC_KEY ??= randomBytes(32).toString('base64url');
  // The worker's port (the payment sandbox notifies it there): from a random base, not the shared default.
  process.env.BENCH_WORKER_PORT ??= String(20_000 + Math.floor(Math.random() * 30_000));
  await dropDatabase(specs.small.name);
  const now = new Date();
  const smallDb = await ensureScaleDatabase(specs.small, progress, now);
  const largeDb = await ensureScaleDatabase(specs.large, progress, now);
  log(`small: ${smallDb.members.toLocaleString('en-US')} members (${specs.small.name}); large: ${largeDb.members.toLocaleString('en-US')} members (${specs.large.name})`);
  const small = await measureDatabase(smallDb, settings, log);
  const large = await measureDatabase(largeDb, settings, log);
  const p99Ratio = Object.fromEntries(Object.keys(large.latency).filter((k) => small.latency[k]).map((k) => [k, large.latency[k]!.p99 / small.latency[k]!.p99]));
  const jobRatio = Object.fromEntries(Object.keys(large.jobs).filter((k) => small.jobs[k]).map((k) => [k, large.jobs[k]!.perSecond / small.jobs[k]!.perSecond]));
  const bad = [small, large].reduce((acc, f) => acc + Object.values(f.latency).reduce((a, l) => a + l.bad, 0), 0);
  return { settings, small, large, p99Ratio, jobRatio, bad };
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrlFor('postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  } finally {
    await admin.end();
  }
}

export function printScale(result: ScaleBenchResult, log: (line: string) => void): void {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const s = result.small.members.toLocaleString('en-US');
  const l = result.large.members.toLocaleString('en-US');
  log(`${'latency (ms)'.padEnd(54)} ${`${s}: p50`.padStart(14)} ${'p99'.padStart(7)} ${`${l}: p50`.padStart(16)} ${'p99'.padStart(7)} ${'p99 ratio'.padStart(10)} ${`≤ ${P99_TARGET}×`.padStart(6)}`);
  for (const row of LATENCY_ROWS) {
    const a = result.small.latency[row];
    const b = result.large.latency[row];
    if (!a || !b) continue;
    const ratio = result.p99Ratio[row]!;
    log(`${row.padEnd(54)} ${a.p50.toFixed(0).padStart(14)} ${a.p99.toFixed(0).padStart(7)} ${b.p50.toFixed(0).padStart(16)} ${b.p99.toFixed(0).padStart(7)} ${ratio.toFixed(2).padStart(10)} ${(ratio <= P99_TARGET ? 'yes' : 'NO').padStart(6)}`);
  }
  if (Object.keys(result.large.dashboards).length) {
    log('');
    log(`${'dashboard alone (ms, median of 15)'.padEnd(54)} ${s.padStart(14)} ${l.padStart(16)}`);
    for (const [name, d] of Object.entries(result.large.dashboards)) {
      log(`${name.padEnd(54)} ${(result.small.dashboards[name]?.medianMs ?? NaN).toFixed(1).padStart(14)} ${d.medianMs.toFixed(1).padStart(16)}`);
    }
  }
  if (Object.keys(result.large.jobs).length) {
    log('');
    log(`${'job (rows per second)'.padEnd(54)} ${s.padStart(14)} ${l.padStart(16)} ${'ratio'.padStart(7)}   rows at ${l}`);
    for (const row of JOB_ROWS) {
      const a = result.small.jobs[row];
      const b = result.large.jobs[row];
      if (!a || !b) continue;
      log(`${row.padEnd(54)} ${n(a.perSecond).padStart(14)} ${n(b.perSecond).padStart(16)} ${result.jobRatio[row]!.toFixed(2).padStart(7)}   ${n(b.rows)} in ${b.seconds.toFixed(1)} s`);
    }
  }
  log('');
  log(`rows at ${l}: ${Object.entries(result.large.tableRows).filter(([, c]) => c >= 1000).map(([t, c]) => `${t} ${n(c)}`).join(', ')}`);
}
