// Money around a membership, on test clocks: a plan change with proration (used units carry
// over, never a second full quota), refunds under the plan's policy with the amount shown
// before confirming, "total saved", and the payments a member sees — against the WeChat Pay
// sandbox and the partners' sandboxes on loopback.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock as onClock, type ClockMember } from './support/clocks.js';
import { ordersOf, sandboxState } from './support/payments.js';

let t: TestApp;
let admin: string;
let sparkwashKey: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('money-admin');
  sparkwashKey = await t.partnerKey('sparkwash');
});
afterAll(async () => {
  await t?.close();
});

const memberOnClock = (at: string): Promise<ClockMember> => onClock(t, admin, at);
const advance = (member: ClockMember, to: string): Promise<void> => advanceClock(t, admin, member.clockId, to);

async function subscribe(member: ClockMember, plan: string): Promise<string> {
  const res = await t.graphql(`mutation($p: String!, $k: String!) { subscribe(planCode: $p, idempotencyKey: $k) { id status } }`, { p: plan, k: randomUUID() }, { bearer: member.bearer });
  expect(res.data.subscribe.status).toBe('ACTIVE');
  return res.data.subscribe.id;
}

const ME = `{ me { membership { id status plan { code } currentPeriodStart currentPeriodEnd
  savings { thisPeriod { amount currency } sinceJoined { amount currency } feesPaid { amount currency } summary } }
  entitlements { id status remaining benefit { code } }
  payments { id kind status amount { amount } refunded { amount } periodStart refunds { amount { amount } reason status } } } }`;

async function me(member: ClockMember) {
  const res = await t.graphql(ME, {}, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.me;
}

const rightOf = (view: { entitlements: Array<{ benefit: { code: string } }> }, code: string) => view.entitlements.find((e) => e.benefit.code === code) as
  | { id: string; status: string; remaining: number }
  | undefined;

async function redeem(member: ClockMember, entitlementId: string): Promise<void> {
  const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: entitlementId }, { bearer: member.bearer });
  const redeemed = await t.graphql(
    `mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key) { units } }`,
    { token: token.data.issueEntitlementToken.token, key: randomUUID() },
    { bearer: sparkwashKey },
  );
  expect(redeemed.errors, JSON.stringify(redeemed.errors)).toBeUndefined();
}

