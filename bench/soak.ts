// `npm run -s bench:soak`: memory under a steady load. The production shape (membership and
// sparkwash subgraphs, our gateway, a worker) serves members' pages (`me`), token issues and
// redemptions at a steady rate for BENCH_SOAK_MINUTES (10); every process's RSS is sampled every
// BENCH_SOAK_SAMPLE_SECONDS (15). Prints, per process, its RSS after the first minute (warm), its
// peak, at the end, and its growth (the second half's peak over the first half's after warming
// up: RSS saw-tooths), and fails when a process grew by more than BENCH_SOAK_MAX_GROWTH_MB (20)
// or a response was bad.
// Beside RSS, each process's heap right after its last major collection (what it keeps alive,
// `nodejs_heap_used_after_major_gc_bytes` from its /metrics): the same figures, the same limit.
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
import { createBenchDatabase, freePort, graphql, pool, prepareBenchState, progress } from './setup.js';

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
    const metricsUrls = new Map<string, string>();
    let lastPort = 54_479;
    const metricsPort = async () => (lastPort = await freePort(lastPort + 1));
    const { gateway } = await startServingProcesses(state.env, children, { worker: true, metricsPort, metricsUrls });

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

    const samples: Array<{ at: number; rss: Record<string, number>; heap: Record<string, number> }> = [];
    const sample = async () => {
      const at = (Date.now() - started) / 1000;
      const rss = Object.fromEntries(children.map((c) => [c.name, c.rssBytes()]));
      const heap = Object.fromEntries(await Promise.all(children.map(async (c) => [c.name, await heapAfterMajorGc(metricsUrls.get(c.name))] as const)));
      samples.push({ at, rss, heap });
    };
    const started = Date.now();
    await sample();
    const timer = setInterval(() => {
      void sample().then(() => {
        const last = samples.at(-1)!;
        log(`  ${(last.at / 60).toFixed(1)} min: ` + children.map((c) => `${c.name} ${mb(last.rss[c.name] ?? 0).toFixed(0)} MB (heap kept ${mb(last.heap[c.name] ?? 0).toFixed(0)})`).join(', '));
      });
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
    await sample();

    const warmAt = Math.min(60, seconds / 4);
    const halfAt = seconds / 2;
    const at = (t: number) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
    // RSS saw-tooths with the collector and the allocator (a sample at a trough makes any later
    // one look like growth): its growth is the second half's peak over the first half's (after
    // warming up). The heap kept after collections is smooth: its growth is end minus half-way.
    const peak = (of: 'rss' | 'heap', name: string, from: number, to: number) =>
      Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s[of][name] ?? 0));
    const figures = (of: 'rss' | 'heap', name: string) => {
      const series = samples.map((s) => s[of][name] ?? 0);
      return {
        warmMb: mb(at(warmAt)[of][name] ?? 0),
        peakMb: mb(Math.max(...series)),
        endMb: mb(samples.at(-1)![of][name] ?? 0),
        secondHalfGrowthMb:
          of === 'rss'
            ? mb(peak(of, name, halfAt, Infinity) - peak(of, name, warmAt, halfAt))
            : mb((samples.at(-1)![of][name] ?? 0) - (at(halfAt)[of][name] ?? 0)),
      };
    };
    const rows = children.map((c) => ({ process: c.name, ...figures('rss', c.name), heapKept: figures('heap', c.name) }));
    const table = (title: string, pick: (r: (typeof rows)[number]) => ReturnType<typeof figures>) => {
      log('');
      log(`${title} (MB): warm = after ${(warmAt / 60).toFixed(1)} min; growth = from ${(halfAt / 60).toFixed(1)} min to the end`);
      log(`${'process'.padEnd(12)} ${'warm'.padStart(7)} ${'peak'.padStart(7)} ${'end'.padStart(7)} ${'growth'.padStart(8)}`);
      for (const r of rows) {
        const f = pick(r);
        log(`${r.process.padEnd(12)} ${f.warmMb.toFixed(1).padStart(7)} ${f.peakMb.toFixed(1).padStart(7)} ${f.endMb.toFixed(1).padStart(7)} ${`${f.secondHalfGrowthMb >= 0 ? '+' : ''}${f.secondHalfGrowthMb.toFixed(1)}`.padStart(8)}`);
      }
    };
    table('RSS per process (growth: the second half\'s peak over the first half\'s)', (r) => r);
    table('Heap kept after the last major collection, per process', (r) => r.heapKept);
    const labels = ['me', 'issueEntitlementToken', 'redeemEntitlement'];
    results.forEach((r, i) =>
      log(`${labels[i]}: ${r.requests} requests (${r.rps.toFixed(1)}/s), p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, bad ${r.non2xx + r.graphqlErrors + r.connectionErrors}`),
    );
    const bad = results.reduce((n, r) => n + r.non2xx + r.graphqlErrors + r.connectionErrors, 0);
    const grew = rows.flatMap((r) => [
      ...(r.secondHalfGrowthMb > settings.maxGrowthMb ? [{ process: r.process, what: 'RSS', by: r.secondHalfGrowthMb }] : []),
      ...(r.heapKept.secondHalfGrowthMb > settings.maxGrowthMb ? [{ process: r.process, what: 'its heap kept after collections', by: r.heapKept.secondHalfGrowthMb }] : []),
    ]);
    const outFile = fileURLToPath(new URL('../../bench-results/soak.json', import.meta.url));
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    await fs.writeFile(
      outFile,
      JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, settings, rows, samples, load: results.map((r, i) => ({ operation: labels[i], ...r })) }, null, 2) + '\n',
    );
    log(`results: ${path.relative(process.cwd(), outFile)}`);
    if (bad) log(`!! ${bad} bad responses during the soak`);
    for (const g of grew) log(`!! ${g.process}: ${g.what} grew by ${g.by.toFixed(1)} MB over the second half (limit ${settings.maxGrowthMb} MB)`);
    return bad || grew.length ? 1 : 0;
  } finally {
    for (const c of children.reverse()) await c.stop();
    await state.close();
    await db.close();
  }
}

/** A process's `nodejs_heap_used_after_major_gc_bytes` (0 when it has none yet or no metrics). */
async function heapAfterMajorGc(url: string | undefined): Promise<number> {
  if (!url) return 0;
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    return Number(/^nodejs_heap_used_after_major_gc_bytes (\S+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
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
