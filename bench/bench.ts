// `npm run bench`: our gateway (Hive runtime + Rust planner) against @apollo/gateway and
// against the membership subgraph alone, on the same supergraph and subgraphs, plus real
// redemptions through our gateway — in the production shape: the membership subgraph, the
// sparkwash subgraph (with its sandbox), our gateway and @apollo/gateway each run as their
// own Node process; the load generator runs in a worker thread of this process. The Me
// targets run in two rounds in opposite orders (hive, apollo, direct; direct, apollo, hive)
// and are reported as the mean of both rounds. Each child's CPU time during each
// measurement is read from /proc, so every gateway's own CPU cost per request is printed.
// Then the activity import: BENCH_IMPORT (100,000) purchases of BENCH_IMPORT_MEMBERS (10,000)
// members uploaded as one NDJSON file and applied by the worker process (BENCH_IMPORT_CONCURRENCY
// lanes at once, 4), beside the raw rate of INSERTs of the same rows sent with `pg`.
// Last, renewals: BENCH_RENEWALS (100,000) memberships due at once, renewed by the worker
// process through the WeChat Pay sandbox, the rate measured over the first
// BENCH_RENEWALS_MEASURED (10,000), beside the raw rate of the same UPDATEs sent with `pg`.
// Then the loyalty engine (bench/loyalty.ts): ledger postings, the expiry of 1,000,000 lots and
// the evaluation of 100,000 tiers, each beside raw pg; and `me` with its loyalty fields beside `me`.
// Prints tables, writes bench-results/latest.json, and exits non-zero when any response
// during the run was not a clean 200, a membership was charged twice, or a process died.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { runLoad, type LoadItem, type LoadResult, type LoadRun } from './load.js';
import { distFile, machineBusySeconds, processCpuSeconds, startChild, terminateAll, type Child } from './processes.js';
import { measureLoyalty } from './loyalty.js';
import { loyaltySettings, printLoyalty } from './loyalty-report.js';
import { measureImport, seedImportMembers } from './import.js';
import { measureRenewals, seedDueMemberships } from './renewals.js';
import { createBenchDatabase, graphql, pool, prepareBenchState, progress, type BenchDatabase, type BenchState } from './setup.js';

const ME_QUERY =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } } }';
const ME_LOYALTY_QUERY =
  'query MeLoyalty { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name since heldUntil } tierProgress { qualifyingSpend { amount } spendToNextTier { amount } explanation } points { balance lots { earned remaining earnedAt expiresAt } } } }';
const RECORD_ACTIVITY = 'mutation Record($input: ActivityInput!) { recordActivity(input: $input) { id } }';
const SUBSCRIBE = 'mutation Subscribe($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM =
  'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';

const REDEEM_PARTNER = 'streamflix';
const REDEEM_BENEFIT = 'STREAMING_VIP';

const settings = {
  members: intEnv('BENCH_MEMBERS', 200),
  seconds: intEnv('BENCH_SECONDS', 8),
  renewals: intEnv('BENCH_RENEWALS', 100_000),
  renewalsMeasured: intEnv('BENCH_RENEWALS_MEASURED', 10_000),
  imports: intEnv('BENCH_IMPORT', 100_000),
  importMembers: intEnv('BENCH_IMPORT_MEMBERS', 10_000),
  importConcurrency: intEnv('BENCH_IMPORT_CONCURRENCY', 4),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 2),
  connections: intEnv('BENCH_CONNECTIONS', 32),
  rounds: intEnv('BENCH_ROUNDS', 2),
};

/**
 * The child processes whose CPU time is read around each measurement, this one (the load
 * generator), and the rest of the machine's busy time (PostgreSQL, anything else running).
 */
const PROCESS_KEYS = ['hive', 'apollo', 'membership', 'sparkwash', 'worker', 'loadgen', 'rest'] as const;
type ProcessKey = (typeof PROCESS_KEYS)[number];
const PROCESS_LABELS: Record<ProcessKey, string> = {
  hive: 'hive gw',
  apollo: 'apollo gw',
  membership: 'membership',
  sparkwash: 'sparkwash',
  worker: 'worker',
  loadgen: 'load gen, sandboxes',
  rest: 'rest (PostgreSQL, other)',
};

