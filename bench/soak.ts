// `npm run -s bench:soak`: memory under a steady load. The production shape (membership and
// sparkwash subgraphs, our gateway, a worker) serves members' pages (`me`), token issues and
// redemptions at a steady rate for BENCH_SOAK_MINUTES (10); every process's RSS is sampled every
// BENCH_SOAK_SAMPLE_SECONDS (15). Prints, per process, its RSS after the first minute (warm), its
// peak, at the end, and the growth from the second half's start to the end, and fails when a
// process grew by more than BENCH_SOAK_MAX_GROWTH_MB (20) over that half or a response was bad.
// Writes bench-results/soak.json.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runLoad, type LoadItem, type LoadResult } from './load.js';
import { startServingProcesses, terminateAll, type Child } from './processes.js';
import { createBenchDatabase, graphql, pool, prepareBenchState, progress } from './setup.js';

const ME = 'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } } }';
const SUBSCRIBE = 'mutation Subscribe($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM = 'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};
const settings = {
  minutes: num('BENCH_SOAK_MINUTES', 10),
  sampleSeconds: num('BENCH_SOAK_SAMPLE_SECONDS', 15),
  members: num('BENCH_MEMBERS', 200),
  meRate: num('BENCH_SOAK_ME_RATE', 100),
  issueRate: num('BENCH_SOAK_ISSUE_RATE', 10),
  redeemRate: num('BENCH_SOAK_REDEEM_RATE', 10),
  maxGrowthMb: num('BENCH_SOAK_MAX_GROWTH_MB', 20),
};
const children: Child[] = [];
const log = (line: string) => console.log(line);
const mb = (bytes: number) => bytes / 1024 / 1024;

