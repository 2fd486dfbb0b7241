import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepEntitlementPeriods } from '../src/modules/entitlement/index.js';
import type { ChargeRequest, ChargeResult, PaymentProvider, RefundRequest } from '../src/modules/membership/index.js';
import { MeDocument, SubscribeDocument } from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const SH = 'Asia/Shanghai';

/** A provider that confirms later, like WeChat Pay or Alipay; remembers what it was asked. */
class AsyncProvider implements PaymentProvider {
  readonly name = 'async-test';
  readonly charges: ChargeRequest[] = [];
  readonly refunds: RefundRequest[] = [];
  async charge(request: ChargeRequest): Promise<ChargeResult> {
    this.charges.push(request);
    return { outcome: 'PENDING', providerReference: `async_${request.paymentId}` };
  }
  async refund(request: RefundRequest): Promise<ChargeResult> {
    this.refunds.push(request);
    return { outcome: 'SUCCEEDED', providerReference: `async_refund_${request.paymentId}` };
  }
}

describe('a payment confirmed later', () => {
  const provider = new AsyncProvider();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ payments: provider, jobs: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('waits in PENDING_PAYMENT without rights, then activates and materializes them when the provider confirms', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const first = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'async-1' }, { bearer });
    expect(first.data.subscribe).toMatchObject({ status: 'PENDING_PAYMENT', currentPeriodStart: null });
    const retry = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'async-1' }, { bearer });
    expect(retry.data.subscribe.id).toBe(first.data.subscribe.id);
    // Both attempts charged the same payment: the provider dedupes on our payment id.
    expect(new Set(provider.charges.map((c) => c.paymentId)).size).toBe(1);
    expect(provider.charges[0]).toMatchObject({ amount: 19_800, currency: 'CNY' });

    const pending = await t.graphql(MeDocument, {}, { bearer });
    expect(pending.data.me.membership?.status).toBe('PENDING_PAYMENT');
    expect(pending.data.me.entitlements).toEqual([]);

    const services = t.app.services();
    const confirmed = await services.memberships.settlePayment(provider.charges[0]!.paymentId, 'SUCCEEDED');
    expect(confirmed.status).toBe('ACTIVE');
    // A duplicate confirmation from the provider changes nothing.
    await t.app.services().memberships.settlePayment(provider.charges[0]!.paymentId, 'SUCCEEDED');

    const active = await t.graphql(MeDocument, {}, { bearer });
    expect(active.data.me.membership?.status).toBe('ACTIVE');
    expect(active.data.me.entitlements.map((e) => e.benefit.code).sort()).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
  });

  it('refunds at once a charge confirmed after its membership was cancelled unpaid, and activates nothing', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const sub = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'cancel-pending' }, { bearer });
    expect(sub.data.subscribe.status).toBe('PENDING_PAYMENT');
    const cancelled = await t.graphql(`mutation($id: ID!) { cancelMembership(membershipId: $id) { status } }`, { id: sub.data.subscribe.id }, { bearer });
    expect(cancelled.data.cancelMembership.status).toBe('CANCELED');
    const paymentId = provider.charges.at(-1)!.paymentId;

    // The provider confirms anyway (the shopper paid before the cancel reached it), twice.
    for (let i = 0; i < 2; i++) {
      const settled = await t.app.services().memberships.settlePayment(paymentId, 'SUCCEEDED');
      expect(settled.status).toBe('CANCELED');
    }
    expect(provider.refunds.filter((r) => r.paymentId === paymentId)).toHaveLength(1);
    expect(provider.refunds.at(-1)).toMatchObject({ paymentId, amount: 19_800, currency: 'CNY' });
    expect(await t.db.query(`select status from payment where id = $1`, [paymentId])).toEqual([{ status: 'REFUNDED' }]);
    expect(await t.db.query(`select actor from audit_log where action = 'payment.refund_unwanted' and subject = $1`, [paymentId])).toEqual([{ actor: 'system' }]);
    const me = await t.graphql(MeDocument, {}, { bearer });
    expect(me.data.me).toMatchObject({ membership: null, entitlements: [] });
  });

  it('never activates a membership whose payment failed, and lets the member buy again', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const first = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'fail-1' }, { bearer });
    const paymentId = provider.charges.at(-1)!.paymentId;
    await t.app.services().memberships.settlePayment(paymentId, 'FAILED');
    const me = await t.graphql(MeDocument, {}, { bearer });
    expect(me.data.me).toMatchObject({ membership: null, entitlements: [] });
    const again = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'fail-2' }, { bearer });
    expect(again.data.subscribe.id).not.toBe(first.data.subscribe.id);
    expect(again.data.subscribe.status).toBe('PENDING_PAYMENT');
  });
});

