// The paid membership as a subscription, on test clocks (never by sleeping): a year with its
// reminder and renewal, cancellation, declined renewals with retries and grace, trials, and
// payment notifications delivered twice or forged — all against the WeChat Pay sandbox, a real
// HTTP server on loopback, and the partners' sandboxes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/platform/config.js';
import { TestClockService } from '../src/modules/test-clock/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock as onClock, type ClockMember } from './support/clocks.js';
import { ordersOf, outTradeNo, payerIdOf, replayNotification, sandboxState, setPayerScenario } from './support/payments.js';

const CLOCK_START = '2027-01-10T02:00:00.000Z';

const ME = `{ me { id
  membership { id status autoRenew cancelAtPeriodEnd currentPeriodStart currentPeriodEnd trialEndsAt graceEndsAt endedAt plan { code } }
  entitlements { id status remaining validUntil benefit { code } }
  payments { id kind status amount { amount currency } periodStart periodEnd chargedAt failureReason refunds { amount { amount } reason status } }
  notifications { type at title body } } }`;

let t: TestApp;
let admin: string;
let sparkwashKey: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('lifecycle-admin');
  sparkwashKey = await t.partnerKey('sparkwash');
});
afterAll(async () => {
  await t?.close();
});

/** A fresh member on a fresh test clock frozen at `at`. */
const memberOnClock = (at = CLOCK_START): Promise<ClockMember> => onClock(t, admin, at, 'lifecycle');
const advance = (member: ClockMember, to: Date | string): Promise<void> => advanceClock(t, admin, member.clockId, to);

async function me(member: ClockMember) {
  const res = await t.graphql(ME, {}, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.me;
}

async function subscribe(member: ClockMember, options: { plan?: string; trial?: boolean } = {}) {
  const res = await t.graphql(
    `mutation($p: String!, $k: String!, $trial: Boolean) { subscribe(planCode: $p, idempotencyKey: $k, trial: $trial) { id status autoRenew currentPeriodStart currentPeriodEnd trialEndsAt } }`,
    { p: options.plan ?? 'PLUS', k: randomUUID(), trial: options.trial ?? false },
    { bearer: member.bearer },
  );
  return res;
}

async function timeline(membershipId: string): Promise<Array<{ type: string; at: string; details: string | null }>> {
  const res = await t.graphql(`query($id: ID!) { membershipTimeline(membershipId: $id) { type at details } }`, { id: membershipId }, { bearer: admin });
  expect(res.errors).toBeUndefined();
  return res.data.membershipTimeline;
}

async function redeemCarWash(member: ClockMember, entitlementId: string): Promise<void> {
  const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: entitlementId }, { bearer: member.bearer });
  expect(token.errors).toBeUndefined();
  const redeemed = await t.graphql(
    `mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key) { units } }`,
    { token: token.data.issueEntitlementToken.token, key: randomUUID() },
    { bearer: sparkwashKey },
  );
  expect(redeemed.errors, JSON.stringify(redeemed.errors)).toBeUndefined();
}