interface Member {
  bearer: string;
  /** The member's STREAMING_VIP entitlement. */
  streamingEntitlementId: string;
}

/** One warm-up + measurement of one target. */
interface RunResult {
  round: number;
  warmup: LoadResult;
  measured: LoadResult;
  /** CPU seconds each process used during the measurement. */
  cpuSeconds: Record<ProcessKey, number>;
}

interface TargetResult {
  key: string;
  label: string;
  url: string;
  /** Pooled over the runs: requests and durations summed, latency percentiles averaged. */
  measured: LoadResult;
  /** CPU seconds per process, summed over the runs. */
  cpuSeconds: Record<ProcessKey, number>;
  runs: RunResult[];
}

const log = (line: string) => console.log(line);
const cleanups: Array<() => Promise<void>> = [];
const processes: Partial<Record<ProcessKey, Child>> = {};

async function main(): Promise<number> {
  log(
    `bench: ${settings.members} members, ${settings.connections} connections, ` +
      `${settings.warmupSeconds}s warm-up + ${settings.seconds}s per target and round, ${settings.rounds} rounds of the Me targets, ` +
      `${os.cpus().length} CPUs, Node ${process.version}`,
  );

  const db: BenchDatabase = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}`);

  log('preparing the database (migrations, demo catalog), keys and a partner key…');
  const state: BenchState = await prepareBenchState(db.url, REDEEM_PARTNER);
  cleanups.push(() => state.close());

  const start = async (key: ProcessKey, name: string, script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) => {
    log(`starting ${name}…`);
    const child = await startChild({ name, script, args, env, ready });
    cleanups.push(() => child.stop());
    processes[key] = child;
    log(`  ${name}: ${child.url} (pid ${child.pid})`);
    return child;
  };
  const subgraphReady = /^subgraph \S+ listening on (\S+)/;
  const membership = await start('membership', 'membership subgraph', distFile('../src/subgraph-main.js'), ['membership'], state.env, subgraphReady);
  const sparkwash = await start('sparkwash', 'sparkwash subgraph', distFile('../src/subgraph-main.js'), ['sparkwash'], state.env, subgraphReady);
  const gatewayEnv = { ...state.env, SUBGRAPHS: `membership=${membership.url},sparkwash=${sparkwash.url}` };
  const hive = await start('hive', 'hive gateway', distFile('../src/gateway-main.js'), [], gatewayEnv, /^gateway listening on (\S+)/);
  // The worker: takes the payment provider's confirmations (subscriptions), provisions partners, imports activities, renews.
  const worker = await start('worker', 'worker', distFile('../src/worker-main.js'), [], { ...state.env, ACTIVITY_IMPORT_CONCURRENCY: String(settings.importConcurrency) }, /^worker listening on (\S+)/);
  const apollo = await start('apollo', '@apollo/gateway', distFile('./apollo-gateway-main.js'), [], gatewayEnv, /^apollo gateway listening on (\S+)/);

  const members = await createMembers(hive.url, state.devIssuer);
  // STREAMING_VIP waits for streamflix to acknowledge each right (the member links an
  // account); stand in for those acknowledgements so the redemption run has usable rights.
  await acknowledgeStreamingRights(db.url, members);

  const meItems: LoadItem[] = members.map((m) => ({
    authorization: `Bearer ${m.bearer}`,
    body: JSON.stringify({ query: ME_QUERY, operationName: 'Me' }),
  }));
  const meExpect = '"me":{"membership":{';
  const meTargets = [
    { key: 'hive', label: 'Me · hive gateway', short: 'hive gateway', url: hive.url },
    { key: 'apollo', label: 'Me · @apollo/gateway', short: '@apollo/gateway', url: apollo.url },
    { key: 'direct', label: 'Me · membership subgraph (direct)', short: 'membership subgraph (direct)', url: membership.url },
  ];
  const meRuns = new Map<string, RunResult[]>(meTargets.map((t) => [t.key, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Opposite orders in alternate rounds, so drift (heat, database growth) averages out.
    const order = round % 2 === 1 ? meTargets : [...meTargets].reverse();
    for (const target of order) {
      // The subgraph answers the gateway only: the direct run signs as the gateway does (every
      // item has the same body, so one signature, fresh for each run, covers them all).
      const headers: Record<string, string> = target.key === 'direct' ? { [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(state.env.SUBGRAPH_SECRET!, meItems[0]!.body) } : {};
      const run = { url: target.url, connections: settings.connections, items: meItems, mode: 'cycle', expect: meExpect, headers } as const;
      meRuns.get(target.key)!.push(await measure(`${target.short} (round ${round}/${settings.rounds})`, round, run, run));
    }
  }
  const results: TargetResult[] = meTargets.map((t) => pooled(t.key, t.label, t.url, meRuns.get(t.key)!));

  // The same members with a loyalty history (purchases over months: lots, a tier, progress),
  // asked for `me` with its loyalty fields through our gateway: beside `Me` above.
  await recordLoyaltyHistory(db.url, hive.url, state.devIssuer, members.length);
  const loyaltyItems: LoadItem[] = members.map((m) => ({ authorization: `Bearer ${m.bearer}`, body: JSON.stringify({ query: ME_LOYALTY_QUERY, operationName: 'MeLoyalty' }) }));
  const loyaltyRun = { url: hive.url, connections: settings.connections, items: loyaltyItems, mode: 'cycle', expect: '"tier":{"code":' } as const;
  results.push(pooled('me-loyalty', 'Me + loyalty · hive gateway', hive.url, [await measure('hive gateway Me with tier, progress and points', 1, loyaltyRun, loyaltyRun)]));

  // Redemptions: one pre-issued token per request, sized from our gateway's Me rate.
  const hiveRps = results[0]!.measured.rps;
  const totalSeconds = settings.warmupSeconds + settings.seconds;
  const estimate = Math.ceil(hiveRps * 1.3 * totalSeconds) + 4 * settings.connections;
  const tokenCount = intEnv('BENCH_REDEEM_TOKENS', Math.min(Math.max(estimate, 1000), intEnv('BENCH_REDEEM_TOKENS_MAX', 30_000)));
  const tokens = await issueTokens(hive.url, members, tokenCount);
  const redeemItems: LoadItem[] = tokens.map((token) => ({
    authorization: `Bearer ${state.partnerKey}`,
    body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `bench-${randomUUID()}` } }),
  }));
  const warmupCount = Math.ceil((tokenCount * settings.warmupSeconds) / totalSeconds);
  const redeemRun = { url: hive.url, connections: settings.connections, mode: 'once', expect: '"redeemEntitlement":{"id":' } as const;
  const redeem = await measure(
    'hive gateway redeemEntitlement',
    1,
    { ...redeemRun, items: redeemItems.slice(0, warmupCount) },
    { ...redeemRun, items: redeemItems.slice(warmupCount) },
  );
  results.push(pooled('redeem', 'redeemEntitlement · hive gateway', hive.url, [redeem]));

  // The activity import: one NDJSON file of purchases, uploaded to the worker and applied by it
  // (before the renewals, which leave memberships due that a worker would go on renewing).
  log(`activity import: seeding ${settings.importMembers.toLocaleString('en-US')} members…`);
  const importMembers = await seedImportMembers(db.url, settings.importMembers);
  const importCpuBefore = worker.cpuSeconds();
  const activityImport = await measureImport({
    databaseUrl: db.url,
    uploadUrl: worker.url,
    adminToken: await state.devIssuer.mint('bench-admin', { admin: true }),
    members: importMembers,
    count: settings.imports,
    concurrency: settings.importConcurrency,
    log,
    alive: () => assertAlive('during the activity import'),
  });
  const importCpuMs = ((worker.cpuSeconds() - importCpuBefore) / settings.imports) * 1000;

  // Renewals: memberships due at once, renewed by the worker through the payment sandbox.
  log(`renewals: seeding ${settings.renewals.toLocaleString('en-US')} memberships due at once…`);
  await seedDueMemberships(db.url, state, settings.renewals, log);
  const renewals = await measureRenewals(db.url, settings.renewals, Math.min(settings.renewals, settings.renewalsMeasured), 1, log, {
    alive: () => assertAlive('during the renewals'),
    stopRenewing: async () => {
      const worker = processes.worker!;
      delete processes.worker;
      await worker.stop();
    },
  });

  // The loyalty engine: ledger postings, expiry and tier evaluation, each beside raw pg (the worker is stopped).
  const loyalty = await measureLoyalty(db.url, loyaltySettings(), log);

  // Report.
  const [hiveResult, apolloResult, direct] = results;
  const cpuMsPerRequest = (r: TargetResult, key: ProcessKey) => (r.cpuSeconds[key] / r.measured.requests) * 1000;
  const ratios = {
    basis: `Me targets: mean of ${settings.rounds} rounds (requests / total duration; latency percentiles averaged; CPU summed / requests)`,
    hiveVsApolloThroughput: hiveResult!.measured.rps / apolloResult!.measured.rps,
    gatewayOverheadP50Ms: hiveResult!.measured.latencyMs.p50 - direct!.measured.latencyMs.p50,
    apolloOverheadP50Ms: apolloResult!.measured.latencyMs.p50 - direct!.measured.latencyMs.p50,
    directVsGatewayThroughput: direct!.measured.rps / hiveResult!.measured.rps,
    // The fair engine comparison on 2 cores: each gateway process's own CPU per request.
    gatewayCpuMsPerRequest: {
      hive: cpuMsPerRequest(hiveResult!, 'hive'),
      apollo: cpuMsPerRequest(apolloResult!, 'apollo'),
    },
    apolloVsHiveCpuPerRequest: cpuMsPerRequest(apolloResult!, 'apollo') / cpuMsPerRequest(hiveResult!, 'hive'),
  };
  printTable(results);
  printCpuTable(results);
  log('');
  log(`(Me rows: mean of ${settings.rounds} rounds, run in opposite orders; CPU = process user+system time during the measurement)`);
  log(`our gateway vs @apollo/gateway, throughput:   ${ratios.hiveVsApolloThroughput.toFixed(2)}×`);
  log(`gateway overhead, p50 (ours − direct):        ${signed(ratios.gatewayOverheadP50Ms)} ms   (@apollo/gateway − direct: ${signed(ratios.apolloOverheadP50Ms)} ms)`);
  log(`gateway overhead, throughput (direct / ours): ${ratios.directVsGatewayThroughput.toFixed(2)}×`);
  log(
    `gateway process CPU per request:              ours ${ratios.gatewayCpuMsPerRequest.hive.toFixed(3)} ms, ` +
      `@apollo/gateway ${ratios.gatewayCpuMsPerRequest.apollo.toFixed(3)} ms (apollo / ours ${ratios.apolloVsHiveCpuPerRequest.toFixed(2)}×)`,
  );
  const meLoyalty = results.find((r) => r.key === 'me-loyalty');
  if (meLoyalty && hiveResult) {
    log(
      `Me with tier, progress and points vs Me (our gateway): ${meLoyalty.measured.rps.toFixed(0)} vs ${hiveResult.measured.rps.toFixed(0)} req/s (${(meLoyalty.measured.rps / hiveResult.measured.rps).toFixed(2)}×), ` +
        `p50 ${meLoyalty.measured.latencyMs.p50} vs ${hiveResult.measured.latencyMs.p50} ms`,
    );
  }
  log(
    `renewals (${renewals.memberships.toLocaleString('en-US')} due at once, 1 worker): ${renewals.renewalsPerSecond.toFixed(0)}/s over the first ` +
      `${renewals.measured.toLocaleString('en-US')}; raw UPDATE of the same rows with pg: ${renewals.raw.updatesPerSecond.toFixed(0)}/s ` +
      `(${renewals.rawOverRenewal.toFixed(1)}× a renewal); none charged twice: ${renewals.chargedOnce}`,
  );
  printLoyalty(loyalty, log);
  log(
    `activity import (${activityImport.activities.toLocaleString('en-US')} purchases, 1 worker, ${activityImport.concurrency} lanes at once): ` +
      `${activityImport.activitiesPerSecond.toFixed(0)} activities/s (worker CPU ${importCpuMs.toFixed(2)} ms each); raw INSERT of the same rows with pg: ` +
      `${activityImport.raw.insertsPerSecond.toFixed(0)}/s (${activityImport.rawOverImport.toFixed(1)}× an imported activity); every line accepted once: ${activityImport.exact}`,
  );
  if (redeem.measured.exhausted) {
    log(`note: the redemption run used all ${redeemItems.length - warmupCount} pre-issued tokens before ${settings.seconds}s (ran ${redeem.measured.durationSeconds}s); raise BENCH_REDEEM_TOKENS for a full-length run`);
  }

  const failures = results.flatMap((r) =>
    r.runs.flatMap((run) =>
      (['warmup', 'measured'] as const)
        .map((phase) => ({ target: r.label, phase: `${phase}, round ${run.round}`, result: run[phase] }))
        .filter(({ result }) => badCount(result) > 0),
    ),
  );
  const outFile = fileURLToPath(new URL('../../bench-results/latest.json', import.meta.url));
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  await fs.writeFile(
    outFile,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
        database: db.source,
        shape: 'one process each: membership subgraph, sparkwash subgraph, hive gateway, @apollo/gateway, worker; the partners\' and the payment provider\'s sandboxes in the bench process; load generator in a worker thread of the bench process',
        processes: Object.fromEntries(Object.entries(processes).map(([k, c]) => [k, { pid: c.pid, url: c.url }])),
        settings: { ...settings, redeemTokens: tokenCount, loadGenerator: 'autocannon 9, 1 worker thread' },
        query: ME_QUERY,
        redeemMutation: REDEEM,
        targets: results.map((r) => ({
          key: r.key,
          label: r.label,
          url: r.url,
          ...r.measured,
          cpuSeconds: r.cpuSeconds,
          cpuMsPerRequest: Object.fromEntries(PROCESS_KEYS.map((k) => [k, cpuMsPerRequest(r, k)])),
          runs: r.runs.map((run) => ({ round: run.round, ...run.measured, cpuSeconds: run.cpuSeconds, warmup: run.warmup })),
        })),
        ratios,
        renewals,
        loyalty,
        activityImport: { ...activityImport, workerCpuMsPerActivity: importCpuMs },
        ok: failures.length === 0 && renewals.chargedOnce && activityImport.exact,
        failures: failures.map((f) => ({ target: f.target, phase: f.phase, ...errorSummary(f.result) })),
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${path.relative(process.cwd(), outFile)}`);

  if (!activityImport.exact) {
    log('!! the activity import did not accept every line exactly once: its figure is NOT valid');
    return 1;
  }
  if (!renewals.chargedOnce) {
    log('!! a membership was charged twice or a renewal failed: the renewal figure is NOT valid');
    return 1;
  }
  if (failures.length) {
    log('');
    log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    log('!!  THE BENCHMARK SAW ERRORS: the figures above are NOT valid measurements.  !!');
    log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    for (const f of failures) {
      const s = errorSummary(f.result);
      log(`${f.target} (${f.phase}): ${s.non2xx} non-2xx, ${s.graphqlErrors} GraphQL errors, ${s.connectionErrors} connection errors (${s.timeouts} timeouts)`);
      for (const sample of f.result.samples) log(`    ${sample.kind}${sample.status ? ` ${sample.status}` : ''}: ${sample.body ?? ''}`);
    }
    return 1;
  }
  return 0;
}

