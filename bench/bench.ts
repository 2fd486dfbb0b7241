// `npm run bench`: our gateway (Hive runtime + Rust planner) against @apollo/gateway and
// against the membership subgraph alone, on the same supergraph and subgraphs, plus real
// redemptions through our gateway. Prints a table, writes bench-results/latest.json, and
// exits non-zero when any response during the run was not a clean 200.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSupergraph } from '../src/server/supergraph.js';
import { startApolloGateway, type RunningApolloGateway } from './apollo-gateway.js';
import { runLoad, type LoadItem, type LoadResult, type LoadRun } from './load.js';
import { createBenchDatabase, graphql, pool, progress, startBenchApp, type BenchApp, type BenchDatabase } from './setup.js';

const ME_QUERY =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } } }';
const SUBSCRIBE = 'mutation Subscribe($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM =
  'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';

const REDEEM_PARTNER = 'streamflix';
const REDEEM_BENEFIT = 'STREAMING_VIP';

const settings = {
  members: intEnv('BENCH_MEMBERS', 200),
  seconds: intEnv('BENCH_SECONDS', 8),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 2),
  connections: intEnv('BENCH_CONNECTIONS', 32),
};

interface Member {
  bearer: string;
  /** The member's STREAMING_VIP entitlement. */
  streamingEntitlementId: string;
}

interface TargetResult {
  key: string;
  label: string;
  url: string;
  warmup: LoadResult;
  measured: LoadResult;
}

const log = (line: string) => console.log(line);
const cleanups: Array<() => Promise<void>> = [];

