import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IssueEntitlementTokenDocument,
  MeDocument,
  RedeemEntitlementDocument,
  SubscribeDocument,
} from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const SUBSCRIBE = SubscribeDocument;
const ME = MeDocument;
const ISSUE = IssueEntitlementTokenDocument;
const REDEEM = RedeemEntitlementDocument;

interface Entitlement {
  id: string;
  status: string;
  remaining: number | null;
  validUntil: string;
  benefit: { code: string; name: string; partner: { id: string; name: string } };
}

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function newMember(): Promise<{ bearer: string; entitlements: Entitlement[] }> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const subscribed = await t.graphql(SUBSCRIBE, { planCode: 'PLUS', idempotencyKey: randomUUID() }, { bearer });
  expect(subscribed.errors).toBeUndefined();
  const me = await t.graphql(ME, {}, { bearer });
  return { bearer, entitlements: me.data.me.entitlements as Entitlement[] };
}

async function issue(bearer: string, entitlementId: string): Promise<string> {
  const res = await t.graphql(ISSUE, { entitlementId }, { bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

function carWashOf(entitlements: Entitlement[]): Entitlement {
  return entitlements.find((e) => e.benefit.code === 'CAR_WASH')!;
}

describe('the coalition path through the gateway', () => {
  it('lists the PLUS plan with its bundle, localized by Accept-Language', async () => {
    const res = await t.graphql(
      `{ plans { code name price { amount currency } billingPeriod benefits { quota period benefit { code kind partner { id } } } } }`,
      {},
      { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } },
    );
    expect(res.errors).toBeUndefined();
    const plus = res.data.plans.find((p: { code: string }) => p.code === 'PLUS');
    expect(plus).toMatchObject({ name: 'PLUS 会员', price: { amount: 19_800, currency: 'CNY' }, billingPeriod: 'YEAR' });
    expect(plus.benefits.map((b: any) => [b.benefit.code, b.benefit.kind, b.benefit.partner.id, b.quota, b.period])).toEqual([
      ['STREAMING_VIP', 'ACCESS', 'streamflix', null, 'MEMBERSHIP_TERM'],
      ['CAR_WASH', 'QUOTA', 'sparkwash', 4, 'MEMBERSHIP_TERM'],
      ['COFFEE', 'VOUCHER', 'brewbar', 10, 'CALENDAR_MONTH'],
      ['SKYMILES_BONUS', 'CONVERSION', 'skymiles', 2000, 'MEMBERSHIP_TERM'],
    ]);
  });

  it('subscribes a member to PLUS and materializes the bundle as active entitlements', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const before = await t.graphql(ME, {}, { bearer });
    expect(before.data.me).toMatchObject({ membership: null, entitlements: [] });

    const res = await t.graphql(SUBSCRIBE, { planCode: 'PLUS', idempotencyKey: 'first-purchase' }, { bearer });
    expect(res.errors).toBeUndefined();
    const membership = res.data.subscribe;
    expect(membership).toMatchObject({ status: 'ACTIVE', plan: { code: 'PLUS' } });
    const start = new Date(membership.currentPeriodStart!);
    const end = new Date(membership.currentPeriodEnd!);
    expect(end.getTime() - start.getTime()).toBeGreaterThanOrEqual(365 * 86_400_000);

    const me = await t.graphql(ME, {}, { bearer });
    expect(me.data.me.membership).toMatchObject({ status: 'ACTIVE', plan: { code: 'PLUS' }, cancelAtPeriodEnd: false });
    const byCode = Object.fromEntries(me.data.me.entitlements.map((e: Entitlement) => [e.benefit.code, e]));
    // Rights held on the partner's side wait for the partner; quota and voucher rights are usable at once.
    expect(byCode.STREAMING_VIP).toMatchObject({ status: 'PENDING_PROVISION', remaining: null, validUntil: membership.currentPeriodEnd });
    expect(byCode.SKYMILES_BONUS).toMatchObject({ status: 'PENDING_PROVISION' });
    expect(byCode.CAR_WASH).toMatchObject({ status: 'ACTIVE', remaining: 4, benefit: { partner: { id: 'sparkwash', name: 'SparkWash' } } });
    expect(byCode.COFFEE).toMatchObject({ status: 'ACTIVE', remaining: 10 });
    expect(new Date(byCode.COFFEE.validUntil) <= end).toBe(true);
  });

  it('returns the first membership when the same idempotency key is sent again, and IDEMPOTENCY_CONFLICT for another plan', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const first = await t.graphql(SUBSCRIBE, { planCode: 'PLUS', idempotencyKey: 'k1' }, { bearer });
    const again = await t.graphql(SUBSCRIBE, { planCode: 'PLUS', idempotencyKey: 'k1' }, { bearer });
    expect(again.data.subscribe.id).toBe(first.data.subscribe.id);
    const conflict = await t.graphql(SUBSCRIBE, { planCode: 'GOLD', idempotencyKey: 'k1' }, { bearer });
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    const second = await t.graphql(SUBSCRIBE, { planCode: 'PLUS', idempotencyKey: 'k2' }, { bearer });
    expect(second.errors?.[0]?.extensions?.code).toBe('ALREADY_MEMBER');
  });

  it('redeems four car washes with a fresh token each, refuses the fifth with QUOTA_EXHAUSTED and a reused token with ALREADY_REDEEMED', async () => {
    const { bearer, entitlements } = await newMember();
    const carWash = carWashOf(entitlements);
    const partner = await t.partnerKey('sparkwash');
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await issue(bearer, carWash.id));

    for (let i = 0; i < 4; i++) {
      const res = await t.graphql(REDEEM, { token: tokens[i]!, idempotencyKey: `wash-${i}` }, { bearer: partner });
      expect(res.errors).toBeUndefined();
      expect(res.data.redeemEntitlement).toMatchObject({ units: 1, entitlement: { id: carWash.id, remaining: 3 - i } });
    }
    const fifth = await t.graphql(REDEEM, { token: tokens[4]!, idempotencyKey: 'wash-4' }, { bearer: partner });
    expect(fifth.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
    expect(fifth.errors?.[0]?.message).toMatch(/0 left/);

    const reused = await t.graphql(REDEEM, { token: tokens[0]!, idempotencyKey: 'wash-0-again' }, { bearer: partner });
    expect(reused.errors?.[0]?.extensions?.code).toBe('ALREADY_REDEEMED');

    const me = await t.graphql(ME, {}, { bearer });
    expect(carWashOf(me.data.me.entitlements).remaining).toBe(0);
    const exhausted = await t.graphql(ISSUE, { entitlementId: carWash.id }, { bearer });
    expect(exhausted.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
  });

  it('answers an idempotent replay of a redemption with the first result, even for a used token', async () => {
    const { bearer, entitlements } = await newMember();
    const partner = await t.partnerKey('sparkwash');
    const token = await issue(bearer, carWashOf(entitlements).id);
    const first = await t.graphql(REDEEM, { token, idempotencyKey: 'replay-me' }, { bearer: partner });
    const replay = await t.graphql(REDEEM, { token, idempotencyKey: 'replay-me' }, { bearer: partner });
    expect(replay).toEqual(first);
    const conflict = await t.graphql(REDEEM, { token, idempotencyKey: 'replay-me', units: 2 }, { bearer: partner });
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('shows sparkwash partner data on the car-wash entitlement and null on the others', async () => {
    const { bearer } = await newMember();
    const res = await t.graphql(
      `{ me { entitlements { benefit { code } carWash { status sites(limit: 2) { id name city } bookings { id } } } } }`,
      {},
      { bearer },
    );
    expect(res.errors).toBeUndefined();
    const byCode = Object.fromEntries(res.data.me.entitlements.map((e: any) => [e.benefit.code, e.carWash]));
    expect(byCode.STREAMING_VIP).toBeNull();
    expect(byCode.CAR_WASH).toMatchObject({ status: 'NOT_PROVISIONED', bookings: [] });
    expect(byCode.CAR_WASH.sites).toHaveLength(2);
  });
});

describe('credentials and roles', () => {
  it('asks an anonymous caller of me to authenticate', async () => {
    const res = await t.graphql(ME);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a forged member JWT as UNAUTHENTICATED', async () => {
    const real = await t.memberToken('mallory');
    const [h, p] = real.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
    const res = await t.graphql(ME, {}, { bearer: forged });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('forbids a partner from calling me and a member from redeeming', async () => {
    const partner = await t.partnerKey('sparkwash');
    const asPartner = await t.graphql(ME, {}, { bearer: partner });
    expect(asPartner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const member = await t.memberToken('just-a-member');
    const asMember = await t.graphql(REDEEM, { token: 'x', idempotencyKey: 'y' }, { bearer: member });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses an unknown partner API key', async () => {
    const res = await t.graphql(REDEEM, { token: 'x', idempotencyKey: 'y' }, { bearer: 'cgk_sparkwash_unknown' });
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the public port', () => {
  it('serves health and readiness, and Prometheus metrics with per-operation counts on the metrics port', async () => {
    expect((await fetch(`${t.app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.app.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    await t.graphql(ME);
    expect((await fetch(`${t.app.url}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(t.app.metricsUrl)).text();
    expect(metrics).toMatch(/graphql_operations_total\{operation="Me",type="query",outcome="error"\} [1-9]/);
    expect(metrics).toMatch(/graphql_operation_duration_seconds_bucket\{le="[0-9.]+",operation="Me"/);
  });

  it('answers a malformed request body with HTTP 400 and a coded error', async () => {
    const res = await fetch(t.app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors?.[0]?.message).toEqual(expect.any(String));
    expect(JSON.stringify(body)).not.toMatch(/"http"/);
  });

  it('answers 404 for paths outside the contract', async () => {
    expect((await fetch(`${t.app.url}/admin`)).status).toBe(404);
  });
});