/** CPU seconds used so far by every process (0 for one not running). */
function cpuSnapshot(): Record<ProcessKey, number> {
  const snapshot = {} as Record<ProcessKey, number>;
  const machine = machineBusySeconds();
  let ours = 0;
  for (const key of PROCESS_KEYS) {
    if (key === 'rest') continue;
    const child = key === 'loadgen' ? undefined : processes[key];
    snapshot[key] = key === 'loadgen' ? processCpuSeconds(process.pid) : child && !child.exited() ? child.cpuSeconds() : 0;
    ours += snapshot[key];
  }
  snapshot.rest = machine - ours;
  return snapshot;
}

/** Throws, loudly, when a child process has died. */
function assertAlive(when: string): void {
  for (const child of Object.values(processes)) {
    const exit = child.exited();
    if (exit) {
      throw new Error(`${child.name} (pid ${child.pid}) ${exit} ${when}; its last output:\n${child.tail().map((l) => `    ${l}`).join('\n')}`);
    }
  }
}

/** Warm-up then measurement of one target, with progress lines and each process's CPU time. */
async function measure(
  label: string,
  round: number,
  warmupRun: Omit<LoadRun, 'seconds'>,
  measuredRun: Omit<LoadRun, 'seconds'>,
): Promise<RunResult> {
  assertAlive(`before ${label}`);
  log(`warming up ${label}… ${settings.warmupSeconds}s`);
  const warmup = await runLoad({ ...warmupRun, seconds: settings.warmupSeconds });
  log(`measuring ${label}… ${settings.seconds}s`);
  const before = cpuSnapshot();
  const measured = await runLoad({ ...measuredRun, seconds: settings.seconds });
  const after = cpuSnapshot();
  assertAlive(`during ${label}`);
  const cpuSeconds = Object.fromEntries(PROCESS_KEYS.map((k) => [k, Math.max(0, after[k] - before[k])])) as Record<ProcessKey, number>;
  const bad = badCount(warmup) + badCount(measured);
  const perRequest = PROCESS_KEYS.filter((k) => cpuSeconds[k] > 0.05 * settings.seconds)
    .map((k) => `${PROCESS_LABELS[k]} ${((cpuSeconds[k] / Math.max(1, measured.requests)) * 1000).toFixed(3)}`)
    .join(', ');
  log(
    `  ${measured.rps.toFixed(0)} req/s, p50 ${measured.latencyMs.p50} ms, p99 ${measured.latencyMs.p99} ms; CPU ms/request: ${perRequest}` +
      (bad ? `  — ${bad} BAD RESPONSES` : ''),
  );
  return { round, warmup, measured, cpuSeconds };
}

