// Points turn into partner rights: rewards bought from the catalog (a BrewBar coffee voucher, a
// SparkWash car wash, SkyMiles) and the benefits a tier unlocks, both delivered as entitlements
// by the same machinery as a membership's bundle. Real PostgreSQL, test clocks, everything
// through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock, type ClockMember } from './support/clocks.js';

let t: TestApp;
let admin: string;
let sparkwash: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('rewards-admin');
  sparkwash = await t.partnerKey('sparkwash');
});
afterAll(async () => {
  await t?.close();
});

/** 15 Mar 2027, 10:00 in Shanghai. */
const MAR_15 = '2027-03-15T02:00:00.000Z';
/** 00:00 in Shanghai on the first of a month, as UTC. */
const firstOf = (year: number, month: number) => new Date(Date.UTC(year, month - 1, 1) - 8 * 3_600_000).toISOString();

const REDEEM = `mutation($code: String!, $key: String!) { redeemReward(rewardCode: $code, idempotencyKey: $key) {
  pointsBalance redemption { id rewardCode rewardName points status redeemedAt canceledAt entitlement { id status source sourceRef quota remaining validFrom validUntil benefit { code } } } } }`;
const CANCEL = `mutation($id: ID!) { cancelRewardRedemption(redemptionId: $id) { pointsBalance redemption { id status canceledAt entitlement { id status } } } }`;
const ME = `{ me { points { balance lots { earned remaining expiresAt } history(first: 5) { change reason } }
  rewards { code name pointsCost affordable pointsShort validityDays }
  rewardRedemptions { id rewardCode status }
  entitlements { id status source sourceRef quota remaining used validFrom validUntil benefit { code } } } }`;

async function me(member: ClockMember, language = 'en') {
  const res = await t.graphql(ME, {}, { bearer: member.bearer, headers: { 'accept-language': language } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.me;
}

async function purchase(member: ClockMember, yuan: number, externalId = randomUUID()) {
  const res = await t.graphql(
    `mutation($input: ActivityInput!) { recordActivity(input: $input) { id points tierAfter } }`,
    { input: { memberId: member.memberId, channel: 'app', externalId, type: 'PURCHASE', amount: { amount: yuan * 100, currency: 'CNY' } } },
    { bearer: admin },
  );
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return { externalId, ...res.data.recordActivity };
}

async function refund(member: ClockMember, of: string, yuan: number) {
  const res = await t.graphql(
    `mutation($input: ActivityInput!) { recordActivity(input: $input) { id points tierAfter } }`,
    { input: { memberId: member.memberId, channel: 'app', externalId: randomUUID(), type: 'REFUND', refundOf: of, amount: { amount: yuan * 100, currency: 'CNY' } } },
    { bearer: admin },
  );
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.recordActivity;
}

const redeem = (member: ClockMember, code: string, key: string = randomUUID()) => t.graphql(REDEEM, { code, key }, { bearer: member.bearer });

async function redeemOk(member: ClockMember, code: string, key: string = randomUUID()) {
  const res = await redeem(member, code, key);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.redeemReward;
}

/** What a refused request must leave as it was: the member's points, redemptions and rights. */
async function footprint(memberId: string) {
  const [row] = await t.db.query(
    `select (select balance from points_account where id = 'member:' || $1::text) as balance,
            (select count(*)::int from points_journal where member_id = $1::uuid) as journals,
            (select count(*)::int from reward_redemption where member_id = $1::uuid) as redemptions,
            (select count(*)::int from entitlement where member_id = $1::uuid) as rights,
            (select count(*)::int from entitlement where member_id = $1::uuid and status = 'REVOKED') as revoked`,
    [memberId],
  );
  return row;
}

async function washWith(entitlementId: string, member: ClockMember) {
  const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: entitlementId }, { bearer: member.bearer });
  expect(issued.errors, JSON.stringify(issued.errors)).toBeUndefined();
  return t.graphql(
    `mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key) { id units entitlement { id remaining } } }`,
    { token: issued.data.issueEntitlementToken.token, key: randomUUID() },
    { bearer: sparkwash },
  );
}