describe('a year in minutes on a test clock', () => {
  it('reminds, renews at the period end into the same membership (charged once, quota back to 4), then ends after a cancel with the rights revoked at the partner', async () => {
    const member = await memberOnClock();
    const sub = await subscribe(member);
    expect(sub.errors).toBeUndefined();
    expect(sub.data.subscribe).toMatchObject({ status: 'ACTIVE', autoRenew: true, currentPeriodStart: CLOCK_START, currentPeriodEnd: '2028-01-10T02:00:00.000Z' });
    const membershipId = sub.data.subscribe.id;

    let now = await me(member);
    const carWash = now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    await redeemCarWash(member, carWash.id);
    await redeemCarWash(member, carWash.id);
    now = await me(member);
    expect(now.entitlements.find((e: { id: string }) => e.id === carWash.id).remaining).toBe(2);

    // Seven days before the end, the reminder; nothing charged yet.
    await advance(member, '2028-01-04T00:00:00.000Z');
    now = await me(member);
    const reminder = now.notifications.find((n: { type: string }) => n.type === 'membership.renewal_reminder');
    expect(reminder).toMatchObject({ at: '2028-01-03T02:00:00.000Z' });
    expect(reminder.body).toContain('¥198');
    expect(now.payments).toHaveLength(1);

    // Past the period's end: renewed with no gap, the same membership, charged once.
    await advance(member, '2028-01-11T00:00:00.000Z');
    now = await me(member);
    expect(now.membership).toMatchObject({
      id: membershipId,
      status: 'ACTIVE',
      currentPeriodStart: '2028-01-10T02:00:00.000Z',
      currentPeriodEnd: '2029-01-10T02:00:00.000Z',
    });
    const renewedWash = now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    expect(renewedWash).toMatchObject({ remaining: 4, status: 'ACTIVE', validUntil: '2029-01-10T02:00:00.000Z' });
    expect(renewedWash.id).not.toBe(carWash.id);
    const renewals = now.payments.filter((p: { kind: string }) => p.kind === 'RENEWAL');
    expect(renewals).toEqual([expect.objectContaining({ status: 'SUCCEEDED', amount: { amount: 19_800, currency: 'CNY' }, periodStart: '2028-01-10T02:00:00.000Z' })]);
    const orders = await ordersOf(t, member.memberId);
    expect(orders.map((o) => o.trade_state).sort()).toEqual(['SUCCESS', 'SUCCESS']);
    const events = (await timeline(membershipId)).map((e) => e.type);
    expect(events.indexOf('REMINDED')).toBeGreaterThan(-1);
    expect(events.indexOf('REMINDED')).toBeLessThan(events.indexOf('RENEWED'));
    expect(events.filter((e) => e === 'CHARGED')).toHaveLength(2);

    // Cancel: rights stay to the period's end, then the membership ends and the partner revokes the VIP.
    const cancelled = await t.graphql(`mutation($id: ID!) { cancelMembership(membershipId: $id) { status cancelAtPeriodEnd } }`, { id: membershipId }, { bearer: member.bearer });
    expect(cancelled.data.cancelMembership).toEqual({ status: 'ACTIVE', cancelAtPeriodEnd: true });
    const vip = now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'STREAMING_VIP');
    await t.app.outbox.drain();
    await advance(member, '2029-01-11T00:00:00.000Z');
    now = await me(member);
    expect(now.membership).toBeNull();
    expect(now.entitlements).toEqual([]);
    await t.app.outbox.drain();
    expect((await t.app.provisioning.get('streamflix')!.status(vip.id)).status).toBe('REVOKED');
    expect(now.payments.filter((p: { kind: string }) => p.kind === 'RENEWAL')).toHaveLength(1);
    expect((await timeline(membershipId)).at(-1)).toMatchObject({ type: 'ENDED', at: '2029-01-10T02:00:00.000Z' });
  });
});

