// `npm run -s bench:hot`: the membership subgraph's two hot paths alone, for profiling — `me`
// (rights, tier and points, as `npm run bench` asks it, of members with six purchases of
// loyalty history) sent straight to the subgraph (signed as the gateway signs) and `redeemEntitlement` through
// our gateway — with the subgraph's CPU milliseconds per request and the rest of the machine's
// (PostgreSQL). BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the children.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { runLoad, type LoadItem } from './load.js';
import { machineBusySeconds, startServingProcesses, waitUntilQuiet, terminateAll, type Child } from './processes.js';
import { createBenchDatabase, graphql, pool, prepareBenchState, progress, recordLoyaltyHistory } from './setup.js';

const ME =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name } points { balance } } }';
const SUBSCRIBE = 'mutation Subscribe($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id status } }';
const ISSUE = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const REDEEM =
  'mutation Redeem($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id units entitlement { id remaining } } }';

const members = Number(process.env.BENCH_MEMBERS ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const only = (process.env.BENCH_ONLY ?? 'me,redeem').split(',');
const children: Child[] = [];

async function main(): Promise<void> {
  const db = await createBenchDatabase(console.log);
  const state = await prepareBenchState(db.url, 'streamflix');
  try {
    // The worker takes the payment provider's confirmations: subscriptions become active.
    const { membership, gateway } = await startServingProcesses(state.env, children, { worker: true });
    const bearers: string[] = [];
    const streaming: string[] = [];
    const bar = progress('subscribing members…', members);
    await pool(members, 8, async (i) => {
      const bearer = await state.devIssuer.mint(`hot-member-${i}`);
      await graphql(gateway.url, bearer, SUBSCRIBE, { key: `hot-${i}` });
      const { me } = await graphql<{ me: { entitlements: Array<{ id: string; benefit: { code: string } }> } }>(gateway.url, bearer, ME);
      bearers[i] = bearer;
      streaming[i] = me.entitlements.find((e) => e.benefit.code === 'STREAMING_VIP')!.id;
      bar.tick();
    });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`update entitlement set status = 'ACTIVE' where id = any($1::uuid[])`, [streaming]);
    await client.end();
    if (only.includes('me')) {
      await recordLoyaltyHistory(db.url, gateway.url, state.devIssuer, members, 'hot-member-');
      // The worker applies the purchases (points, tiers) before anything is measured.
      console.log(`waiting for the worker to apply them… ${(await waitUntilQuiet()).toFixed(0)} s`);
    }

    const measure = async (label: string, run: Parameters<typeof runLoad>[0], warmup = run) => {
      await runLoad({ ...warmup, seconds: 2 });
      const m0 = membership.cpuSeconds(), g0 = gateway.cpuSeconds(), busy0 = machineBusySeconds();
      const result = await runLoad(run);
      const m = membership.cpuSeconds() - m0, g = gateway.cpuSeconds() - g0, busy = machineBusySeconds() - busy0;
      const per = (s: number) => ((s / result.requests) * 1000).toFixed(3);
      console.log(
        `${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; CPU ms/request: membership ${per(m)}, gateway ${per(g)}, ` +
          `rest of the machine ${per(busy - m - g)}; bad ${result.non2xx + result.graphqlErrors + result.connectionErrors}${result.samples.length ? ' ' + JSON.stringify(result.samples[0]) : ''}`,
      );
    };
    if (only.includes('me')) {
      const body = JSON.stringify({ query: ME, operationName: 'Me' });
      const items: LoadItem[] = bearers.map((b) => ({ authorization: `Bearer ${b}`, body }));
      await measure('me, direct', {
        url: membership.url, seconds, connections, items, mode: 'cycle', expect: '"me":{"membership":{',
        headers: { [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(state.env.SUBGRAPH_SECRET!, body) },
      });
    }
    if (only.includes('redeem')) {
      const count = Number(process.env.BENCH_REDEEM_TOKENS ?? 6000);
      const tokens: string[] = [];
      const tb = progress('issuing tokens…', count);
      await pool(count, 16, async (i) => {
        const { issueEntitlementToken } = await graphql<{ issueEntitlementToken: { token: string } }>(gateway.url, bearers[i % members]!, ISSUE, { id: streaming[i % members] });
        tokens[i] = issueEntitlementToken.token;
        tb.tick();
      });
      const items = tokens.map((token) => ({ authorization: `Bearer ${state.partnerKey}`, body: JSON.stringify({ query: REDEEM, operationName: 'Redeem', variables: { token, key: `hot-${randomUUID()}` } }) }));
      const run = { url: gateway.url, seconds, connections, mode: 'once', expect: '"redeemEntitlement":{"id":' } as const;
      const warm = Math.floor(count / 6);
      await measure('redeemEntitlement, through the gateway', { ...run, items: items.slice(warm) }, { ...run, items: items.slice(0, warm) });
    }
  } finally {
    for (const c of children.reverse()) await c.stop();
    await state.close();
    await db.close();
  }
}

process.on('SIGINT', () => terminateAll());
try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
process.exit();