async function main(): Promise<number> {
  log(`soak: ${settings.minutes} min at ${settings.meRate} me/s, ${settings.issueRate} token issues/s and ${settings.redeemRate} redemptions/s; RSS every ${settings.sampleSeconds} s`);
  const db = await createBenchDatabase(log);
  const state = await prepareBenchState(db.url, 'streamflix');
  // The redemptions' tokens are issued before the soak: they must outlive it.
  state.env.TOKEN_TTL_SECONDS = String(Math.min(86_400, Math.ceil(settings.minutes * 60) + 900));
  try {
    const { gateway } = await startServingProcesses(state.env, children, { worker: true });

    const bearers: string[] = [];
    const streaming: string[] = [];
    const bar = progress('subscribing members…', settings.members);
    await pool(settings.members, 8, async (i) => {
      const bearer = await state.devIssuer.mint(`soak-member-${i}`);
      await graphql(gateway.url, bearer, SUBSCRIBE, { key: `soak-${i}` });
      const { me } = await graphql<{ me: { entitlements: Array<{ id: string; benefit: { code: string } }> } }>(gateway.url, bearer, ME);
      bearers[i] = bearer;
      streaming[i] = me.entitlements.find((e) => e.benefit.code === 'STREAMING_VIP')!.id;
      bar.tick();
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Partners' acknowledgements stood in for; a quota big enough for the whole soak.
    await client.query(`update entitlement set status = 'ACTIVE', quota = null where id = any($1::uuid[])`, [streaming]);
    await client.end();

    const seconds = Math.round(settings.minutes * 60);
    const redeemCount = Math.ceil(settings.redeemRate * seconds * 1.05) + 50;
    const tokens: string[] = [];
    const tb = progress('issuing the redemptions\' tokens…', redeemCount);
    await pool(redeemCount, 16, async (i) => {
      const { issueEntitlementToken } = await graphql<{ issueEntitlementToken: { token: string } }>(gateway.url, bearers[i % settings.members]!, ISSUE, { id: streaming[i % settings.members] });
      tokens[i] = issueEntitlementToken.token;
      tb.tick();
    });

    const meItems: LoadItem[] = bearers.map((b) => ({ authorization: `Bearer ${b}`, body: JSON.stringify({ query: ME, operationName: 'Me' }) }));
    const issueItems: LoadItem[] = bearers.map((b, i) => ({ authorization: `Bearer ${b}`, body: JSON.stringify({ query: ISSUE, operationName: 'Issue', variables: { id: streaming[i] } }) }));
    const redeemItems: LoadItem[] = tokens.map((token) => ({
      authorization: `Bearer ${state.partnerKey}`,
      body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `soak-${randomUUID()}` } }),
    }));

    const samples: Array<{ at: number; rss: Record<string, number> }> = [];
    const sample = () => samples.push({ at: (Date.now() - started) / 1000, rss: Object.fromEntries(children.map((c) => [c.name, c.rssBytes()])) });
    const started = Date.now();
    sample();
    const timer = setInterval(() => {
      sample();
      const last = samples.at(-1)!;
      log(`  ${(last.at / 60).toFixed(1)} min: ` + children.map((c) => `${c.name} ${mb(last.rss[c.name] ?? 0).toFixed(0)} MB`).join(', '));
    }, settings.sampleSeconds * 1000);
    let results: LoadResult[];
    try {
      results = await Promise.all([
        runLoad({ url: gateway.url, seconds, connections: 8, items: meItems, mode: 'cycle', expect: '"me":{"membership":{', rate: settings.meRate }),
        runLoad({ url: gateway.url, seconds, connections: 4, items: issueItems, mode: 'cycle', expect: '"issueEntitlementToken":{"token":', rate: settings.issueRate }),
        runLoad({ url: gateway.url, seconds, connections: 4, items: redeemItems, mode: 'once', expect: '"redeemEntitlement":{"id":', rate: settings.redeemRate }),
      ]);
    } finally {
      clearInterval(timer);
    }
    sample();

    const warmAt = Math.min(60, seconds / 4);
    const halfAt = seconds / 2;
    const at = (t: number) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
    const rows = children.map((c) => {
      const series = samples.map((s) => s.rss[c.name] ?? 0);
      const growth = mb(samples.at(-1)!.rss[c.name]! - at(halfAt).rss[c.name]!);
      return { process: c.name, warmMb: mb(at(warmAt).rss[c.name]!), peakMb: mb(Math.max(...series)), endMb: mb(samples.at(-1)!.rss[c.name]!), secondHalfGrowthMb: growth };
    });
    log('');
    log(`RSS per process (MB): warm = after ${(warmAt / 60).toFixed(1)} min; growth = from ${(halfAt / 60).toFixed(1)} min to the end`);
    log(`${'process'.padEnd(12)} ${'warm'.padStart(7)} ${'peak'.padStart(7)} ${'end'.padStart(7)} ${'growth'.padStart(8)}`);
    for (const r of rows) log(`${r.process.padEnd(12)} ${r.warmMb.toFixed(1).padStart(7)} ${r.peakMb.toFixed(1).padStart(7)} ${r.endMb.toFixed(1).padStart(7)} ${`${r.secondHalfGrowthMb >= 0 ? '+' : ''}${r.secondHalfGrowthMb.toFixed(1)}`.padStart(8)}`);
    const labels = ['me', 'issueEntitlementToken', 'redeemEntitlement'];
    results.forEach((r, i) =>
      log(`${labels[i]}: ${r.requests} requests (${r.rps.toFixed(1)}/s), p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, bad ${r.non2xx + r.graphqlErrors + r.connectionErrors}`),
    );
    const bad = results.reduce((n, r) => n + r.non2xx + r.graphqlErrors + r.connectionErrors, 0);
    const grew = rows.filter((r) => r.secondHalfGrowthMb > settings.maxGrowthMb);
    const outFile = fileURLToPath(new URL('../../bench-results/soak.json', import.meta.url));
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    await fs.writeFile(
      outFile,
      JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, settings, rows, samples, load: results.map((r, i) => ({ operation: labels[i], ...r })) }, null, 2) + '\n',
    );
    log(`results: ${path.relative(process.cwd(), outFile)}`);
    if (bad) log(`!! ${bad} bad responses during the soak`);
    for (const r of grew) log(`!! ${r.process} grew by ${r.secondHalfGrowthMb.toFixed(1)} MB over the second half (limit ${settings.maxGrowthMb} MB)`);
    return bad || grew.length ? 1 : 0;
  } finally {
    for (const c of children.reverse()) await c.stop();
    await state.close();
    await db.close();
  }
}

process.on('SIGINT', () => terminateAll());
let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
}
process.exit(code);