describe('a declined renewal', () => {
  it('goes PAST_DUE, is retried on schedule, and resumes with no gap when the member pays during grace (one charge for the period)', async () => {
    const member = await memberOnClock();
    const sub = await subscribe(member);
    const membershipId = sub.data.subscribe.id;
    await setPayerScenario(t, member.memberId, 'decline');

    await advance(member, '2028-01-10T03:00:00.000Z');
    let now = await me(member);
    expect(now.membership).toMatchObject({ id: membershipId, status: 'PAST_DUE', currentPeriodStart: '2028-01-10T02:00:00.000Z', graceEndsAt: '2028-01-17T02:00:00.000Z' });
    expect(now.notifications.map((n: { type: string }) => n.type)).toContain('membership.past_due');
    // The plan's grace keeps rights usable: the new period's car washes are there.
    expect(now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH')).toMatchObject({ status: 'ACTIVE', remaining: 4 });

    // Retries at +1 and +3 days, both declined.
    await advance(member, '2028-01-14T00:00:00.000Z');
    now = await me(member);
    const attempts = now.payments.filter((p: { kind: string }) => p.kind === 'RENEWAL');
    expect(attempts.map((p: { status: string }) => p.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(attempts.map((p: { chargedAt: string }) => p.chargedAt).sort()).toEqual(['2028-01-10T02:00:00.000Z', '2028-01-11T02:00:00.000Z', '2028-01-13T02:00:00.000Z']);
    expect(now.membership.status).toBe('PAST_DUE');

    // The member pays with a card that works: ACTIVE again, the same period, paid once.
    await setPayerScenario(t, member.memberId, 'success');
    const paid = await t.graphql(`mutation($id: ID!) { payPastDue(membershipId: $id) { status currentPeriodStart currentPeriodEnd } }`, { id: membershipId }, { bearer: member.bearer });
    expect(paid.errors).toBeUndefined();
    expect(paid.data.payPastDue).toEqual({ status: 'ACTIVE', currentPeriodStart: '2028-01-10T02:00:00.000Z', currentPeriodEnd: '2029-01-10T02:00:00.000Z' });
    // The last scheduled retry (+5 days) does not charge a paid period again.
    await advance(member, '2028-01-20T00:00:00.000Z');
    now = await me(member);
    expect(now.membership.status).toBe('ACTIVE');
    const succeeded = now.payments.filter((p: { status: string; periodStart: string }) => p.status === 'SUCCEEDED' && p.periodStart === '2028-01-10T02:00:00.000Z');
    expect(succeeded).toEqual([expect.objectContaining({ kind: 'RECOVERY' })]);
    const types = (await timeline(membershipId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['PAST_DUE', 'RESUMED']));
    expect(types.filter((e) => e === 'CHARGE_FAILED')).toHaveLength(3);
  });

  it('ends the membership after the grace when nobody pays: rights revoked, partners told, tokens flipped', async () => {
    const member = await memberOnClock();
    const sub = await subscribe(member);
    const membershipId = sub.data.subscribe.id;
    await setPayerScenario(t, member.memberId, 'insufficient_funds');
    await advance(member, '2028-01-10T03:00:00.000Z');
    let now = await me(member);
    expect(now.membership.status).toBe('PAST_DUE');
    const vip = now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'STREAMING_VIP');
    const wash = now.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: wash.id }, { bearer: member.bearer });
    expect(token.errors).toBeUndefined();
    await t.app.outbox.drain();

    await advance(member, '2028-01-18T00:00:00.000Z');
    now = await me(member);
    expect(now.membership).toBeNull();
    expect(now.entitlements).toEqual([]);
    const [row] = await t.db.query<{ status: string; ended_at: Date }>(`select status, ended_at from membership where id = $1`, [membershipId]);
    expect(row).toMatchObject({ status: 'EXPIRED', ended_at: new Date('2028-01-17T02:00:00.000Z') });
    expect(await t.db.query(`select status from entitlement where id = any($1::uuid[]) order by status`, [[vip.id, wash.id]])).toEqual([{ status: 'REVOKED' }, { status: 'REVOKED' }]);
    // The token's status-list entry flipped in the same transaction.
    expect(await t.db.query(`select status from issued_token where entitlement_id = $1`, [wash.id])).toEqual([{ status: 1 }]);
    await t.app.outbox.drain();
    expect((await t.app.provisioning.get('streamflix')!.status(vip.id)).status).toBe('REVOKED');
    const failed = now.payments.filter((p: { kind: string }) => p.kind === 'RENEWAL');
    // The first charge and the retries at +1, +3 and +5 days, all refused.
    expect(failed.map((p: { failureReason: string }) => p.failureReason)).toEqual(['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS']);
    expect((await timeline(membershipId)).at(-1)).toMatchObject({ type: 'ENDED' });
  });
});