describe('rewards bought with points', () => {
  it('lists the catalog with what the member can afford, and a coffee bought with points becomes a voucher right claimed at BrewBar', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'coffee');
    await purchase(member, 650);
    const before = await me(member);
    expect(before.rewards).toEqual([
      { code: 'COFFEE_REWARD', name: 'A BrewBar coffee', pointsCost: 300, affordable: true, pointsShort: 0, validityDays: 30 },
      { code: 'MILES_1000', name: '1,000 SkyMiles', pointsCost: 500, affordable: true, pointsShort: 0, validityDays: 30 },
      { code: 'CAR_WASH_REWARD', name: 'A SparkWash car wash', pointsCost: 800, affordable: false, pointsShort: 150, validityDays: 90 },
    ]);

    const bought = await redeemOk(member, 'COFFEE_REWARD');
    expect(bought.pointsBalance).toBe(350);
    expect(bought.redemption).toMatchObject({
      rewardCode: 'COFFEE_REWARD',
      rewardName: 'A BrewBar coffee',
      points: 300,
      status: 'REDEEMED',
      redeemedAt: MAR_15,
      canceledAt: null,
      // Usable for 30 days, today the first: until 14 Apr, 24:00 in Shanghai.
      entitlement: { status: 'ACTIVE', source: 'REWARD', sourceRef: bought.redemption.id, quota: 1, remaining: 1, validFrom: MAR_15, validUntil: '2027-04-13T16:00:00.000Z', benefit: { code: 'COFFEE' } },
    });
    const after = await me(member, 'zh-CN');
    expect(after.points.balance).toBe(350);
    expect(after.points.lots).toEqual([{ earned: 650, remaining: 350, expiresAt: firstOf(2027, 10) }]);
    expect(after.points.history[0]).toEqual({ change: -300, reason: '兑换：醇吧咖啡一杯' });
    expect(after.rewardRedemptions).toEqual([{ id: bought.redemption.id, rewardCode: 'COFFEE_REWARD', status: 'REDEEMED' }]);
    expect(after.entitlements).toContainEqual(expect.objectContaining({ id: bought.redemption.entitlement.id, source: 'REWARD', benefit: { code: 'COFFEE' } }));

    const claimed = await t.graphql(`mutation($id: ID!) { claimVoucher(entitlementId: $id) { code } }`, { id: bought.redemption.entitlement.id }, { bearer: member.bearer });
    expect(claimed.errors, JSON.stringify(claimed.errors)).toBeUndefined();
    expect(claimed.data.claimVoucher.code).toMatch(/\S+/);
    // Claimed: it cannot be given back any more, and nothing changes.
    const snapshot = await footprint(member.memberId);
    const refused = await t.graphql(CANCEL, { id: bought.redemption.id }, { bearer: member.bearer });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'REWARD_NOT_CANCELABLE', reason: 'USED', redemptionId: bought.redemption.id });
    expect(await footprint(member.memberId)).toEqual(snapshot);
  });

  it('gives an unused car wash back: the right revoked and gone from "what I have", the points back in their own lot with its own expiry', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'give-back');
    await purchase(member, 500);
    await advanceClock(t, admin, member.clockId, '2027-04-02T02:00:00.000Z');
    await purchase(member, 500);
    const bought = await redeemOk(member, 'CAR_WASH_REWARD');
    expect(bought.pointsBalance).toBe(200);
    // Oldest lot first: all of March's 500, then 300 of April's.
    expect((await me(member)).points.lots).toEqual([
      { earned: 500, remaining: 0, expiresAt: firstOf(2027, 10) },
      { earned: 500, remaining: 200, expiresAt: firstOf(2027, 11) },
    ].filter((l) => l.remaining > 0));

    const canceled = await t.graphql(CANCEL, { id: bought.redemption.id }, { bearer: member.bearer });
    expect(canceled.errors, JSON.stringify(canceled.errors)).toBeUndefined();
    expect(canceled.data.cancelRewardRedemption).toMatchObject({ pointsBalance: 1_000, redemption: { status: 'CANCELED', canceledAt: '2027-04-02T02:00:00.000Z', entitlement: { status: 'REVOKED' } } });
    const after = await me(member);
    expect(after.points.lots).toEqual([
      { earned: 500, remaining: 500, expiresAt: firstOf(2027, 10) },
      { earned: 500, remaining: 500, expiresAt: firstOf(2027, 11) },
    ]);
    expect(after.points.history[0]).toEqual({ change: 800, reason: 'Reward given back: A SparkWash car wash' });
    expect(after.entitlements.filter((e: { source: string }) => e.source === 'REWARD')).toEqual([]);
    // A repeat answers the same; the points come back once.
    const again = await t.graphql(CANCEL, { id: bought.redemption.id }, { bearer: member.bearer });
    expect(again.data.cancelRewardRedemption.pointsBalance).toBe(1_000);
    // The revoked right cannot be used at SparkWash.
    const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: bought.redemption.entitlement.id }, { bearer: member.bearer });
    expect(issued.errors?.[0]?.extensions?.code).toBe('ENTITLEMENT_INACTIVE');
  });

  it('lets SparkWash redeem a car wash bought with points once; used, it cannot be given back; unused past its 90 days, it expires', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'wash');
    await purchase(member, 1_700);
    const used = await redeemOk(member, 'CAR_WASH_REWARD');
    const washed = await washWith(used.redemption.entitlement.id, member);
    expect(washed.errors, JSON.stringify(washed.errors)).toBeUndefined();
    expect(washed.data.redeemEntitlement.entitlement.remaining).toBe(0);
    const second = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: used.redemption.entitlement.id }, { bearer: member.bearer });
    expect(second.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
    const refused = await t.graphql(CANCEL, { id: used.redemption.id }, { bearer: member.bearer });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'REWARD_NOT_CANCELABLE', reason: 'USED' });

    const unused = await redeemOk(member, 'CAR_WASH_REWARD');
    expect(unused.redemption.entitlement.validUntil).toBe('2027-06-12T16:00:00.000Z');
    await advanceClock(t, admin, member.clockId, '2027-06-12T15:59:59.000Z');
    expect((await me(member)).entitlements.map((e: { id: string }) => e.id)).toContain(unused.redemption.entitlement.id);
    await advanceClock(t, admin, member.clockId, '2027-06-12T16:00:00.000Z');
    const [row] = await t.db.query<{ status: string }>(`select status from entitlement where id = $1`, [unused.redemption.entitlement.id]);
    expect(row!.status).toBe('EXPIRED');
    expect((await me(member)).entitlements.map((e: { id: string }) => e.id)).not.toContain(unused.redemption.entitlement.id);
    const late = await t.graphql(CANCEL, { id: unused.redemption.id }, { bearer: member.bearer });
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'REWARD_NOT_CANCELABLE', reason: 'ENDED' });
  });

  it('refuses with a code and changes nothing: too few points, an unknown reward, an idempotency key reused for another reward, a bad key, another member\'s redemption', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'refusals');
    await purchase(member, 400);
    const first = await redeemOk(member, 'COFFEE_REWARD', 'tap-1');
    const snapshot = await footprint(member.memberId);

    const short = await redeem(member, 'CAR_WASH_REWARD');
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS', balance: 100, required: 800 });
    const unknown = await redeem(member, 'FREE_CAR');
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'REWARD_UNAVAILABLE', reason: 'UNKNOWN', rewardCode: 'FREE_CAR' });
    const conflict = await redeem(member, 'MILES_1000', 'tap-1');
    expect(conflict.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    const badKey = await redeem(member, 'COFFEE_REWARD', '');
    expect(badKey.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const other = await memberOnClock(t, admin, MAR_15, 'someone-else');
    const foreign = await t.graphql(CANCEL, { id: first.redemption.id }, { bearer: other.bearer });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // The same key and reward again is the first redemption, not a second one.
    const repeat = await redeemOk(member, 'COFFEE_REWARD', 'tap-1');
    expect(repeat.redemption.id).toBe(first.redemption.id);
    expect(await footprint(member.memberId)).toEqual(snapshot);
  });

  it('never spends below zero when twelve redemptions race for points that buy three', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'race');
    await purchase(member, 950);
    const results = await Promise.all(Array.from({ length: 12 }, () => redeem(member, 'COFFEE_REWARD')));
    const ok = results.filter((r) => r.data?.redeemReward);
    expect(ok).toHaveLength(3);
    for (const r of results.filter((r) => !r.data?.redeemReward)) expect(r.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_POINTS');
    const [row] = await t.db.query<{ balance: string; rights: number; redemptions: number }>(
      `select (select balance from points_account where id = 'member:' || $1::text) as balance,
              (select count(*)::int from entitlement where member_id = $1::uuid and source = 'REWARD') as rights,
              (select count(*)::int from reward_redemption where member_id = $1::uuid) as redemptions`,
      [member.memberId],
    );
    expect(row).toEqual({ balance: '50', rights: 3, redemptions: 3 });
  });
});