describe('a plan change', () => {
  it('monthly → yearly mid-period: charges the prorated difference once, starts a yearly period, and carries the used car wash over (no second full quota)', async () => {
    const member = await memberOnClock('2027-02-28T16:00:00.000Z'); // 1 March, 00:00 in Shanghai
    const membershipId = await subscribe(member, 'PLUS_MONTHLY');
    let now = await me(member);
    expect(now.membership).toMatchObject({ plan: { code: 'PLUS_MONTHLY' }, currentPeriodEnd: '2027-03-31T16:00:00.000Z' });
    await redeem(member, rightOf(now, 'CAR_WASH')!.id);

    await advance(member, '2027-03-15T16:00:00.000Z'); // 16 March: 16 of 31 days left
    const quote = await t.graphql(
      `query($id: ID!) { planChangeQuote(membershipId: $id, planCode: "PLUS") { credit { amount } amountDue { amount currency } refund { amount } periodStart periodEnd } }`,
      { id: membershipId },
      { bearer: member.bearer },
    );
    expect(quote.errors).toBeUndefined();
    const credit = Math.floor((2_500 * 16) / 31);
    expect(quote.data.planChangeQuote).toEqual({
      credit: { amount: credit },
      amountDue: { amount: 19_800 - credit, currency: 'CNY' },
      refund: { amount: 0 },
      periodStart: '2027-03-15T16:00:00.000Z',
      periodEnd: '2028-03-15T16:00:00.000Z',
    });

    // A stale figure changes nothing.
    const CHANGE = `mutation($id: ID!, $amount: Int) { changePlan(membershipId: $id, planCode: "PLUS", expectedAmount: $amount) { status plan { code } currentPeriodStart currentPeriodEnd } }`;
    const stale = await t.graphql(CHANGE, { id: membershipId, amount: 19_800 }, { bearer: member.bearer });
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'QUOTE_CHANGED', amount: { amount: 19_800 - credit, currency: 'CNY' } });
    expect((await me(member)).membership.plan.code).toBe('PLUS_MONTHLY');

    const changed = await t.graphql(CHANGE, { id: membershipId, amount: 19_800 - credit }, { bearer: member.bearer });
    expect(changed.errors, JSON.stringify(changed.errors)).toBeUndefined();
    expect(changed.data.changePlan).toEqual({ status: 'ACTIVE', plan: { code: 'PLUS' }, currentPeriodStart: '2027-03-15T16:00:00.000Z', currentPeriodEnd: '2028-03-15T16:00:00.000Z' });
    now = await me(member);
    // One car wash used this period: 3 of the yearly 4 left, not 4 fresh ones.
    expect(rightOf(now, 'CAR_WASH')).toMatchObject({ remaining: 3, status: 'ACTIVE' });
    expect(rightOf(now, 'SKYMILES_BONUS')).toBeDefined();
    expect(now.payments.filter((p: { kind: string }) => p.kind === 'PRORATION')).toEqual([expect.objectContaining({ status: 'SUCCEEDED', amount: { amount: 19_800 - credit } })]);
    const orders = await ordersOf(t, member.memberId);
    expect(orders.map((o) => o.amount.total).sort((a, b) => a - b)).toEqual([2_500, 19_800 - credit]);

    // A year later it renews as a yearly plan at the full price.
    await advance(member, '2028-03-16T00:00:00.000Z');
    now = await me(member);
    expect(now.membership).toMatchObject({ id: membershipId, plan: { code: 'PLUS' }, currentPeriodStart: '2028-03-15T16:00:00.000Z' });
    expect(now.payments.find((p: { kind: string }) => p.kind === 'RENEWAL')).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 19_800 } });
  });

  it('at the period end: renews into the new plan, at its price', async () => {
    const member = await memberOnClock('2027-05-10T02:00:00.000Z');
    const membershipId = await subscribe(member, 'PLUS');
    const change = await t.graphql(
      `mutation($id: ID!) { changePlan(membershipId: $id, planCode: "PLUS_MONTHLY", timing: AT_PERIOD_END) { plan { code } scheduledPlan { code } } }`,
      { id: membershipId },
      { bearer: member.bearer },
    );
    expect(change.data.changePlan).toEqual({ plan: { code: 'PLUS' }, scheduledPlan: { code: 'PLUS_MONTHLY' } });
    await advance(member, '2028-05-11T00:00:00.000Z');
    const now = await me(member);
    expect(now.membership).toMatchObject({ id: membershipId, plan: { code: 'PLUS_MONTHLY' }, currentPeriodStart: '2028-05-10T02:00:00.000Z', currentPeriodEnd: '2028-06-10T02:00:00.000Z' });
    expect(now.payments.find((p: { kind: string }) => p.kind === 'RENEWAL')).toMatchObject({ amount: { amount: 2_500 } });
    expect(rightOf(now, 'CAR_WASH')).toMatchObject({ remaining: 1 });
  });
});

