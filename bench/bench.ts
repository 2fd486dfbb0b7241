// `npm run bench`: our gateway (Hive runtime + Rust planner) against @apollo/gateway and
// against the membership subgraph alone, on the same supergraph and subgraphs, plus real
// redemptions through our gateway — in the production shape: the membership subgraph, the
// sparkwash subgraph (with its sandbox), our gateway, @apollo/gateway, a worker and a bare
// `node:http` server each run as their own Node process; the load generator runs in a worker
// thread of this process. Targets compared with each other run in rounds of opposite orders
// (e.g. hive, apollo, direct; direct, apollo, hive) and are reported pooled over the rounds.
// Each child's CPU time during each measurement is read from /proc, and the SQL statements the
// gateway, the membership subgraph and the worker sent from their metrics (`db_statements_total`),
// so every row prints CPU ms and SQL statements per request of every process.
// Sections (BENCH_ONLY=floor,me,issue,signing,verify,redeem,import,renewals,loyalty picks some):
// - floor: `{ __typename }` and `{ viewer { kind } }` (anonymous, one trivial field of the
//   membership subgraph) through our gateway, @apollo/gateway and the bare server;
// - me: `me` of members holding 10 entitlements (PLUS's bundle republished as a version with six
//   more QUOTA benefits), with tier and points, through each gateway and direct to the subgraph;
//   then `me` with the whole loyalty block (tier progress, lots) through our gateway;
// - issue: issueEntitlementToken through our gateway;
// - signing: the signing service (EntitlementTokenSigner) in-process against raw jose SignJWT;
// - verify: the partner verifier kit in-process against raw jose jwtVerify;
// - redeem: redeemEntitlement spread over every member's six perks and hot on four
//   entitlements, each beside the same statements sent with `pg` as one transaction;
// - import: BENCH_IMPORT (100,000) purchases of BENCH_IMPORT_MEMBERS (10,000) members uploaded as
//   one NDJSON file and applied by the worker (BENCH_IMPORT_CONCURRENCY lanes, 4), beside raw INSERTs;
// - renewals: BENCH_RENEWALS (100,000) memberships due at once, renewed by the worker through the
//   WeChat Pay sandbox, measured over the first BENCH_RENEWALS_MEASURED (10,000), beside raw UPDATEs;
// - loyalty (bench/loyalty.ts): ledger postings, the expiry of 1,000,000 lots and the evaluation
//   of 100,000 tiers, each beside raw pg.
// Prints tables, the issue's targets (met or missed), writes bench-results/latest.json, and exits
// non-zero when any response during the run was not a clean 200, a membership was charged
// twice, or a process died.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { measureSigning, measureVerifying, type CryptoPair } from './crypto.js';
import { runLoad, type LoadItem, type LoadResult, type LoadRun } from './load.js';
import { distFile, machineBusySeconds, processCpuSeconds, startChild, terminateAll, type Child } from './processes.js';
import { measureLoyalty, type LoyaltyBenchResult } from './loyalty.js';
import { loyaltySettings, printLoyalty } from './loyalty-report.js';
import { measureImport, seedImportMembers } from './import.js';
import { measureRawRedeem, type RawRedeemResult } from './raw-redeem.js';
import { measureRenewals, seedDueMemberships } from './renewals.js';
import { createBenchDatabase, freePort, graphql, pool, prepareBenchState, progress, recordLoyaltyHistory, type BenchDatabase, type BenchState } from './setup.js';

const ME_QUERY =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name } points { balance } } }';
const ME_LOYALTY_QUERY =
  'query MeLoyalty { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name since heldUntil } tierProgress { qualifyingSpend { amount } spendToNextTier { amount } explanation } points { balance lots { earned remaining earnedAt expiresAt } } } }';
const FLOOR_QUERIES = {
  typename: { query: 'query Floor { __typename }', operationName: 'Floor', expect: '"__typename":"Query"' },
  viewer: { query: 'query FloorViewer { viewer { kind } }', operationName: 'FloorViewer', expect: '"kind":"ANONYMOUS"' },
} as const;
const SUBSCRIBE = 'mutation Subscribe($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM =
  'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';

const REDEEM_PARTNER = 'streamflix';
const STREAMING_BENEFIT = 'STREAMING_VIP';
/** The benefits added to PLUS's bundle so a member holds 10 rights: QUOTA, partner streamflix, a big quota. */
const PERKS = Array.from({ length: 6 }, (_, i) => `BENCH_PERK_${i + 1}`);
const PERK_QUOTA = 1_000_000;
const ENTITLEMENTS_PER_MEMBER = 10;
/** The hot redemption: every token on this many entitlements. */
const HOT_ENTITLEMENTS = 4;

const SECTIONS = ['floor', 'me', 'issue', 'signing', 'verify', 'redeem', 'import', 'renewals', 'loyalty'] as const;
type Section = (typeof SECTIONS)[number];

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
  /** Calls in flight at once in the in-process signing and verifying loops. */
  cryptoInFlight: intEnv('BENCH_CRYPTO_IN_FLIGHT', 1),
  only: sectionsEnv('BENCH_ONLY'),
};
const want = (section: Section) => settings.only.includes(section);

/** The issue's targets (issue 12): printed with what was measured, not enforced. */
const TARGETS = {
  gatewayCpuVsApollo: 0.5,
  meGatewayP50VsDirect: 1.3,
  redeemVsRaw: 0.2,
  signingVsRaw: 0.7,
  verifierKitVsRaw: 0.9,
};

/**
 * The child processes whose CPU time is read around each measurement, this one (the load
 * generator), and the rest of the machine's busy time (PostgreSQL, anything else running).
 */