/** One target's runs pooled: requests and durations summed, latency percentiles averaged, CPU summed. */
function pooled(key: string, label: string, url: string, runs: RunResult[]): TargetResult {
  const m = runs.map((r) => r.measured);
  const sum = (f: (r: LoadResult) => number) => m.reduce((acc, r) => acc + f(r), 0);
  const mean = (f: (r: LoadResult) => number) => sum(f) / m.length;
  const requests = sum((r) => r.requests);
  const durationSeconds = sum((r) => r.durationSeconds);
  return {
    key,
    label,
    url,
    runs,
    measured: {
      requests,
      durationSeconds,
      rps: durationSeconds > 0 ? requests / durationSeconds : 0,
      latencyMs: {
        p50: mean((r) => r.latencyMs.p50),
        p90: mean((r) => r.latencyMs.p90),
        p99: mean((r) => r.latencyMs.p99),
        mean: mean((r) => r.latencyMs.mean),
        max: Math.max(...m.map((r) => r.latencyMs.max)),
      },
      non2xx: sum((r) => r.non2xx),
      graphqlErrors: sum((r) => r.graphqlErrors),
      connectionErrors: sum((r) => r.connectionErrors),
      timeouts: sum((r) => r.timeouts),
      samples: m.flatMap((r) => r.samples).slice(0, 5),
      exhausted: m.some((r) => r.exhausted),
    },
    cpuSeconds: Object.fromEntries(PROCESS_KEYS.map((k) => [k, runs.reduce((acc, r) => acc + r.cpuSeconds[k], 0)])) as Record<ProcessKey, number>,
  };
}

