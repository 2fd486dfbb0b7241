// 1,000 memberships due for renewal at the same instant, renewed by two worker processes (the
// compiled worker-main, as production runs it) against one database and the WeChat Pay sandbox:
// each membership renewed and charged exactly once, whatever the two workers claim and however
// the provider's notifications interleave with their queries.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartnerSandboxes, type PartnerSandboxesProcess } from '../bench/partner-sandboxes.js';
import { startChild, type Child } from '../bench/processes.js';
import { TEST_AUDIT_HMAC_KEY } from './support/audit-key.js';
import { startTestApp, type TestApp } from './support/app.js';
import { freePort } from './support/free-port.js';
import { outTradeNo, payerIdOf, sandboxState } from './support/payments.js';

const MEMBERSHIPS = 1_000;

let t: TestApp;
const workers: Child[] = [];
let partnerSandboxes: PartnerSandboxesProcess | undefined;
let membershipIds: string[] = [];
let periodEnd: Date;

beforeAll(async () => {
  t = await startTestApp();
  const [plan] = await t.db.query<{ plan_id: string; version_id: string }>(
    `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
  );
  // Members whose yearly period ended a minute ago, each with a mandate the sandbox signed.
  const memberIds = Array.from({ length: MEMBERSHIPS }, () => randomUUID());
  const mandates: string[] = [];
  for (let i = 0; i < memberIds.length; i += 50) {
    const batch = await Promise.all(
      memberIds.slice(i, i + 50).map((memberId) =>
        t.app.payments.createMandate({ mandateRequestId: `m${randomUUID().replace(/-/g, '').slice(0, 31)}`, payerId: payerIdOf(t, memberId), planCode: 'PLUS', maxAmount: 19_800, currency: 'CNY' }),
      ),
    );
    mandates.push(...batch.map((m) => m.mandateId));
  }
  periodEnd = new Date(Date.now() - 60_000);
  const periodStart = new Date(periodEnd.getTime() - 365 * 86_400_000);
  membershipIds = memberIds.map(() => randomUUID());
  await t.db.query(`insert into member (id, issuer, subject) select id, 'renewal-test', id::text from unnest($1::uuid[]) as id`, [memberIds]);
  await t.db.query(
    `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew, mandate_id, next_due_at)
     select m.id, m.member_id, $3, $4, 'ACTIVE', 'renewal-test', $5, $6, true, m.mandate_id, $6
     from unnest($1::uuid[], $2::uuid[], $7::text[]) as m(id, member_id, mandate_id)`,
    [membershipIds, memberIds, plan!.plan_id, plan!.version_id, periodStart, periodEnd, mandates],
  );
  await t.db.query(
    `insert into payment (id, membership_id, member_id, provider, amount, currency, status, kind, plan_id, period_start, period_end, charged_at, settled_at)
     select gen_random_uuid(), m.id, m.member_id, 'wechatpay', 19800, 'CNY', 'SUCCEEDED', 'INITIAL', $2, $3, $4, $3, $3 from unnest($1::uuid[], $5::uuid[]) as m(id, member_id)`,
    [membershipIds, plan!.plan_id, periodStart, periodEnd, memberIds],
  );

  // Two workers, configured as production configures them: the same partners and provider.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATA_DIR: t.dataDir,
    DATABASE_URL: t.db.url,
    PUBLIC_URL: 'http://issuer.test',
    AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY,
    WORKER_HOST: '127.0.0.1',
    WORKER_PORT: '0',
    ...t.app.paymentSandbox!.adapterSettings,
  };
  // The partners in a process of their own, as in production: the workers' deliveries load it,
  // not this one, which receives the payment provider's notifications. Their acknowledgements go
  // to the first worker's port.
  const workerPort = await freePort();
  partnerSandboxes = await startPartnerSandboxes({ acknowledgeBaseUrl: `http://127.0.0.1:${workerPort}`, env });
  Object.assign(env, partnerSandboxes.env);
  workers.push(
    ...(await Promise.all(
      [String(workerPort), '0'].map((port, n) =>
        startChild({ name: `worker ${n + 1}`, script: 'dist/src/worker-main.js', env: { ...env, WORKER_PORT: port }, ready: /worker listening on (\S+)/, timeoutMs: 90_000 }),
      ),
    )),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await partnerSandboxes?.child.stop();
  await t?.close();
});

describe('1,000 memberships renewing at once with two workers running', () => {
  it('renews each into its next period and charges each exactly once', async () => {
    const settled = async () => {
      const [row] = await t.db.query<{ n: number }>(
        `select count(*)::int as n from payment where membership_id = any($1::uuid[]) and kind = 'RENEWAL' and status <> 'PENDING'`,
        [membershipIds],
      );
      return row!.n;
    };
    const until = Date.now() + 240_000;
    while ((await settled()) < MEMBERSHIPS && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 500));
    for (const worker of workers) expect(worker.exited(), worker.tail().join('\n')).toBeUndefined();

    // One renewal charge per membership, every one of them paid.
    const charges = await t.db.query<{ membership_id: string; n: number; succeeded: number }>(
      `select membership_id, count(*)::int as n, count(*) filter (where status = 'SUCCEEDED')::int as succeeded
       from payment where membership_id = any($1::uuid[]) and kind = 'RENEWAL' group by membership_id`,
      [membershipIds],
    );
    expect(charges).toHaveLength(MEMBERSHIPS);
    expect(charges.filter((c) => c.n !== 1 || c.succeeded !== 1)).toEqual([]);
    // The provider saw exactly one deduction per membership.
    const renewalIds = await t.db.query<{ id: string }>(`select id from payment where membership_id = any($1::uuid[]) and kind = 'RENEWAL'`, [membershipIds]);
    const ours = new Set(renewalIds.map((r) => outTradeNo(r.id)));
    const orders = (await sandboxState(t)).orders.filter((o) => ours.has(o.out_trade_no));
    expect(orders).toHaveLength(MEMBERSHIPS);
    expect(orders.filter((o) => o.trade_state !== 'SUCCESS')).toEqual([]);

    // Each membership is in its next period, starting where the last one ended, with its rights once.
    const memberships = await t.db.query<{ status: string; current_period_start: Date; n: number }>(
      `select status, current_period_start, count(*)::int as n from membership where id = any($1::uuid[]) group by status, current_period_start`,
      [membershipIds],
    );
    expect(memberships).toEqual([{ status: 'ACTIVE', current_period_start: periodEnd, n: MEMBERSHIPS }]);
    const rights = await t.db.query<{ n: number }>(
      `select count(*)::int as n from entitlement where membership_id = any($1::uuid[]) and period_start = $2`,
      [membershipIds, periodEnd],
    );
    expect(rights).toEqual([{ n: MEMBERSHIPS * 4 }]);

    // And the partners heard of every new right, once (the workers' outbox, beside the renewals).
    const undelivered = async () =>
      (
        await t.db.query<{ n: number }>(
          `select count(*)::int as n from outbox_event o join entitlement e on e.id = o.entitlement_id
           where e.membership_id = any($1::uuid[]) and e.period_start = $2 and o.delivered_at is null`,
          [membershipIds, periodEnd],
        )
      )[0]!.n;
    while ((await undelivered()) > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await undelivered()).toBe(0);
  }, 300_000);
});