const PROCESS_KEYS = ['hive', 'apollo', 'bare', 'membership', 'sparkwash', 'worker', 'loadgen', 'rest'] as const;
type ProcessKey = (typeof PROCESS_KEYS)[number];
const PROCESS_LABELS: Record<ProcessKey, string> = {
  hive: 'hive gw',
  apollo: 'apollo gw',
  bare: 'bare http',
  membership: 'membership',
  sparkwash: 'sparkwash',
  worker: 'worker',
  loadgen: 'load gen, sandboxes',
  rest: 'rest (PostgreSQL, other)',
};
/** The processes that talk to PostgreSQL, whose statements are read from their metrics. */
const SQL_KEYS = ['hive', 'membership', 'worker'] as const;
type SqlKey = (typeof SQL_KEYS)[number];

interface Member {
  bearer: string;
  /** The member's STREAMING_VIP entitlement. */
  streamingEntitlementId: string;
  /** The member's BENCH_PERK_* entitlements (QUOTA, big quota, partner streamflix). */
  perkEntitlementIds: string[];
}

/** One warm-up + measurement of one target. */
interface RunResult {
  round: number;
  warmup: LoadResult;
  measured: LoadResult;
  /** CPU seconds each process used during the measurement. */
  cpuSeconds: Record<ProcessKey, number>;
  /**
   * SQL statements each process sent for the measurement's requests: counted from before its
   * first request (once the warm-up's last ones were done) until its last one was done.
   */
  sqlStatements: Record<SqlKey, number>;
}

interface TargetResult {
  key: string;
  label: string;
  url: string;
  /** Pooled over the runs: requests and durations summed, latency percentiles averaged. */
  measured: LoadResult;
  /** CPU seconds per process, summed over the runs. */
  cpuSeconds: Record<ProcessKey, number>;
  /** SQL statements per process, summed over the runs (per request: ÷ `measured.sent`). */
  sqlStatements: Record<SqlKey, number>;
  runs: RunResult[];
}

/** One measured figure beside its baseline from the same run. */
interface Comparison {
  name: string;
  measured: string;
  baseline: string;
  /** measured ÷ baseline, in the comparison's own sense (see `ratioOf`). */
  ratio: number;
  ratioOf: string;
}

interface TargetCheck {
  target: string;
  goal: string;
  value: number;
  met: boolean;
}

const log = (line: string) => console.log(line);
const cleanups: Array<() => Promise<void>> = [];
const processes: Partial<Record<ProcessKey, Child>> = {};
const metricsUrls: Partial<Record<SqlKey, string>> = {};