async function acknowledgeStreamingRights(databaseUrl: string, members: Member[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`update entitlement set status = 'ACTIVE' where id = any($1::uuid[]) and status = 'PENDING_PROVISION'`, [
      members.map((m) => m.streamingEntitlementId),
    ]);
  } finally {
    await client.end();
  }
}

/** Members with dev-issuer JWTs, each subscribed to PLUS through the gateway. */
async function createMembers(gatewayUrl: string, issuer: { mint(subject: string): Promise<string> }): Promise<Member[]> {
  const members: Member[] = new Array(settings.members);
  const bar = progress('subscribing members to PLUS…', settings.members);
  await pool(settings.members, 8, async (i) => {
    const bearer = await issuer.mint(`bench-member-${i}`);
    const { subscribe } = await graphql<{ subscribe: { status: string } }>(gatewayUrl, bearer, SUBSCRIBE, { key: `bench-sub-${i}` });
    if (subscribe.status !== 'ACTIVE') throw new Error(`member ${i}: membership is ${subscribe.status}, expected ACTIVE`);
    const { me } = await graphql<{ me: { entitlements: Array<{ id: string; benefit: { code: string } }> } }>(gatewayUrl, bearer, ME_QUERY);
    const streaming = me.entitlements.find((e) => e.benefit.code === REDEEM_BENEFIT);
    if (!streaming) throw new Error(`member ${i} has no ${REDEEM_BENEFIT} entitlement after subscribing`);
    members[i] = { bearer, streamingEntitlementId: streaming.id };
    bar.tick();
  });
  return members;
}