describe('benefits a tier unlocks', () => {
  interface TierRight {
    benefit: string;
    sourceRef: string;
    quota: number;
    used: number;
    validFrom: string;
    validUntil: string;
  }
  const carWashes = async (member: ClockMember): Promise<TierRight[]> =>
    (await me(member)).entitlements.filter((e: { source: string }) => e.source === 'TIER').map((e: { benefit: { code: string }; sourceRef: string; quota: number; used: number; validFrom: string; validUntil: string }) => ({
      benefit: e.benefit.code,
      sourceRef: e.sourceRef,
      quota: e.quota,
      used: e.used,
      validFrom: e.validFrom,
      validUntil: e.validUntil,
    }));

  it('grants Gold a car wash for the month at the upgrade, rolls a new one each month while Gold is held, and takes it back at the downgrade', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'gold-wash');
    await purchase(member, 1_000);
    expect(await carWashes(member)).toEqual([]);
    const upgrade = await purchase(member, 5_000);
    expect(upgrade.tierAfter).toBe('GOLD');
    expect(await carWashes(member)).toEqual([{ benefit: 'CAR_WASH', sourceRef: 'GOLD', quota: 1, used: 0, validFrom: firstOf(2027, 3), validUntil: firstOf(2027, 4) }]);

    await advanceClock(t, admin, member.clockId, firstOf(2027, 4));
    expect(await carWashes(member)).toEqual([{ benefit: 'CAR_WASH', sourceRef: 'GOLD', quota: 1, used: 0, validFrom: firstOf(2027, 4), validUntil: firstOf(2027, 5) }]);
    const [march] = await t.db.query<{ status: string }>(
      `select status from entitlement where member_id = $1 and source = 'TIER' and period_start = $2`,
      [member.memberId, firstOf(2027, 3)],
    );
    expect(march!.status).toBe('EXPIRED');

    // A year on, March 2027's spend leaves the window: on 1 Apr 2028 Gold drops one step to Silver, and the wash goes with it.
    await advanceClock(t, admin, member.clockId, firstOf(2028, 4));
    const [tier] = await t.db.query<{ tier_code: string }>(`select tier_code from member_tier where member_id = $1`, [member.memberId]);
    expect(tier!.tier_code).toBe('SILVER');
    expect(await carWashes(member)).toEqual([]);
    const [count] = await t.db.query<{ months: number }>(`select count(*)::int as months from entitlement where member_id = $1 and source = 'TIER'`, [member.memberId]);
    // March 2027 to March 2028: thirteen months of Gold, one wash each, none left live.
    expect(count!.months).toBe(13);
  });

  it('buy, use the wash, refund, buy again in the same month: the tier comes back, the used wash does not', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'farm');
    const big = await purchase(member, 6_000);
    expect(big.tierAfter).toBe('GOLD');
    const [wash] = (await me(member)).entitlements.filter((e: { source: string }) => e.source === 'TIER');
    const washed = await washWith(wash.id, member);
    expect(washed.errors, JSON.stringify(washed.errors)).toBeUndefined();

    const reverted = await refund(member, big.externalId, 6_000);
    expect(reverted.tierAfter).toBe('MEMBER');
    expect(await carWashes(member)).toEqual([]);
    const again = await purchase(member, 6_000);
    expect(again.tierAfter).toBe('GOLD');
    expect(await carWashes(member)).toEqual([]);

    // Unused, a refund and a new purchase give the same wash back, not a second one.
    const fresh = await memberOnClock(t, admin, MAR_15, 'no-farm-unused');
    const order = await purchase(fresh, 6_000);
    await refund(fresh, order.externalId, 6_000);
    await purchase(fresh, 6_000);
    const washes = await carWashes(fresh);
    expect(washes).toEqual([{ benefit: 'CAR_WASH', sourceRef: 'GOLD', quota: 1, used: 0, validFrom: MAR_15, validUntil: firstOf(2027, 4) }]);
  });

  it('unlocks Diamond\'s coffees on top of Gold\'s wash, each traceable to the tier that unlocks it', async () => {
    const member = await memberOnClock(t, admin, MAR_15, 'diamond');
    await purchase(member, 12_000);
    const rights = (await carWashes(member)).map((r) => `${r.benefit}×${r.quota} from ${r.sourceRef}`).sort();
    expect(rights).toEqual(['CAR_WASH×1 from GOLD', 'COFFEE×4 from DIAMOND']);
  });
});