async function main(): Promise<number> {
  log(
    `bench: ${settings.members} members, ${settings.connections} connections, ` +
      `${settings.warmupSeconds}s warm-up + ${settings.seconds}s per target, ${os.cpus().length} CPUs, Node ${process.version}`,
  );

  const db: BenchDatabase = await createBenchDatabase(log);
  cleanups.push(() => db.close());
  log(`database: ${db.source}`);

  const bench: BenchApp = await startBenchApp(db.url);
  cleanups.push(() => bench.close());
  const { app } = bench;
  const membershipUrl = app.subgraphs.find((s) => s.name === 'membership')?.url;
  if (!membershipUrl) throw new Error('the app has no membership subgraph');
  log(`app: gateway ${app.graphqlUrl}, subgraphs ${app.subgraphs.map((s) => s.name).join(', ')}`);

  const apollo: RunningApolloGateway = await startApolloGateway(composeSupergraph(app.subgraphs));
  cleanups.push(() => apollo.close());
  log(`@apollo/gateway: ${apollo.url}`);

  const members = await createMembers(app.graphqlUrl, app.devIssuer!);

  const meItems: LoadItem[] = members.map((m) => ({
    authorization: `Bearer ${m.bearer}`,
    body: JSON.stringify({ query: ME_QUERY, operationName: 'Me' }),
  }));
  const meExpect = '"me":{"membership":{';
  const results: TargetResult[] = [];
  const meTargets = [
    { key: 'hive', label: 'hive gateway', url: app.graphqlUrl },
    { key: 'apollo', label: '@apollo/gateway', url: apollo.url },
    { key: 'direct', label: 'membership subgraph (direct)', url: membershipUrl },
  ];
  for (const target of meTargets) {
    const run = { url: target.url, connections: settings.connections, items: meItems, mode: 'cycle', expect: meExpect } as const;
    results.push({ ...target, label: `Me · ${target.label}`, ...(await measure(target.label, run, run)) });
  }

  // Redemptions: one pre-issued token per request, sized from our gateway's Me rate.
  const hiveRps = results[0]!.measured.rps;
  const totalSeconds = settings.warmupSeconds + settings.seconds;
  const estimate = Math.ceil(hiveRps * 1.3 * totalSeconds) + 4 * settings.connections;
  const tokenCount = intEnv('BENCH_REDEEM_TOKENS', Math.min(Math.max(estimate, 1000), intEnv('BENCH_REDEEM_TOKENS_MAX', 30_000)));
  const partnerKey = await app.createPartnerKey(REDEEM_PARTNER);
  const tokens = await issueTokens(app.graphqlUrl, members, tokenCount);
  const redeemItems: LoadItem[] = tokens.map((token) => ({
    authorization: `Bearer ${partnerKey}`,
    body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `bench-${randomUUID()}` } }),
  }));
  const warmupCount = Math.ceil((tokenCount * settings.warmupSeconds) / totalSeconds);
  const redeemRun = { url: app.graphqlUrl, connections: settings.connections, mode: 'once', expect: '"redeemEntitlement":{"id":' } as const;
  const redeem = await measure(
    'hive gateway redeemEntitlement',
    { ...redeemRun, items: redeemItems.slice(0, warmupCount) },
    { ...redeemRun, items: redeemItems.slice(warmupCount) },
  );
  results.push({ key: 'redeem', label: 'redeemEntitlement · hive gateway', url: app.graphqlUrl, ...redeem });

  // Report.
  const [hive, apolloResult, direct] = results.map((r) => r.measured);
  const ratios = {
    hiveVsApolloThroughput: hive!.rps / apolloResult!.rps,
    gatewayOverheadP50Ms: hive!.latencyMs.p50 - direct!.latencyMs.p50,
    directVsGatewayThroughput: direct!.rps / hive!.rps,
    // Gateways and subgraphs share one event loop here, so a gateway's own cost per request
    // is roughly the time it adds to each request's CPU budget: 1/gateway rate − 1/direct rate.
    gatewayOwnMsPerRequest: {
      hive: 1000 / hive!.rps - 1000 / direct!.rps,
      apollo: 1000 / apolloResult!.rps - 1000 / direct!.rps,
    },
  };
  printTable(results);
  log('');
  log(`our gateway vs @apollo/gateway, throughput:  ${ratios.hiveVsApolloThroughput.toFixed(2)}×`);
  log(`gateway overhead, p50 (ours − direct):       ${signed(ratios.gatewayOverheadP50Ms)} ms`);
  log(`gateway overhead, throughput (direct / ours): ${ratios.directVsGatewayThroughput.toFixed(2)}×`);
  log(
    `gateway's own time per request (1/gateway − 1/direct rate; one shared event loop): ` +
      `ours ${ratios.gatewayOwnMsPerRequest.hive.toFixed(2)} ms, @apollo/gateway ${ratios.gatewayOwnMsPerRequest.apollo.toFixed(2)} ms`,
  );
  if (redeem.measured.exhausted) {
    log(`note: the redemption run used all ${redeemItems.length - warmupCount} pre-issued tokens before ${settings.seconds}s (ran ${redeem.measured.durationSeconds}s); raise BENCH_REDEEM_TOKENS for a full-length run`);
  }

  const failures = results.flatMap((r) =>
    (['warmup', 'measured'] as const)
      .map((phase) => ({ target: r.label, phase, result: r[phase] }))
      .filter(({ result }) => badCount(result) > 0),
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
        settings: { ...settings, redeemTokens: tokenCount, loadGenerator: 'autocannon 9, 1 worker thread' },
        query: ME_QUERY,
        redeemMutation: REDEEM,
        targets: results.map((r) => ({ key: r.key, label: r.label, url: r.url, ...r.measured, warmup: r.warmup })),
        ratios,
        ok: failures.length === 0,
        failures: failures.map((f) => ({ target: f.target, phase: f.phase, ...errorSummary(f.result) })),
      },
      null,
      2,
    ) + '\n',
  );
  log(`results: ${path.relative(process.cwd(), outFile)}`);

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

/** Warm-up then measurement of one target, with progress lines. */
async function measure(label: string, warmupRun: Omit<LoadRun, 'seconds'>, measuredRun: Omit<LoadRun, 'seconds'>) {
  log(`warming up ${label}… ${settings.warmupSeconds}s`);
  const warmup = await runLoad({ ...warmupRun, seconds: settings.warmupSeconds });
  log(`measuring ${label}… ${settings.seconds}s`);
  const measured = await runLoad({ ...measuredRun, seconds: settings.seconds });
  const bad = badCount(warmup) + badCount(measured);
  log(
    `  ${measured.rps.toFixed(0)} req/s, p50 ${measured.latencyMs.p50} ms, p99 ${measured.latencyMs.p99} ms` +
      (bad ? `  — ${bad} BAD RESPONSES` : ''),
  );
  return { warmup, measured };
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
  const rows = [
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors'],
    ...results.map((r) => [
      r.label,
      r.measured.rps.toFixed(0),
      String(r.measured.latencyMs.p50),
      String(r.measured.latencyMs.p99),
      String(r.measured.requests),
      String(badCount(r.measured)),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  log('');
  log(line(rows[0]!));
  log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) log(line(row));
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
    await step().catch((error: unknown) => console.error('cleanup step failed:', error));
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping…`);
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
// Libraries may leave timers behind (the Apollo gateway's, pg pools); everything is closed.
process.exit(code);