describe('refunds and "total saved"', () => {
  it('shows the savings, quotes the refund under the plan policy (pro rata minus the value used), and refunds exactly that: rights revoked, token flipped', async () => {
    const member = await memberOnClock('2027-01-10T02:00:00.000Z');
    const membershipId = await subscribe(member, 'PLUS');
    let now = await me(member);
    const wash = rightOf(now, 'CAR_WASH')!;
    await redeem(member, wash.id);
    await redeem(member, wash.id);
    await advance(member, '2027-03-24T02:00:00.000Z'); // 73 of 365 days lived
    now = await me(member);
    const savings = now.membership.savings;
    // Two car washes at ¥39 each at least (the VIP counts once StreamFlix confirmed it).
    expect(savings.thisPeriod.amount).toBeGreaterThanOrEqual(7_800);
    expect(savings.sinceJoined).toEqual(savings.thisPeriod);
    expect(savings.feesPaid).toEqual({ amount: 19_800, currency: 'CNY' });
    expect(savings.summary).toMatch(/^You saved ¥[\d,.]+ on a ¥198 membership$/);

    const QUOTE = `query($id: ID!) { refundQuote(membershipId: $id) { policy paid { amount } unusedShare usedValue { amount } amount { amount currency } } }`;
    const quote = (await t.graphql(QUOTE, { id: membershipId }, { bearer: member.bearer })).data.refundQuote;
    expect(quote).toMatchObject({ policy: 'PRO_RATA_MINUS_USED', paid: { amount: 19_800 }, usedValue: { amount: savings.thisPeriod.amount } });
    expect(quote.unusedShare).toBeCloseTo(292 / 365, 6);
    expect(quote.amount.amount).toBe(Math.max(0, Math.floor(19_800 * (292 / 365)) - savings.thisPeriod.amount));

    const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: wash.id }, { bearer: member.bearer });
    expect(token.errors).toBeUndefined();
    const REFUND = `mutation($id: ID!, $amount: Int!) { refundMyMembership(membershipId: $id, expectedAmount: $amount) { status endedAt } }`;
    // A member confirms the amount shown; a wrong one changes nothing.
    const stale = await t.graphql(REFUND, { id: membershipId, amount: quote.amount.amount + 1 }, { bearer: member.bearer });
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'QUOTE_CHANGED', amount: { amount: quote.amount.amount } });
    expect((await me(member)).membership.status).toBe('ACTIVE');

    const refunded = await t.graphql(REFUND, { id: membershipId, amount: quote.amount.amount }, { bearer: member.bearer });
    expect(refunded.errors, JSON.stringify(refunded.errors)).toBeUndefined();
    expect(refunded.data.refundMyMembership).toEqual({ status: 'CANCELED', endedAt: '2027-03-24T02:00:00.000Z' });
    const after = await t.graphql(`{ me { membership { id } entitlements { id } payments { kind refunded { amount } refunds { amount { amount } reason status } } } }`, {}, { bearer: member.bearer });
    expect(after.data.me.membership).toBeNull();
    expect(after.data.me.entitlements).toEqual([]);
    expect(after.data.me.payments[0]).toMatchObject({ kind: 'INITIAL', refunded: { amount: quote.amount.amount }, refunds: [{ amount: { amount: quote.amount.amount }, reason: 'MEMBER_REQUEST', status: 'SUCCEEDED' }] });
    expect((await sandboxState(t)).refunds.filter((r) => r.amount.refund === quote.amount.amount && r.amount.total === 19_800)).toHaveLength(1);
    // Every token of the right, the unused one included, is INVALID in the status list.
    expect(await t.db.query(`select distinct status from issued_token where entitlement_id = $1`, [wash.id])).toEqual([{ status: 1 }]);
    expect(await t.db.query(`select status from entitlement where id = $1`, [wash.id])).toEqual([{ status: 'REVOKED' }]);
    const timeline = await t.graphql(`query($id: ID!) { membershipTimeline(membershipId: $id) { type } }`, { id: membershipId }, { bearer: admin });
    expect(timeline.data.membershipTimeline.map((e: { type: string }) => e.type).slice(-2)).toEqual(['REFUNDED', 'ENDED']);
  });

  it('lets support refund in full whatever the plan policy; a member cannot choose the policy', async () => {
    const member = await memberOnClock('2027-01-10T02:00:00.000Z');
    const membershipId = await subscribe(member, 'PLUS');
    await advance(member, '2027-06-10T02:00:00.000Z');
    const asMember = await t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id, policy: FULL) { status } }`, { id: membershipId }, { bearer: member.bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const full = await t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id, policy: FULL) { status } }`, { id: membershipId }, { bearer: admin });
    expect(full.data.refundMembership.status).toBe('CANCELED');
    const [payment] = await t.db.query<{ refunded_amount: number; status: string }>(`select p.refunded_amount, p.status from payment p where p.membership_id = $1`, [membershipId]);
    expect(payment).toEqual({ refunded_amount: 19_800, status: 'REFUNDED' });
  });
});