async function main(): Promise<number> {
  log(
    `bench: ${settings.members} members, ${settings.connections} connections, ` +
      `${settings.warmupSeconds}s warm-up + ${settings.seconds}s per target and round, ${settings.rounds} rounds of compared targets, ` +
      `${os.cpus().length} CPUs, Node ${process.version}; sections: ${settings.only.join(', ')}`,
  );

  const db: BenchDatabase = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}`);

  log('preparing the database (migrations, demo catalog), keys and a partner key…');
  const state: BenchState = await prepareBenchState(db.url, REDEEM_PARTNER);
  cleanups.push(() => state.close());
  // Before anyone subscribes: PLUS's bundle as a new version with six more benefits (10 rights a member).
  await publishTenBenefitBundle(db.url);

  const start = async (key: ProcessKey, name: string, script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) => {
    log(`starting ${name}…`);
    const child = await startChild({ name, script, args, env, ready });
    cleanups.push(() => child.stop());
    processes[key] = child;
    log(`  ${name}: ${child.url} (pid ${child.pid})`);
    return child;
  };
  // Each process that talks to PostgreSQL serves its metrics (SQL statements sent) on a port of its own.
  let lastPort = Number(process.env.BENCH_METRICS_PORT ?? 54380) - 1;
  const metricsEnv = async (key: SqlKey) => {
    lastPort = await freePort(lastPort + 1);
    metricsUrls[key] = `http://127.0.0.1:${lastPort}/metrics`;
    return { METRICS_HOST: '127.0.0.1', METRICS_PORT: String(lastPort) };
  };
  const subgraphReady = /^subgraph \S+ listening on (\S+)/;
  const membership = await start('membership', 'membership subgraph', distFile('../src/subgraph-main.js'), ['membership'], { ...state.env, ...(await metricsEnv('membership')) }, subgraphReady);
  const sparkwash = await start('sparkwash', 'sparkwash subgraph', distFile('../src/subgraph-main.js'), ['sparkwash'], state.env, subgraphReady);
  const gatewayEnv = { ...state.env, SUBGRAPHS: `membership=${membership.url},sparkwash=${sparkwash.url}` };
  const hive = await start('hive', 'hive gateway', distFile('../src/gateway-main.js'), [], { ...gatewayEnv, ...(await metricsEnv('hive')) }, /^gateway listening on (\S+)/);
  // The worker: takes the payment provider's confirmations (subscriptions), provisions partners, imports activities, renews.
  const worker = await start(
    'worker',
    'worker',
    distFile('../src/worker-main.js'),
    [],
    { ...state.env, ACTIVITY_IMPORT_CONCURRENCY: String(settings.importConcurrency), ...(await metricsEnv('worker')) },
    /^worker listening on (\S+)/,
  );
  const apollo = await start('apollo', '@apollo/gateway', distFile('./apollo-gateway-main.js'), [], gatewayEnv, /^apollo gateway listening on (\S+)/);
  const bare = await start('bare', 'bare node:http server', distFile('./bare-http-main.js'), [], { ...state.env, PORT: '0' }, /^bare http listening on (\S+)/);

  const results: TargetResult[] = [];
  const comparisons: Comparison[] = [];
  const targets: TargetCheck[] = [];
  const rounds = <T extends { key: string; label: string; short: string; url: string }>(label: string, list: T[], run: (target: T) => Omit<LoadRun, 'seconds'>) =>
    measureRounds(label, list, run).then((pooledResults) => {
      results.push(...pooledResults);
      return pooledResults;
    });

  // The floor: what each gateway costs on nothing. Anonymous; each request its own x-request-id
  // (which our gateway forwards to the subgraph), so no two subgraph requests are alike.
  if (want('floor')) {
    for (const [name, q] of Object.entries(FLOOR_QUERIES)) {
      const items: LoadItem[] = Array.from({ length: 1000 }, (_, i) => ({
        authorization: '',
        headers: { 'x-request-id': `bench-floor-${name}-${i}-${randomUUID()}` },
        body: JSON.stringify({ query: q.query, operationName: q.operationName }),
      }));
      const label = name === 'typename' ? '{ __typename }' : '{ viewer { kind } }';
      const [ours, theirs, floor] = await rounds(`floor ${label}`, [
        { key: `floor-${name}-hive`, label: `floor ${label} · hive gateway`, short: 'hive gateway', url: hive.url },
        { key: `floor-${name}-apollo`, label: `floor ${label} · @apollo/gateway`, short: '@apollo/gateway', url: apollo.url },
        { key: `floor-${name}-bare`, label: `floor ${label} · bare node:http`, short: 'bare node:http', url: bare.url },
      ], (t) => ({ url: t.url, connections: settings.connections, items, mode: 'cycle', expect: q.expect }));
      const oursCpu = cpuMsPerRequest(ours!, 'hive');
      const theirCpu = cpuMsPerRequest(theirs!, 'apollo');
      comparisons.push(
        { name: `floor ${label}: throughput, ours vs @apollo/gateway`, measured: rps(ours!), baseline: rps(theirs!), ratio: ours!.measured.rps / theirs!.measured.rps, ratioOf: 'ours ÷ apollo' },
        { name: `floor ${label}: throughput, ours vs bare node:http`, measured: rps(ours!), baseline: rps(floor!), ratio: ours!.measured.rps / floor!.measured.rps, ratioOf: 'ours ÷ bare' },
        { name: `floor ${label}: gateway process CPU per request`, measured: `${oursCpu.toFixed(3)} ms`, baseline: `${theirCpu.toFixed(3)} ms apollo`, ratio: oursCpu / theirCpu, ratioOf: 'ours ÷ apollo' },
        { name: `floor ${label}: server process CPU per request, bare`, measured: `${oursCpu.toFixed(3)} ms`, baseline: `${cpuMsPerRequest(floor!, 'bare').toFixed(3)} ms bare`, ratio: oursCpu / cpuMsPerRequest(floor!, 'bare'), ratioOf: 'ours ÷ bare' },
      );
      targets.push({ target: `floor ${label}: our gateway CPU/request vs @apollo/gateway's`, goal: `≤ ${TARGETS.gatewayCpuVsApollo}×`, value: oursCpu / theirCpu, met: oursCpu / theirCpu <= TARGETS.gatewayCpuVsApollo });
    }
  }

  const needMembers = (['me', 'issue', 'signing', 'verify', 'redeem'] as const).some(want);
  const members = needMembers ? await createMembers(hive.url, state.devIssuer) : [];
  let meHive: TargetResult | undefined;
  if (needMembers) {
    // STREAMING_VIP waits for streamflix to acknowledge each right (the member links an
    // account); stand in for those acknowledgements so every right is usable.
    await acknowledgeStreamingRights(db.url, members);
  }

  if (want('me')) {
    // A loyalty history (purchases over months: lots, a tier for the larger spenders) first, so
    // `me` reads real tier and points.
    await recordLoyaltyHistory(db.url, hive.url, state.devIssuer, members.length);
    const meItems: LoadItem[] = members.map((m) => ({ authorization: `Bearer ${m.bearer}`, body: JSON.stringify({ query: ME_QUERY, operationName: 'Me' }) }));
    const meExpect = '"me":{"membership":{';
    // The subgraph answers the gateway only: the direct run signs as the gateway does (every
    // item has the same body, so one signature, fresh for each run, covers them all).
    const [ours, theirs, direct] = await rounds(`Me (${ENTITLEMENTS_PER_MEMBER} entitlements, tier, points)`, [
      { key: 'hive', label: `Me (${ENTITLEMENTS_PER_MEMBER} rights, tier, points) · hive gateway`, short: 'hive gateway', url: hive.url },
      { key: 'apollo', label: `Me (${ENTITLEMENTS_PER_MEMBER} rights, tier, points) · @apollo/gateway`, short: '@apollo/gateway', url: apollo.url },
      { key: 'direct', label: `Me (${ENTITLEMENTS_PER_MEMBER} rights, tier, points) · membership subgraph (direct)`, short: 'membership subgraph (direct)', url: membership.url },
    ], (t) => ({
      url: t.url,
      connections: settings.connections,
      items: meItems,
      mode: 'cycle',
      expect: meExpect,
      headers: (t.key === 'direct' ? { [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(state.env.SUBGRAPH_SECRET!, meItems[0]!.body) } : {}) as Record<string, string>,
    }));
    meHive = ours;
    const p50Ratio = ours!.measured.latencyMs.p50 / direct!.measured.latencyMs.p50;
    comparisons.push(
      { name: 'Me: p50, via our gateway vs direct', measured: `${ms(ours!.measured.latencyMs.p50)} ms`, baseline: `${ms(direct!.measured.latencyMs.p50)} ms`, ratio: p50Ratio, ratioOf: 'gateway ÷ direct' },
      { name: 'Me: throughput, ours vs @apollo/gateway', measured: rps(ours!), baseline: rps(theirs!), ratio: ours!.measured.rps / theirs!.measured.rps, ratioOf: 'ours ÷ apollo' },
      {
        name: 'Me: gateway process CPU per request',
        measured: `${cpuMsPerRequest(ours!, 'hive').toFixed(3)} ms`,
        baseline: `${cpuMsPerRequest(theirs!, 'apollo').toFixed(3)} ms apollo`,
        ratio: cpuMsPerRequest(ours!, 'hive') / cpuMsPerRequest(theirs!, 'apollo'),
        ratioOf: 'ours ÷ apollo',
      },
    );
    targets.push(
      { target: 'Me: p50 via our gateway vs direct to the membership subgraph', goal: `≤ ${TARGETS.meGatewayP50VsDirect}×`, value: p50Ratio, met: p50Ratio <= TARGETS.meGatewayP50VsDirect },
      {
        target: 'Me: our gateway CPU/request vs @apollo/gateway\'s',
        goal: `≤ ${TARGETS.gatewayCpuVsApollo}×`,
        value: cpuMsPerRequest(ours!, 'hive') / cpuMsPerRequest(theirs!, 'apollo'),
        met: cpuMsPerRequest(ours!, 'hive') / cpuMsPerRequest(theirs!, 'apollo') <= TARGETS.gatewayCpuVsApollo,
      },
    );

    // `me` with its whole loyalty block (tier progress, lots) through our gateway: beside `Me` above.
    const loyaltyItems: LoadItem[] = members.map((m) => ({ authorization: `Bearer ${m.bearer}`, body: JSON.stringify({ query: ME_LOYALTY_QUERY, operationName: 'MeLoyalty' }) }));
    const loyaltyRun = { url: hive.url, connections: settings.connections, items: loyaltyItems, mode: 'cycle', expect: '"tier":{"code":' } as const;
    results.push(pooled('me-loyalty', 'Me + tier progress, lots · hive gateway', hive.url, [await measure('hive gateway Me with tier progress and lots', 1, loyaltyRun, loyaltyRun)]));
  }

  if (want('issue')) {
    // A fresh token per request, over every member's perks (members and entitlements vary).
    const issueItems: LoadItem[] = members.flatMap((m) =>
      m.perkEntitlementIds.map((id) => ({ authorization: `Bearer ${m.bearer}`, body: JSON.stringify({ query: ISSUE, operationName: 'Issue', variables: { id } }) })),
    );
    const issueRun = { url: hive.url, connections: settings.connections, items: issueItems, mode: 'cycle', expect: '"issueEntitlementToken":{"token":' } as const;
    results.push(pooled('issue', 'issueEntitlementToken · hive gateway', hive.url, [await measure('hive gateway issueEntitlementToken', 1, issueRun, issueRun)]));
  }

  // Tokens for redemptions and verification: one per redemption, issued through our gateway.
  const totalSeconds = settings.warmupSeconds + settings.seconds;
  const rateGuess = meHive?.measured.rps ?? 500;
  const tokenCount = intEnv('BENCH_REDEEM_TOKENS', Math.min(Math.max(Math.ceil(rateGuess * 1.3 * totalSeconds) + 4 * settings.connections, 1000), intEnv('BENCH_REDEEM_TOKENS_MAX', 30_000)));
  const spreadEntitlements = members.flatMap((m) => m.perkEntitlementIds);
  const hotEntitlements = members.slice(0, HOT_ENTITLEMENTS).map((m) => m.perkEntitlementIds[0]!);
  // Signing needs one sample token (its claims' shape), verifying up to a thousand, redeeming them all.
  const spreadCount = want('redeem') ? tokenCount : want('verify') ? Math.min(1000, tokenCount) : want('signing') ? 1 : 0;
  const spreadTokens = spreadCount ? await issueTokens(hive.url, members, spreadEntitlements, spreadCount, 'spread') : [];
  const hotTokens = want('redeem') ? await issueTokens(hive.url, members, hotEntitlements, tokenCount, 'hot') : [];

  const crypto = { seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, rounds: settings.rounds, inFlight: settings.cryptoInFlight, log };
  let signing: CryptoPair | undefined;
  if (want('signing')) {
    signing = await measureSigning(state.env, spreadTokens[0]!, crypto);
    comparisons.push({ name: 'signing: EntitlementTokenSigner vs raw jose SignJWT', measured: opsPerSecond(signing.ours), baseline: opsPerSecond(signing.raw), ratio: signing.ratio, ratioOf: 'ours ÷ raw' });
    targets.push({ target: 'signing service vs raw jose (ops/s)', goal: `≥ ${TARGETS.signingVsRaw}×`, value: signing.ratio, met: signing.ratio >= TARGETS.signingVsRaw });
  }
  let verifying: CryptoPair | undefined;
  if (want('verify')) {
    verifying = await measureVerifying(state.env.PUBLIC_URL!, REDEEM_PARTNER, hive.url, spreadTokens.slice(0, 1000), crypto);
    comparisons.push({ name: 'verifying: partner verifier kit vs raw jose jwtVerify', measured: opsPerSecond(verifying.ours), baseline: opsPerSecond(verifying.raw), ratio: verifying.ratio, ratioOf: 'kit ÷ raw' });
    targets.push({ target: 'verifier kit vs raw jose (ops/s)', goal: `≥ ${TARGETS.verifierKitVsRaw}×`, value: verifying.ratio, met: verifying.ratio >= TARGETS.verifierKitVsRaw });
  }

  const rawRedeem: Record<string, RawRedeemResult> = {};
  const redeemNotes: string[] = [];
  if (want('redeem')) {
    for (const [name, tokens, entitlementIds] of [
      ['spread', spreadTokens, spreadEntitlements],
      ['hot', hotTokens, hotEntitlements],
    ] as const) {
      const what = name === 'spread' ? `spread over ${entitlementIds.length} entitlements` : `hot on ${entitlementIds.length} entitlements`;
      const items: LoadItem[] = tokens.map((token) => ({
        authorization: `Bearer ${state.partnerKey}`,
        body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `bench-${randomUUID()}` } }),
      }));
      const warmupCount = Math.ceil((items.length * settings.warmupSeconds) / totalSeconds);
      const redeemRun = { url: hive.url, connections: settings.connections, mode: 'once', expect: '"redeemEntitlement":{"id":' } as const;
      const redeem = await measure(`hive gateway redeemEntitlement ${what}`, 1, { ...redeemRun, items: items.slice(0, warmupCount) }, { ...redeemRun, items: items.slice(warmupCount) });
      const result = pooled(`redeem-${name}`, `redeemEntitlement ${what} · hive gateway`, hive.url, [redeem]);
      results.push(result);
      if (redeem.measured.exhausted) {
        redeemNotes.push(`the ${name} redemption run used all ${items.length - warmupCount} pre-issued tokens before ${settings.seconds}s (ran ${redeem.measured.durationSeconds}s); raise BENCH_REDEEM_TOKENS for a full-length run`);
      }
      log(`measuring raw pg redemption statements ${what}… ${settings.warmupSeconds}s + ${settings.seconds}s, ${settings.connections} connections`);
      const raw = await measureRawRedeem({
        databaseUrl: db.url,
        partnerId: REDEEM_PARTNER,
        entitlementIds: [...entitlementIds],
        connections: settings.connections,
        seconds: settings.seconds,
        warmupSeconds: settings.warmupSeconds,
        tokens: intEnv('BENCH_RAW_REDEEM_TOKENS', 100_000),
        log,
      });
      log(`  ${raw.opsPerSecond.toFixed(0)} transactions/s, p50 ${raw.latencyMs.p50.toFixed(1)} ms, p99 ${raw.latencyMs.p99.toFixed(1)} ms`);
      if (raw.exhausted) redeemNotes.push(`the raw ${name} run used all its prepared tokens; raise BENCH_RAW_REDEEM_TOKENS`);
      rawRedeem[name] = raw;
      const ratio = result.measured.rps / raw.opsPerSecond;
      comparisons.push({ name: `redeem ${what}: ours vs the same statements with pg`, measured: rps(result), baseline: `${raw.opsPerSecond.toFixed(0)}/s raw`, ratio, ratioOf: 'ours ÷ raw' });
      comparisons.push({
        name: `redeem ${what}: SQL statements per redemption`,
        measured: sqlPerRequest(result, 'membership').toFixed(1),
        baseline: `${raw.statementsPerOp} raw`,
        ratio: sqlPerRequest(result, 'membership') / raw.statementsPerOp,
        ratioOf: 'ours ÷ raw',
      });
      targets.push({ target: `redeem ${what} vs raw statements (req/s)`, goal: `≥ ${TARGETS.redeemVsRaw}×`, value: ratio, met: ratio >= TARGETS.redeemVsRaw });
    }
  }

  // The activity import: one NDJSON file of purchases, uploaded to the worker and applied by it
  // (before the renewals, which leave memberships due that a worker would go on renewing).
  let activityImport: Awaited<ReturnType<typeof measureImport>> | undefined;
  let importCpuMs = 0;
  if (want('import')) {
    log(`activity import: seeding ${settings.importMembers.toLocaleString('en-US')} members…`);
    const importMembers = await seedImportMembers(db.url, settings.importMembers);
    const importCpuBefore = worker.cpuSeconds();
    activityImport = await measureImport({
      databaseUrl: db.url,
      uploadUrl: worker.url,
      adminToken: await state.devIssuer.mint('bench-admin', { admin: true }),
      members: importMembers,
      count: settings.imports,
      concurrency: settings.importConcurrency,
      log,
      alive: () => assertAlive('during the activity import'),
    });
    importCpuMs = ((worker.cpuSeconds() - importCpuBefore) / settings.imports) * 1000;
  }

  // Renewals: memberships due at once, renewed by the worker through the payment sandbox.
  let renewals: Awaited<ReturnType<typeof measureRenewals>> | undefined;
  if (want('renewals')) {
    log(`renewals: seeding ${settings.renewals.toLocaleString('en-US')} memberships due at once…`);
    await seedDueMemberships(db.url, state, settings.renewals, log);
    renewals = await measureRenewals(db.url, settings.renewals, Math.min(settings.renewals, settings.renewalsMeasured), 1, log, {
      alive: () => assertAlive('during the renewals'),
      stopRenewing: async () => {
        const worker = processes.worker!;
        delete processes.worker;
        await worker.stop();
      },
    });
  }

  // The loyalty engine: ledger postings, expiry and tier evaluation, each beside raw pg (the worker is stopped).
  let loyalty: LoyaltyBenchResult | undefined;
  if (want('loyalty')) loyalty = await measureLoyalty(db.url, loyaltySettings(), log);

  // Report.
  const byKey = (key: string) => results.find((r) => r.key === key);
  const [hiveResult, apolloResult, direct] = [byKey('hive'), byKey('apollo'), byKey('direct')];
  const ratios =
    hiveResult && apolloResult && direct
      ? {
          basis: `Me targets: pooled over ${settings.rounds} rounds (requests / total duration; latency percentiles averaged; CPU summed / requests)`,
          hiveVsApolloThroughput: hiveResult.measured.rps / apolloResult.measured.rps,
          gatewayOverheadP50Ms: hiveResult.measured.latencyMs.p50 - direct.measured.latencyMs.p50,
          apolloOverheadP50Ms: apolloResult.measured.latencyMs.p50 - direct.measured.latencyMs.p50,
          gatewayP50OverDirect: hiveResult.measured.latencyMs.p50 / direct.measured.latencyMs.p50,
          directVsGatewayThroughput: direct.measured.rps / hiveResult.measured.rps,
          // The fair engine comparison on 2 cores: each gateway process's own CPU per request.
          gatewayCpuMsPerRequest: { hive: cpuMsPerRequest(hiveResult, 'hive'), apollo: cpuMsPerRequest(apolloResult, 'apollo') },
          apolloVsHiveCpuPerRequest: cpuMsPerRequest(apolloResult, 'apollo') / cpuMsPerRequest(hiveResult, 'hive'),
        }
      : undefined;
  if (results.length) {
    printTable(results);
    printCpuTable(results);
    printSqlTable(results, rawRedeem);
  }
  if (signing || verifying) printCryptoTable({ signing, verifying });
  if (comparisons.length) printComparisons(comparisons);
  log('');
  log(`(compared rows: pooled over ${settings.rounds} rounds, run in opposite orders; CPU = process user+system time during the measurement)`);
  if (ratios) {
    log(`Me: our gateway vs @apollo/gateway, throughput: ${ratios.hiveVsApolloThroughput.toFixed(2)}×`);
    log(`Me: gateway overhead, p50 (ours − direct):      ${signed(ratios.gatewayOverheadP50Ms)} ms   (@apollo/gateway − direct: ${signed(ratios.apolloOverheadP50Ms)} ms)`);
    log(
      `Me: gateway process CPU per request:            ours ${ratios.gatewayCpuMsPerRequest.hive.toFixed(3)} ms, ` +
        `@apollo/gateway ${ratios.gatewayCpuMsPerRequest.apollo.toFixed(3)} ms (apollo / ours ${ratios.apolloVsHiveCpuPerRequest.toFixed(2)}×)`,
    );
  }
  const meLoyalty = byKey('me-loyalty');
  if (meLoyalty && hiveResult) {
    log(
      `Me with tier progress and lots vs Me (our gateway): ${meLoyalty.measured.rps.toFixed(0)} vs ${hiveResult.measured.rps.toFixed(0)} req/s (${(meLoyalty.measured.rps / hiveResult.measured.rps).toFixed(2)}×), ` +
        `p50 ${meLoyalty.measured.latencyMs.p50} vs ${hiveResult.measured.latencyMs.p50} ms`,
    );
  }
  if (renewals) {
    log(
      `renewals (${renewals.memberships.toLocaleString('en-US')} due at once, 1 worker): ${renewals.renewalsPerSecond.toFixed(0)}/s over the first ` +
        `${renewals.measured.toLocaleString('en-US')}; raw UPDATE of the same rows with pg: ${renewals.raw.updatesPerSecond.toFixed(0)}/s ` +
        `(${renewals.rawOverRenewal.toFixed(1)}× a renewal); none charged twice: ${renewals.chargedOnce}`,
    );
  }
  if (loyalty) printLoyalty(loyalty, log);
  if (activityImport) {
    log(
      `activity import (${activityImport.activities.toLocaleString('en-US')} purchases, 1 worker, ${activityImport.concurrency} lanes at once): ` +
        `${activityImport.activitiesPerSecond.toFixed(0)} activities/s (worker CPU ${importCpuMs.toFixed(2)} ms each); raw INSERT of the same rows with pg: ` +
        `${activityImport.raw.insertsPerSecond.toFixed(0)}/s (${activityImport.rawOverImport.toFixed(1)}× an imported activity); every line accepted once: ${activityImport.exact}`,
    );
  }
  if (targets.length) printTargets(targets);
  for (const note of redeemNotes) log(`note: ${note}`);

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
        shape:
          'one process each: membership subgraph, sparkwash subgraph, hive gateway, @apollo/gateway, worker, bare node:http server; the partners\' and the payment provider\'s sandboxes, the signing and verifying loops and the raw pg redemptions in the bench process; load generator in a worker thread of the bench process',
        processes: Object.fromEntries(Object.entries(processes).map(([k, c]) => [k, { pid: c.pid, url: c.url }])),
        settings: { ...settings, redeemTokens: tokenCount, loadGenerator: 'autocannon 9, 1 worker thread', entitlementsPerMember: ENTITLEMENTS_PER_MEMBER, hotEntitlements: HOT_ENTITLEMENTS },
        queries: { me: ME_QUERY, meLoyalty: ME_LOYALTY_QUERY, floor: FLOOR_QUERIES, issue: ISSUE, redeem: REDEEM },
        targets: results.map((r) => ({
          key: r.key,
          label: r.label,
          url: r.url,
          ...r.measured,
          cpuSeconds: r.cpuSeconds,
          cpuMsPerRequest: Object.fromEntries(PROCESS_KEYS.map((k) => [k, cpuMsPerRequest(r, k)])),
          sqlStatements: r.sqlStatements,
          sqlStatementsPerRequest: Object.fromEntries(SQL_KEYS.map((k) => [k, sqlPerRequest(r, k)])),
          runs: r.runs.map((run) => ({ round: run.round, ...run.measured, cpuSeconds: run.cpuSeconds, sqlStatements: run.sqlStatements, warmup: run.warmup })),
        })),
        ratios,
        signing,
        verifying,
        rawRedeem,
        comparisons,
        issueTargets: targets,
        renewals,
        loyalty,
        activityImport: activityImport ? { ...activityImport, workerCpuMsPerActivity: importCpuMs } : undefined,
        ok: failures.length === 0 && (renewals?.chargedOnce ?? true) && (activityImport?.exact ?? true),
        failures: failures.map((f) => ({ target: f.target, phase: f.phase, ...errorSummary(f.result) })),
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${path.relative(process.cwd(), outFile)}`);

  if (activityImport && !activityImport.exact) {
    log('!! the activity import did not accept every line exactly once: its figure is NOT valid');
    return 1;
  }
  if (renewals && !renewals.chargedOnce) {
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

/** Targets compared with each other: `settings.rounds` rounds in alternating order, pooled per target. */
async function measureRounds<T extends { key: string; label: string; short: string; url: string }>(
  label: string,
  list: T[],
  run: (target: T) => Omit<LoadRun, 'seconds'>,
): Promise<TargetResult[]> {
  const runs = new Map<string, RunResult[]>(list.map((t) => [t.key, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Opposite orders in alternate rounds, so drift (heat, database growth) averages out.
    const order = round % 2 === 1 ? list : [...list].reverse();
    for (const target of order) {
      const spec = run(target);
      runs.get(target.key)!.push(await measure(`${label}, ${target.short} (round ${round}/${settings.rounds})`, round, spec, spec));
    }
  }
  return list.map((t) => pooled(t.key, t.label, t.url, runs.get(t.key)!));
}

/**
 * The statement counts once the gateway and the membership subgraph have sent none for 200 ms
 * (their requests done; the worker's background work is not waited for), at most 5 s.
 */
async function sqlQuiescent(): Promise<Record<SqlKey, number>> {
  const deadline = Date.now() + 5000;
  let last = await sqlSnapshot();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await sqlSnapshot();
    const still = Object.is(now.hive, last.hive) && Object.is(now.membership, last.membership);
    if (still || Date.now() > deadline) return now;
    last = now;
  }
}

/** SQL statements sent so far by each process that talks to PostgreSQL (from its metrics; NaN when unreadable). */
async function sqlSnapshot(): Promise<Record<SqlKey, number>> {
  const entries = await Promise.all(
    SQL_KEYS.map(async (key): Promise<[SqlKey, number]> => {
      const url = metricsUrls[key];
      if (!url || !processes[key] || processes[key]!.exited()) return [key, Number.NaN];
      try {
        const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
        const match = /^db_statements_total (\S+)$/m.exec(text);
        return [key, match ? Number(match[1]) : Number.NaN];
      } catch {
        return [key, Number.NaN];
      }
    }),
  );
  return Object.fromEntries(entries) as Record<SqlKey, number>;
}

/** SQL statements per request sent (each request sent ran on the server, even when the load stopped before its answer). */
const sqlPerRequest = (r: TargetResult, key: SqlKey) => r.sqlStatements[key] / Math.max(1, r.measured.sent);
const cpuMsPerRequest = (r: TargetResult, key: ProcessKey) => (r.cpuSeconds[key] / Math.max(1, r.measured.requests)) * 1000;
const rps = (r: TargetResult) => `${r.measured.rps.toFixed(0)} req/s`;
const opsPerSecond = (r: { opsPerSecond: number }) => `${r.opsPerSecond.toFixed(0)} ops/s`;

/** PLUS's bundle republished as its next version, effective now: its benefits and six more (QUOTA, streamflix, a big quota). */
async function publishTenBenefitBundle(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<{ id: string; bundle_id: string; version: number }>(
      `select bv.id, bv.bundle_id, bv.version from bundle_version bv join plan p on p.bundle_id = bv.bundle_id
       where p.code = 'PLUS' order by bv.version desc limit 1`,
    );
    const current = rows[0];
    if (!current) throw new Error('no PLUS bundle version to republish');
    const { rows: created } = await client.query<{ id: string }>(
      `insert into bundle_version (id, bundle_id, version, effective_from) values (gen_random_uuid(), $1, $2, now() - interval '1 minute') returning id`,
      [current.bundle_id, current.version + 1],
    );
    const next = created[0]!.id;
    await client.query(
      `insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position, min_tier, segments)
       select gen_random_uuid(), $1, benefit_id, quota, period, position, min_tier, segments from bundle_benefit where bundle_version_id = $2`,
      [next, current.id],
    );
    await client.query(
      `with ben as (
         insert into benefit (id, code, partner_id, kind, name, description)
         select gen_random_uuid(), code, $2, 'QUOTA', jsonb_build_object('en', 'Bench perk ' || n, 'zh-CN', '测试权益 ' || n), '{"en":"","zh-CN":""}'
         from unnest($1::text[]) with ordinality as p(code, n)
         returning id, code)
       insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position)
       select gen_random_uuid(), $3, ben.id, $4, 'MEMBERSHIP_TERM', 100 + row_number() over (order by ben.code) from ben`,
      [PERKS, REDEEM_PARTNER, next, PERK_QUOTA],
    );
    const { rows: count } = await client.query<{ n: string }>('select count(*) as n from bundle_benefit where bundle_version_id = $1', [next]);
    if (Number(count[0]!.n) !== ENTITLEMENTS_PER_MEMBER) throw new Error(`the republished PLUS bundle has ${count[0]!.n} benefits, expected ${ENTITLEMENTS_PER_MEMBER}`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
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
  // Statements are counted for the requests sent: from when the warm-up's last requests are done
  // until the measurement's last ones (still running on the server when the load stopped) are.
  const sqlBefore = await sqlQuiescent();
  const before = cpuSnapshot();
  const measured = await runLoad({ ...measuredRun, seconds: settings.seconds });
  const after = cpuSnapshot();
  const sqlAfter = await sqlQuiescent();
  assertAlive(`during ${label}`);
  const cpuSeconds = Object.fromEntries(PROCESS_KEYS.map((k) => [k, Math.max(0, after[k] - before[k])])) as Record<ProcessKey, number>;
  const sqlStatements = Object.fromEntries(SQL_KEYS.map((k) => [k, sqlAfter[k] - sqlBefore[k]])) as Record<SqlKey, number>;
  const bad = badCount(warmup) + badCount(measured);
  const perRequest = PROCESS_KEYS.filter((k) => cpuSeconds[k] > 0.05 * settings.seconds)
    .map((k) => `${PROCESS_LABELS[k]} ${((cpuSeconds[k] / Math.max(1, measured.requests)) * 1000).toFixed(3)}`)
    .join(', ');
  const sqlPerRequest = SQL_KEYS.filter((k) => sqlStatements[k] > 0)
    .map((k) => `${PROCESS_LABELS[k]} ${(sqlStatements[k] / Math.max(1, measured.sent)).toFixed(2)}`)
    .join(', ');
  log(
    `  ${measured.rps.toFixed(0)} req/s, p50 ${measured.latencyMs.p50} ms, p99 ${measured.latencyMs.p99} ms; CPU ms/request: ${perRequest}; SQL statements/request: ${sqlPerRequest || 'none'}` +
      (bad ? `  — ${bad} BAD RESPONSES` : ''),
  );
  return { round, warmup, measured, cpuSeconds, sqlStatements };
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
      sent: sum((r) => r.sent),
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
    sqlStatements: Object.fromEntries(SQL_KEYS.map((k) => [k, runs.reduce((acc, r) => acc + r.sqlStatements[k], 0)])) as Record<SqlKey, number>,
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

/** Members with dev-issuer JWTs, each subscribed to PLUS (its republished bundle: 10 rights) through the gateway. */
async function createMembers(gatewayUrl: string, issuer: { mint(subject: string): Promise<string> }): Promise<Member[]> {
  const members: Member[] = new Array(settings.members);
  const bar = progress('subscribing members to PLUS…', settings.members);
  await pool(settings.members, 8, async (i) => {
    const bearer = await issuer.mint(`bench-member-${i}`);
    const { subscribe } = await graphql<{ subscribe: { status: string } }>(gatewayUrl, bearer, SUBSCRIBE, { key: `bench-sub-${i}` });
    if (subscribe.status !== 'ACTIVE') throw new Error(`member ${i}: membership is ${subscribe.status}, expected ACTIVE`);
    const { me } = await graphql<{ me: { entitlements: Array<{ id: string; benefit: { code: string } }> } }>(gatewayUrl, bearer, ME_QUERY);
    const streaming = me.entitlements.find((e) => e.benefit.code === STREAMING_BENEFIT);
    if (!streaming) throw new Error(`member ${i} has no ${STREAMING_BENEFIT} entitlement after subscribing`);
    if (me.entitlements.length !== ENTITLEMENTS_PER_MEMBER) throw new Error(`member ${i} has ${me.entitlements.length} entitlements, expected ${ENTITLEMENTS_PER_MEMBER}`);
    const perkEntitlementIds = PERKS.map((code) => me.entitlements.find((e) => e.benefit.code === code)?.id);
    if (perkEntitlementIds.some((id) => !id)) throw new Error(`member ${i} lacks one of ${PERKS.join(', ')}`);
    members[i] = { bearer, streamingEntitlementId: streaming.id, perkEntitlementIds: perkEntitlementIds as string[] };
    bar.tick();
  });
  return members;
}

/** One entitlement token per redemption, round-robin over `entitlementIds` (each issued by its member). */
async function issueTokens(gatewayUrl: string, members: Member[], entitlementIds: readonly string[], count: number, name: string): Promise<string[]> {
  const owner = new Map(members.flatMap((m) => m.perkEntitlementIds.map((id) => [id, m.bearer] as const)));
  const tokens: string[] = new Array(count);
  const bar = progress(`issuing ${count} tokens for the ${name} redemptions (${entitlementIds.length} entitlements)…`, count);
  await pool(count, 16, async (i) => {
    const id = entitlementIds[i % entitlementIds.length]!;
    const { issueEntitlementToken } = await graphql<{ issueEntitlementToken: { token: string } }>(gatewayUrl, owner.get(id)!, ISSUE, { id });
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

/** SQL statements per request each process sent to PostgreSQL during each target's measurements. */
function printSqlTable(results: TargetResult[], raw: Record<string, RawRedeemResult>): void {
  log('');
  log('SQL statements per request, by process (statements sent for the measured requests, counted until the last was done / requests sent; BEGIN and COMMIT count):');
  const perRequest = (r: TargetResult, k: SqlKey) => {
    const value = sqlPerRequest(r, k);
    return Number.isNaN(value) ? '–' : value.toFixed(2);
  };
  printAligned([
    ['target', ...SQL_KEYS.map((k) => PROCESS_LABELS[k])],
    ...results.map((r) => [r.label, ...SQL_KEYS.map((k) => perRequest(r, k))]),
    ...Object.entries(raw).map(([name, r]) => [`redeem ${name} · raw pg transaction`, '', `${r.statementsPerOp.toFixed(2)} (pg)`, '']),
  ]);
}

/** The in-process loops: ours beside raw jose. */
function printCryptoTable(pairs: { signing?: CryptoPair | undefined; verifying?: CryptoPair | undefined }): void {
  log('');
  log(`In-process token cryptography (this process, ${settings.cryptoInFlight} call(s) in flight; ${settings.rounds} × ${settings.seconds}s each, interleaved in quarter-second slices):`);
  const rows: string[][] = [['operation', 'ops/s', 'CPU ms/op', 'raw jose ops/s', 'raw CPU ms/op', 'ours ÷ raw']];
  for (const [name, p] of [
    ['sign: EntitlementTokenSigner.sign', pairs.signing],
    ['verify: verifier kit (partners/verifier-kit)', pairs.verifying],
  ] as const) {
    if (!p) continue;
    rows.push([name, p.ours.opsPerSecond.toFixed(0), p.ours.cpuMsPerOp.toFixed(3), p.raw.opsPerSecond.toFixed(0), p.raw.cpuMsPerOp.toFixed(3), `${p.ratio.toFixed(2)}×`]);
  }
  printAligned(rows);
}

function printComparisons(comparisons: Comparison[]): void {
  log('');
  log('Each figure beside its baseline from this run:');
  printAligned([
    ['comparison', 'measured', 'baseline', 'ratio', 'ratio of'],
    ...comparisons.map((c) => [c.name, c.measured, c.baseline, times(c.ratio), c.ratioOf]),
  ]);
}

function printTargets(targets: TargetCheck[]): void {
  log('');
  log('Targets (issue 12; measured here, not enforced):');
  printAligned([
    ['target', 'goal', 'measured', ''],
    ...targets.map((t) => [t.target, t.goal, times(t.value), Number.isFinite(t.value) ? (t.met ? 'met' : 'MISSED') : 'NO DATA']),
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

/** A ratio, or n/a when a side measured nothing (no request completed). */
function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
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

function sectionsEnv(name: string): Section[] {
  const raw = process.env[name];
  if (!raw) return [...SECTIONS];
  const picked = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = picked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`${name}: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
  return picked as Section[];
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