describe('payment notifications', () => {
  it('applies a notification delivered twice once, and refuses forged and replayed ones', async () => {
    const member = await memberOnClock();
    await setPayerScenario(t, member.memberId, 'duplicated_notification');
    const sub = await subscribe(member);
    expect(sub.data.subscribe.status).toBe('ACTIVE');
    await advance(member, '2028-01-10T03:00:00.000Z');
    const now = await me(member);
    const renewal = now.payments.find((p: { kind: string }) => p.kind === 'RENEWAL');
    expect(renewal.status).toBe('SUCCEEDED');
    const state = await sandboxState(t);
    const sent = state.notifications.filter((n) => n.out_trade_no === outTradeNo(renewal.id));
    expect(sent).toHaveLength(1);
    await expect.poll(async () => (await sandboxState(t)).notifications.find((n) => n.id === sent[0]!.id)!.deliveries.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    // Replayed within its tolerance: accepted and applied... as nothing new.
    expect(await replayNotification(t, sent[0]!.id)).toBe(200);
    // Signed ten minutes ago: refused.
    expect(await replayNotification(t, sent[0]!.id, { signedSecondsAgo: 600 })).toBe(401);
    // Forged: a body no platform key signed.
    const forged = await fetch(`${t.app.url}/payments/wechatpay/notify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'wechatpay-timestamp': String(Math.floor(Date.now() / 1000)),
        'wechatpay-nonce': 'n'.repeat(32),
        'wechatpay-signature': Buffer.from('forged').toString('base64'),
        'wechatpay-serial': 'PUB_KEY_ID_0',
      },
      body: JSON.stringify({ id: randomUUID(), event_type: 'TRANSACTION.SUCCESS', resource: {} }),
    });
    expect(forged.status).toBe(401);

    const after = await me(member);
    expect(after.payments.filter((p: { kind: string; status: string }) => p.kind === 'RENEWAL')).toHaveLength(1);
    expect((await timeline(after.membership.id)).filter((e) => e.type === 'RENEWED')).toHaveLength(1);
    expect((await timeline(after.membership.id)).filter((e) => e.type === 'CHARGED')).toHaveLength(2);
    expect(await t.db.query(`select count(*)::int as n from payment_notification where payment_id = $1`, [renewal.id])).toEqual([{ n: 1 }]);
  });

  it('settles a renewal whose notification never comes by asking the provider', async () => {
    const member = await memberOnClock();
    const sub = await subscribe(member);
    await setPayerScenario(t, member.memberId, 'notification_never_sent');
    // The renewal is charged at the period's end; the provider settles it in its own (real) time,
    // which a test clock does not move: wait for that, so the first query finds it settled.
    await advance(member, '2028-01-10T02:00:01.000Z');
    await expect.poll(async () => (await ordersOf(t, member.memberId)).filter((o) => o.trade_state === 'SUCCESS').length, { timeout: 10_000 }).toBe(2);
    await advance(member, '2028-01-10T04:00:00.000Z');
    const now = await me(member);
    expect(now.membership).toMatchObject({ id: sub.data.subscribe.id, status: 'ACTIVE', currentPeriodStart: '2028-01-10T02:00:00.000Z' });
    expect(now.payments.find((p: { kind: string }) => p.kind === 'RENEWAL').status).toBe('SUCCEEDED');
  });
});

describe('trials', () => {
  it('converts a trial to paid at its end, and refuses a second trial with TRIAL_ALREADY_USED', async () => {
    const member = await memberOnClock();
    const trial = await subscribe(member, { trial: true });
    expect(trial.errors).toBeUndefined();
    expect(trial.data.subscribe).toMatchObject({ status: 'TRIALING', trialEndsAt: '2027-01-17T02:00:00.000Z', currentPeriodEnd: '2027-01-17T02:00:00.000Z' });
    let now = await me(member);
    // PLUS's trial grants the VIP and coffees, not the car washes.
    expect(now.entitlements.map((e: { benefit: { code: string } }) => e.benefit.code).sort()).toEqual(['COFFEE', 'STREAMING_VIP']);
    expect(now.payments).toEqual([]);

    await advance(member, '2027-01-18T00:00:00.000Z');
    now = await me(member);
    expect(now.membership).toMatchObject({ id: trial.data.subscribe.id, status: 'ACTIVE', currentPeriodStart: '2027-01-17T02:00:00.000Z', currentPeriodEnd: '2028-01-17T02:00:00.000Z' });
    expect(now.payments).toEqual([expect.objectContaining({ kind: 'TRIAL_CONVERSION', status: 'SUCCEEDED', amount: { amount: 19_800, currency: 'CNY' } })]);
    expect(now.entitlements.map((e: { benefit: { code: string } }) => e.benefit.code).sort()).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);

    // Cancelled, ended, then a second trial: refused, nothing created.
    await t.graphql(`mutation($id: ID!) { cancelMembership(membershipId: $id) { status } }`, { id: trial.data.subscribe.id }, { bearer: member.bearer });
    await advance(member, '2028-01-18T00:00:00.000Z');
    const again = await subscribe(member, { trial: true });
    expect(again.errors?.[0]?.extensions?.code).toBe('TRIAL_ALREADY_USED');
    expect(await t.db.query(`select count(*)::int as n from membership where member_id = $1`, [member.memberId])).toEqual([{ n: 1 }]);
  });

  it('ends a cancelled trial at its end without charging', async () => {
    const member = await memberOnClock();
    const trial = await subscribe(member, { trial: true });
    await t.graphql(`mutation($id: ID!) { cancelMembership(membershipId: $id) { status } }`, { id: trial.data.subscribe.id }, { bearer: member.bearer });
    await advance(member, '2027-01-20T00:00:00.000Z');
    const now = await me(member);
    expect(now.membership).toBeNull();
    expect(now.payments).toEqual([]);
    expect(await ordersOf(t, member.memberId)).toEqual([]);
  });

  it('refuses a trial when the payer refuses the mandate, with MANDATE_REFUSED, changing nothing', async () => {
    const member = await memberOnClock();
    await setPayerScenario(t, member.memberId, 'mandate_refused');
    const trial = await subscribe(member, { trial: true });
    expect(trial.errors?.[0]?.extensions?.code).toBe('MANDATE_REFUSED');
    expect(await t.db.query(`select count(*)::int as n from membership where member_id = $1`, [member.memberId])).toEqual([{ n: 0 }]);
  });
});

describe('test clocks', () => {
  it('only attach fresh members, only move forward, and are for admins', async () => {
    const member = await memberOnClock();
    await subscribe(member);
    const other = await t.graphql(`mutation($at: DateTimeISO!) { createTestClock(frozenTime: $at) { id } }`, { at: CLOCK_START }, { bearer: admin });
    const attach = await t.graphql(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: other.data.createTestClock.id, m: member.memberId }, { bearer: admin });
    expect(attach.errors?.[0]?.extensions?.code).toBe('TEST_CLOCK_MEMBER_NOT_FRESH');
    const back = await t.graphql(`mutation($c: ID!) { advanceTestClock(testClockId: $c, to: "2026-01-01T00:00:00Z") { id } }`, { c: member.clockId }, { bearer: admin });
    expect(back.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const asMember = await t.graphql(`mutation { createTestClock(frozenTime: "2027-01-01T00:00:00Z") { id } }`, {}, { bearer: member.bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A member on a clock lives at its time: what they do is stamped with it.
    const [row] = await t.db.query<{ created_at: Date; charged_at: Date }>(
      `select p.charged_at from payment p join membership m on m.id = p.membership_id where m.member_id = $1`,
      [member.memberId],
    );
    expect(row!.charged_at.toISOString()).toBe(CLOCK_START);
  });

  it('are refused in production with TEST_CLOCKS_DISABLED', async () => {
    // Production's configuration turns them off, and a process without them refuses every operation.
    expect(loadConfig({ NODE_ENV: 'production', AUTH_ISSUER: 'https://id.example', AUTH_JWKS_URL: 'https://id.example/jwks', SUBGRAPH_SECRET: 'x'.repeat(32) }).testClocks).toBe(false);
    const production = new TestClockService(t.app.orm.em.fork(), { dueWork: t.app.deps.dueWork! });
    await expect(production.create(new Date(), 'prod')).rejects.toMatchObject({ code: 'TEST_CLOCKS_DISABLED' });
    await expect(production.advance(randomUUID(), new Date())).rejects.toMatchObject({ code: 'TEST_CLOCKS_DISABLED' });
  });
;
});

describe('due work in batches', () => {
  it('renews the rest of a batch when one membership in it cannot be processed, and leaves that one due', async () => {
    const [plan] = await t.db.query<{ plan_id: string; version_id: string }>(
      `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
    );
    const memberIds = Array.from({ length: 5 }, () => randomUUID());
    const membershipIds = memberIds.map(() => randomUUID());
    const mandates = await Promise.all(
      memberIds.map((memberId) =>
        t.app.payments.createMandate({ mandateRequestId: `m${randomUUID().replace(/-/g, '').slice(0, 31)}`, payerId: payerIdOf(t, memberId), planCode: 'PLUS', maxAmount: 19_800, currency: 'CNY' }),
      ),
    );
    const end = new Date(Date.now() - 60_000);
    await t.db.query(`insert into member (id, issuer, subject) select id, 'batch-test', id::text from unnest($1::uuid[]) as id`, [memberIds]);
    await t.db.query(
      `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew, mandate_id, next_due_at)
       select m.id, m.member_id, $3, $4, 'ACTIVE', 'batch-test', $5, $6, true, m.mandate_id, $6
       from unnest($1::uuid[], $2::uuid[], $7::text[]) as m(id, member_id, mandate_id)`,
      [membershipIds, memberIds, plan!.plan_id, plan!.version_id, new Date(end.getTime() - 365 * 86_400_000), end, mandates.map((m) => m.mandateId)],
    );
    // One of them cannot be renewed (as a corrupt row or a failing constraint would have it).
    const poison = membershipIds[2]!;
    await t.db.query(
      `create function refuse_poison() returns trigger language plpgsql as $$ begin raise exception 'poisoned membership'; end $$;
       create trigger refuse_poison before update on membership for each row when (old.id = '${poison}' and new.current_period_start is distinct from old.current_period_start) execute function refuse_poison()`,
    );
    try {
      await t.app.runDue();
      const renewed = await t.db.query<{ id: string; current_period_start: Date }>(`select id, current_period_start from membership where id = any($1::uuid[]) order by id`, [membershipIds]);
      const others = renewed.filter((r) => r.id !== poison);
      expect(others.map((r) => r.current_period_start.toISOString())).toEqual(others.map(() => end.toISOString()));
      expect(renewed.find((r) => r.id === poison)!.current_period_start.toISOString()).not.toBe(end.toISOString());
      expect(await t.db.query(`select count(*)::int as n from payment where membership_id = $1 and kind = 'RENEWAL'`, [poison])).toEqual([{ n: 0 }]);
    } finally {
      await t.db.query(`drop trigger refuse_poison on membership; drop function refuse_poison()`);
    }
    // Healed, it is renewed on the next run (its claim's lease aside: due again at once here).
    await t.db.query(`update membership set next_due_at = $2 where id = $1`, [poison, end]);
    await t.app.runDue();
    const [healed] = await t.db.query<{ current_period_start: Date }>(`select current_period_start from membership where id = $1`, [poison]);
    expect(healed!.current_period_start.toISOString()).toBe(end.toISOString());
  });
});