describe("a paid bundle's benefits reserved for a tier or a segment", () => {
  const ENTITLEMENTS = `{ me { entitlements { id status source benefit { code } } } }`;
  const codes = async (bearer: string) => {
    const res = await t.graphql(ENTITLEMENTS, {}, { bearer });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    // What the member can use (a right taken back shows as REVOKED).
    return (res.data.me.entitlements as Array<{ source: string; status: string; benefit: { code: string } }>)
      .filter((e) => e.source === 'MEMBERSHIP' && e.status !== 'REVOKED')
      .map((e) => e.benefit.code)
      .sort();
  };
  const buy = async (memberId: string, yuan: number, externalId = randomUUID()) => {
    const res = await t.graphql(
      `mutation($input: ActivityInput!) { recordActivity(input: $input) { tierAfter } }`,
      { input: { memberId, channel: 'app', externalId, type: 'PURCHASE', amount: { amount: yuan * 100, currency: 'CNY' } } },
      { bearer: admin },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return { externalId, tier: res.data.recordActivity.tierAfter as string };
  };

  beforeAll(async () => {
    // Two benefits added to PLUS's bundle: a lounge pass for Gold and above, a fast lane for new members.
    for (const [code, eligibility] of [
      ['LOUNGE_PASS', { min_tier: 'GOLD', segments: null }],
      ['FAST_LANE', { min_tier: null, segments: '{NEW}' }],
    ] as const) {
      const [benefit] = await t.db.query<{ id: string }>(
        `insert into benefit (id, code, partner_id, kind, name, description) values (gen_random_uuid(), $1, 'sparkwash', 'QUOTA', $2, $2) returning id`,
        [code, JSON.stringify({ en: code, 'zh-CN': code })],
      );
      await t.db.query(
        `insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position, min_tier, segments)
         select gen_random_uuid(), v.id, $1, 2, 'MEMBERSHIP_TERM', 10, $2, $3::text[]
           from plan p join bundle_version v on v.bundle_id = p.bundle_id where p.code = 'PLUS' order by v.version desc limit 1`,
        [benefit!.id, eligibility.min_tier, eligibility.segments],
      );
    }
  });

  it("grants Gold's lounge pass when the member reaches Gold, takes it back when a refund reverts the upgrade, and does not re-grant it in the same period", async () => {
    const member = await t.subscribedMember();
    expect(await codes(member.bearer)).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
    const plans = await t.graphql(`{ plans { code benefits { benefit { code } minTier segments } } }`, {}, { bearer: member.bearer });
    expect(plans.data.plans.find((p: { code: string }) => p.code === 'PLUS').benefits).toEqual(
      expect.arrayContaining([{ benefit: { code: 'LOUNGE_PASS' }, minTier: 'GOLD', segments: null }, { benefit: { code: 'FAST_LANE' }, minTier: null, segments: ['NEW'] }]),
    );

    const order = await buy(member.memberId, 6_000);
    expect(order.tier).toBe('GOLD');
    expect(await codes(member.bearer)).toEqual(['CAR_WASH', 'COFFEE', 'LOUNGE_PASS', 'SKYMILES_BONUS', 'STREAMING_VIP']);

    const reverted = await t.graphql(
      `mutation($input: ActivityInput!) { recordActivity(input: $input) { tierAfter } }`,
      { input: { memberId: member.memberId, channel: 'app', externalId: randomUUID(), type: 'REFUND', refundOf: order.externalId, amount: { amount: 600_000, currency: 'CNY' } } },
      { bearer: admin },
    );
    expect(reverted.data.recordActivity.tierAfter).toBe('MEMBER');
    expect(await codes(member.bearer)).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
    const [lounge] = await t.db.query<{ status: string }>(
      `select e.status from entitlement e join benefit b on b.id = e.benefit_id where e.member_id = $1 and b.code = 'LOUNGE_PASS'`,
      [member.memberId],
    );
    expect(lounge!.status).toBe('REVOKED');
    // Gold again in the same membership year: the pass lost stays lost until the next period.
    expect((await buy(member.memberId, 6_000)).tier).toBe('GOLD');
    expect(await codes(member.bearer)).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
  });

  it('grants the fast lane only to a member the segments put in NEW when the period starts', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const me = await t.graphql(`{ me { id } }`, {}, { bearer });
    const computed = await t.graphql(`mutation { recomputeSegments { membersScored } }`, {}, { bearer: admin });
    expect(computed.errors, JSON.stringify(computed.errors)).toBeUndefined();
    const [segment] = await t.db.query<{ segment_code: string }>(`select segment_code from member_segment where member_id = $1 and kind = 'LIFECYCLE'`, [me.data.me.id]);
    expect(segment!.segment_code).toBe('NEW');
    const sub = await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "fast") { id } }`, {}, { bearer });
    expect(sub.errors, JSON.stringify(sub.errors)).toBeUndefined();
    expect(await codes(bearer)).toEqual(['CAR_WASH', 'COFFEE', 'FAST_LANE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
    // A member no computation has put in a segment yet does not get it.
    const other = await t.subscribedMember();
    expect(await codes(other.bearer)).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
  });
});
