// The production shape: gateways ×2, membership subgraphs ×2 (one behind each gateway), the
// sparkwash and streamflix subgraphs, workers ×2, every one its own Node process (the compiled
// entry points, as `npm run build` leaves them) against one PostgreSQL database, with the
// partners' sandboxes configured like real partners (PARTNER_<ID>_URL, …). The coalition path
// walks across them: subscribe through one gateway, read and redeem through the other, the
// workers deliver provisioning and take the partner's signed acknowledgement.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret, type RunningSandbox } from '../partners/sdk/index.js';
import { sandboxAdminState } from '../partners/testing/sandbox.js';
import { startChild, type Child } from '../bench/processes.js';
import { BUILT_IN_PARTNERS, loadSandboxes } from '../src/built-in-partners.js';
import { loadPaymentSandbox } from '../src/built-in-payments.js';
import type { RunningPaymentSandbox } from '../payments/sdk/index.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { Closers } from '../src/runtime/closers.js';
import { openCore } from '../src/runtime/core.js';
import { openDevIssuer } from '../src/runtime/keys.js';
import type { DevIssuer } from '../src/modules/auth/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { freePort } from './support/free-port.js';
import { TEST_AUDIT_HMAC_KEY } from './support/audit-key.js';

const dist = (file: string) => path.resolve('dist/src', file);

let db: TestDatabase;
let dataDir: string;
let devIssuer: DevIssuer;
const children: Child[] = [];
const sandboxes: RunningSandbox[] = [];
let paymentSandbox: RunningPaymentSandbox | undefined;
let gateways: string[] = [];
let workers: Child[] = [];


beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'coalition-apart-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    PUBLIC_URL: 'http://issuer.test',
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    SUBGRAPH_PORT: '0',
    SUBGRAPH_SECRET: randomBytes(32).toString('base64url'),
    PSEUDONYM_SECRET: randomBytes(32).toString('base64url'),
    AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY,
    ...Object.fromEntries(['MEMBER_QUERIES', 'MEMBER_MUTATIONS', 'PARTNER_QUERIES', 'PARTNER_MUTATIONS', 'ANONYMOUS'].map((n) => [`RATE_LIMIT_${n}`, '1000000'])),
  };
  // What an operator prepares once: the schema, the demo catalog, the keys every process shares.
  const config = loadConfig(env);
  const closers = new Closers(createLogger('silent'));
  await openCore({ config, databaseUrl: db.url, logger: createLogger('silent'), partners: BUILT_IN_PARTNERS }, closers);
  await closers.closeAll();
  devIssuer = (await openDevIssuer(config))!;

  // The partners, configured like real ones; their acknowledgements go to the first worker's port.
  const workerPort = await freePort();
  // The payment provider too: its notifications go to the first worker's port.
  const payments = await (await loadPaymentSandbox())({ notifyUrl: `http://127.0.0.1:${workerPort}/payments/wechatpay/notify` });
  paymentSandbox = payments;
  Object.assign(env, payments.adapterSettings);
  const available = await loadSandboxes();
  for (const partner of BUILT_IN_PARTNERS) {
    const callbackSecret = generateWebhookSecret();
    const sandbox = await available.get(partner.id)!.start({
      acknowledgeUrl: `http://127.0.0.1:${workerPort}/partners/${partner.id}/events`,
      acknowledgeSecrets: [callbackSecret],
    });
    sandboxes.push(sandbox);
    const prefix = `PARTNER_${partner.id.toUpperCase()}`;
    env[`${prefix}_URL`] = sandbox.url;
    env[`${prefix}_API_KEY`] = sandbox.apiKey;
    env[`${prefix}_CALLBACK_SECRETS`] = callbackSecret;
    if (sandbox.webhookSecrets?.length) env[`${prefix}_WEBHOOK_SECRETS`] = sandbox.webhookSecrets.join(',');
  }

  const start = async (name: string, script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const child = await startChild({ name, script, args, env: { ...env, ...extra }, ready: /listening on (\S+)/, timeoutMs: 90_000 });
    children.push(child);
    return child;
  };
  const [membershipA, membershipB, sparkwash, streamflix] = await Promise.all([
    start('membership A', dist('subgraph-main.js'), ['membership']),
    start('membership B', dist('subgraph-main.js'), ['membership']),
    start('sparkwash', dist('subgraph-main.js'), ['sparkwash']),
    start('streamflix', dist('subgraph-main.js'), ['streamflix']),
  ]);
  workers = await Promise.all([
    start('worker 1', dist('worker-main.js'), [], { WORKER_PORT: String(workerPort), WORKER_HOST: '127.0.0.1' }),
    start('worker 2', dist('worker-main.js'), [], { WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }),
  ]);
  const partnerSubgraphs = `sparkwash=${sparkwash!.url},streamflix=${streamflix!.url}`;
  const gatewayProcesses = await Promise.all(
    [membershipA!, membershipB!].map((membership, i) =>
      start(`gateway ${i + 1}`, dist('gateway-main.js'), [], { SUBGRAPHS: `membership=${membership.url},${partnerSubgraphs}` }),
    ),
  );
  gateways = gatewayProcesses.map((g) => g.url.replace(/\/graphql$/, ''));
}, 240_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(sandboxes.map((s) => s.close()));
  await paymentSandbox?.close();
  await db?.drop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

async function graphql(gateway: string, query: string, variables: Record<string, unknown>, bearer: string) {
  const response = await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }) };
}