/** Six purchases a member, over the last months (lots, qualifying months, a tier for the larger spenders), recorded by an admin. */
async function recordLoyaltyHistory(databaseUrl: string, gatewayUrl: string, issuer: { mint(subject: string, options?: { admin?: boolean }): Promise<string> }, count: number): Promise<void> {
  const admin = await issuer.mint('bench-admin', { admin: true });
  // The members joined a year ago (activities before joining are refused).
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`update member set created_at = now() - interval '400 days' where subject like 'bench-member-%'`);
  await client.end();
  const bar = progress('recording members\' purchases (loyalty history)…', count);
  await pool(count, 8, async (i) => {
    const bearer = await issuer.mint(`bench-member-${i}`);
    const { me } = await graphql<{ me: { id: string } }>(gatewayUrl, bearer, '{ me { id } }');
    for (let k = 0; k < 6; k++) {
      const occurredAt = new Date(Date.now() - (k * 30 + 1) * 86_400_000).toISOString();
      await graphql(gatewayUrl, admin, RECORD_ACTIVITY, {
        input: { memberId: me.id, type: 'PURCHASE', channel: 'app', externalId: `bench-${i}-${k}`, amount: { amount: 20_000 + (i % 10) * 30_000, currency: 'CNY' }, occurredAt },
      });
    }
    bar.tick();
  });
}