describe('periods over time (frozen clock)', () => {
  let clock = new Date('2026-11-20T02:00:00Z');
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ now: () => clock, jobs: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  const sweep = () =>
    sweepEntitlementPeriods(t.app.orm.em.fork(), { now: clock, timeZone: SH, provisionedPartners: t.app.deps.provisionedPartners });

  it('gives a fresh month of coffees in the next Shanghai month and keeps the yearly car washes', async () => {
    clock = new Date('2026-11-20T02:00:00Z');
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const november = await t.graphql(MeDocument, {}, { bearer });
    const novCoffee = november.data.me.entitlements.find((e) => e.benefit.code === 'COFFEE')!;
    expect(novCoffee.validUntil).toBe('2026-11-30T16:00:00.000Z');

    clock = new Date('2026-12-05T00:00:00Z');
    expect(await sweep()).toMatchObject({ materialized: 1, expired: 1 });
    expect(await sweep()).toMatchObject({ materialized: 0, expired: 0 });

    const december = await t.graphql(MeDocument, {}, { bearer });
    const byCode = Object.fromEntries(december.data.me.entitlements.map((e) => [e.benefit.code, e]));
    expect(byCode.COFFEE).toMatchObject({ remaining: 10, validUntil: '2026-12-31T16:00:00.000Z', status: 'ACTIVE' });
    expect(byCode.COFFEE!.id).not.toBe(novCoffee.id);
    expect(byCode.CAR_WASH).toMatchObject({ remaining: 4, validUntil: '2027-11-20T02:00:00.000Z' });
    const [old] = await t.db.query(`select status from entitlement where id = $1`, [novCoffee.id]);
    expect(old).toEqual({ status: 'EXPIRED' });
  });

  it('keeps rights until the end of a cancelled membership year, then ends it', async () => {
    clock = new Date('2026-11-20T02:00:00Z');
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const sub = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const cancelled = await t.graphql(
      `mutation($id: ID!) { cancelMembership(membershipId: $id) { status cancelAtPeriodEnd currentPeriodEnd } }`,
      { id: sub.data.subscribe.id },
      { bearer },
    );
    expect(cancelled.data.cancelMembership).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: true });
    clock = new Date('2027-06-01T00:00:00Z');
    await sweep();
    const midYear = await t.graphql(MeDocument, {}, { bearer });
    expect(midYear.data.me.membership?.status).toBe('ACTIVE');
    expect(midYear.data.me.entitlements.find((e) => e.benefit.code === 'CAR_WASH')?.status).toBe('ACTIVE');

    clock = new Date('2027-11-21T00:00:00Z');
    expect((await sweep())?.ended).toBeGreaterThanOrEqual(1);
    const after = await t.graphql(MeDocument, {}, { bearer });
    expect(after.data.me).toMatchObject({ membership: null, entitlements: [] });
  });

  it("answers NOT_FOUND when a member cancels someone else's membership", async () => {
    const owner = await t.memberToken(`member-${randomUUID()}`);
    const sub = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer: owner });
    const other = await t.memberToken(`member-${randomUUID()}`);
    const res = await t.graphql(`mutation($id: ID!) { cancelMembership(membershipId: $id) { id } }`, { id: sub.data.subscribe.id }, { bearer: other });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const [row] = await t.db.query(`select cancel_at_period_end from membership where id = $1`, [sub.data.subscribe.id]);
    expect(row).toEqual({ cancel_at_period_end: false });
  });
});