/** Polls `read` until `done` holds (the workers run their jobs every second), failing after `ms`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`still not there after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ME = `{ me { id membership { status } entitlements { id status remaining benefit { code } carWash { status } streamingAccount { status activationLink } } } }`;

describe('the processes apart, on one database', () => {
  it('walks the coalition path across two gateways, two membership subgraphs, the partner subgraphs and two workers', async () => {
    const [one, two] = gateways as [string, string];
    const member = await devIssuer.mint(`apart-${randomUUID()}`);
    const subscribed = await graphql(one, `mutation { subscribe(planCode: "PLUS", idempotencyKey: "k1") { id status } }`, {}, member);
    expect(subscribed.errors).toBeUndefined();
    expect(subscribed.data.subscribe.status).toBe('ACTIVE');

    // A worker provisions the car-wash pass at SparkWash and the streaming VIP at Streamflix.
    type Row = { id: string; benefit: { code: string }; status: string; carWash: { status: string } | null; streamingAccount: { status: string; activationLink: string } | null };
    const rows = (r: { data?: any }) => (r.data?.me?.entitlements ?? []) as Row[];
    const provisioned = await eventually(
      () => graphql(two, ME, {}, member),
      (r) => rows(r).find((e) => e.benefit.code === 'CAR_WASH')?.carWash?.status === 'ACTIVE' && rows(r).find((e) => e.benefit.code === 'STREAMING_VIP')?.streamingAccount?.status === 'PENDING_LINK',
    );
    // The member links a Streamflix account; Streamflix's signed acknowledgement reaches the
    // first worker's port and activates the right.
    const link = new URL(rows(provisioned).find((e) => e.benefit.code === 'STREAMING_VIP')!.streamingAccount!.activationLink);
    const form = new URLSearchParams({ entitlement: link.searchParams.get('entitlement')!, code: link.searchParams.get('code')!, streamflixUser: 'apart@streamflix' });
    expect((await fetch(new URL('/activate', link), { method: 'POST', body: form })).status).toBe(200);
    const me = await eventually(
      () => graphql(one, ME, {}, member),
      (r) => rows(r).find((e) => e.benefit.code === 'STREAMING_VIP')?.status === 'ACTIVE',
    );
    const carWash = me.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    expect(carWash.remaining).toBe(4);

    const issued = await graphql(one, `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: carWash.id }, member);
    expect(issued.errors).toBeUndefined();
    const admin = await devIssuer.mint(`admin-${randomUUID()}`, { admin: true });
    const key = await graphql(two, `mutation { createPartnerApiKey(partnerId: "sparkwash") { key } }`, {}, admin);
    const partner = key.data.createPartnerApiKey.key as string;
    const redeem = `mutation($t: String!) { redeemEntitlement(token: $t, idempotencyKey: "wash-1") { id entitlement { remaining } } }`;
    const redeemed = await graphql(two, redeem, { t: issued.data.issueEntitlementToken.token }, partner);
    expect(redeemed.errors).toBeUndefined();
    expect(redeemed.data.redeemEntitlement.entitlement.remaining).toBe(3);
    // The same request again, through the other gateway and membership subgraph: the first answer.
    const replay = await graphql(one, redeem, { t: issued.data.issueEntitlementToken.token }, partner);
    expect(replay.data.redeemEntitlement.id).toBe(redeemed.data.redeemEntitlement.id);

    // Admins reconcile from the membership subgraph: it reaches the partners configured there.
    const reconciled = await graphql(one, `mutation { reconcilePartner(partnerId: "sparkwash") { checked fixed { action } } }`, {}, admin);
    expect(reconciled.errors).toBeUndefined();
    expect(reconciled.data.reconcilePartner.fixed).toEqual([]);

    // Each gateway serves the status lists from the database.
    const lists = await fetch(`${two}/.well-known/status-lists/sparkwash`);
    expect(lists.status).toBe(200);
  }, 120_000);

  it('runs every job on both workers without doubling any effect', async () => {
    const [one] = gateways as [string];
    const members = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const bearer = await devIssuer.mint(`apart-many-${i}-${randomUUID()}`);
        const res = await graphql(one, `mutation { subscribe(planCode: "PLUS", idempotencyKey: "k") { id } }`, {}, bearer);
        expect(res.errors).toBeUndefined();
        return bearer;
      }),
    );
    await eventually(
      () => db.query<{ left: string }>(`select count(*) as left from outbox_event where delivered_at is null`),
      (rows) => Number(rows[0]!.left) === 0,
    );
    // SparkWash created exactly one pass per right, whichever worker delivered it.
    const carWashes = await db.query<{ id: string }>(
      `select e.id from entitlement e join benefit b on b.id = e.benefit_id where b.code = 'CAR_WASH'`,
    );
    const sparkwash = sandboxes[BUILT_IN_PARTNERS.findIndex((p) => p.id === 'sparkwash')]!;
    const state = await sandboxAdminState<{ effects: Array<{ action: string; entitlementId: string }> }>(sparkwash);
    const passes = state.effects.filter((e) => e.action === 'PASS_CREATED');
    expect(carWashes).toHaveLength(members.length + 1);
    for (const { id } of carWashes) expect(passes.filter((p) => p.entitlementId === id)).toHaveLength(1);
    for (const worker of workers) expect(worker.exited()).toBeUndefined();
  }, 120_000);
});