/** One entitlement token per redemption, spread over the members (so no one row is hot). */
async function issueTokens(gatewayUrl: string, members: Member[], count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  const bar = progress(`issuing ${REDEEM_BENEFIT} tokens…`, count);
  await pool(count, 16, async (i) => {
    const member = members[i % members.length]!;
    const { issueEntitlementToken } = await graphql<{ issueEntitlementToken: { token: string } }>(gatewayUrl, member.bearer, ISSUE, {
      id: member.streamingEntitlementId,
    });
    tokens[i] = issueEntitlementToken.token;
    bar.tick();
  });
  return tokens;
}

function printTable(results: TargetResult[]): void {
  printAligned([
    ['target', 'req/s', 'per round', 'p50 ms', 'p99 ms', 'requests', 'errors'],
    ...results.map((r) => [
      r.label,
      r.measured.rps.toFixed(0),
      r.runs.map((run) => run.measured.rps.toFixed(0)).join(' / '),
      ms(r.measured.latencyMs.p50),
      ms(r.measured.latencyMs.p99),
      String(r.measured.requests),
      String(badCount(r.measured)),
    ]),
  ]);
}

/** CPU ms per request of each process during each target's measurements. */
function printCpuTable(results: TargetResult[]): void {
  log('');
  log('CPU ms per request, by process (process CPU seconds during the measurements / requests × 1000):');
  printAligned([
    ['target', ...PROCESS_KEYS.map((k) => PROCESS_LABELS[k])],
    ...results.map((r) => [r.label, ...PROCESS_KEYS.map((k) => ((r.cpuSeconds[k] / Math.max(1, r.measured.requests)) * 1000).toFixed(3))]),
  ]);
}

function printAligned(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  log('');
  log(line(rows[0]!));
  log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) log(line(row));
}

function ms(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function badCount(r: LoadResult): number {
  return r.non2xx + r.graphqlErrors + r.connectionErrors;
}

function errorSummary(r: LoadResult) {
  return { non2xx: r.non2xx, graphqlErrors: r.graphqlErrors, connectionErrors: r.connectionErrors, timeouts: r.timeouts, samples: r.samples };
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;
}

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const step = cleanups.pop()!;
    await step().catch((error: unknown) => console.error(`cleanup step failed: ${error instanceof Error ? error.message : String(error)}`));
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping…`);
    terminateAll();
    void cleanup().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error('bench failed:', error);
  code = 1;
} finally {
  await cleanup();
}
// Children are stopped and the database dropped; leftover timers (pg pools) must not keep us.
process.exit(code);
