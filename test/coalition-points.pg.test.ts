// The coalition at partners' tills: a member shows a membership card (a signed, short-lived
// token per partner), the partner reports a purchase on it and burns points for a reward at
// its till, refunds one of its orders, and sees all of it in its settlement; another partner's
// card, a forged card and an expired one are refused. Real PostgreSQL, through the gateway.
import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MembershipCardTokens } from '../src/modules/token/index.js';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock, type ClockMember } from './support/clocks.js';

let t: TestApp;
let admin: string;
const keys: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('coalition-admin');
  for (const partner of ['brewbar', 'sparkwash']) keys[partner] = await t.partnerKey(partner);
});
afterAll(async () => {
  await t?.close();
});

const START = '2027-03-10T02:00:00.000Z';

async function card(member: ClockMember, partnerId: string): Promise<string> {
  const res = await t.graphql(`mutation($p: String!) { issueMembershipCard(partnerId: $p) { token partnerId expiresAt } }`, { p: partnerId }, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.issueMembershipCard.token;
}

const EARN = `mutation($card: String!, $order: PartnerOrderInput!) { earnPoints(card: $card, order: $order) { member pointsBalance activity { id type channel externalId points amount { amount } } } }`;
const BURN = `mutation($card: String!, $points: Int!, $key: String!) { burnPoints(card: $card, points: $points, idempotencyKey: $key, description: "a free latte") { id member points pointsBalance at } }`;
const SETTLEMENT = `query($from: DateTimeISO!, $to: DateTimeISO!) { partnerSettlement(from: $from, to: $to) { points { issued burned issuePricePer1000 { amount currency } burnPricePer1000 { amount } issuedAmount { amount currency } burnedAmount { amount currency } } } }`;

describe('coalition earn and burn at partners', () => {
  it('earns on a card at the till, burns at the till, refunds an order, and the partner sees all of it in settlement', async () => {
    const member = await memberOnClock(t, admin, START, 'coalition');
    const brewbarCard = await card(member, 'brewbar');
    const header = decodeProtectedHeader(brewbarCard);
    const claims = decodeJwt(brewbarCard);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'membership-card+jwt' });
    expect(claims.aud).toBe('brewbar');
    expect(claims.sub).not.toBe(member.memberId);

    const check = await t.graphql(`query($c: String!) { checkMembershipCard(card: $c) { member tier pointsBalance } }`, { c: brewbarCard }, { bearer: keys.brewbar });
    expect(check.data.checkMembershipCard).toEqual({ member: claims.sub, tier: 'MEMBER', pointsBalance: 0 });

    const earned = await t.graphql(EARN, { card: brewbarCard, order: { externalId: 'bb-1001', amount: { amount: 168_00, currency: 'CNY' } } }, { bearer: keys.brewbar });
    expect(earned.errors, JSON.stringify(earned.errors)).toBeUndefined();
    expect(earned.data.earnPoints).toMatchObject({ member: claims.sub, pointsBalance: 168, activity: { type: 'PURCHASE', channel: 'partner.brewbar', externalId: 'bb-1001', points: 168 } });
    // The same card again (not single-use), and the same order again (one purchase).
    const second = await t.graphql(EARN, { card: brewbarCard, order: { externalId: 'bb-1002', amount: { amount: 900_00, currency: 'CNY' } } }, { bearer: keys.brewbar });
    expect(second.data.earnPoints.pointsBalance).toBe(1_068);
    const replay = await t.graphql(EARN, { card: brewbarCard, order: { externalId: 'bb-1002', amount: { amount: 900_00, currency: 'CNY' } } }, { bearer: keys.brewbar });
    expect(replay.data.earnPoints.activity.id).toBe(second.data.earnPoints.activity.id);
    expect(replay.data.earnPoints.pointsBalance).toBe(1_068);

    const burn = await t.graphql(BURN, { card: brewbarCard, points: 300, key: 'till-7-0001' }, { bearer: keys.brewbar });
    expect(burn.errors, JSON.stringify(burn.errors)).toBeUndefined();
    expect(burn.data.burnPoints).toMatchObject({ member: claims.sub, points: 300, pointsBalance: 768 });
    const burnAgain = await t.graphql(BURN, { card: brewbarCard, points: 300, key: 'till-7-0001' }, { bearer: keys.brewbar });
    expect(burnAgain.data.burnPoints).toMatchObject({ id: burn.data.burnPoints.id, pointsBalance: 768 });
    const tooMuch = await t.graphql(BURN, { card: brewbarCard, points: 5_000, key: 'till-7-0002' }, { bearer: keys.brewbar });
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'INSUFFICIENT_POINTS', balance: 768, required: 5_000 });

    // A refund of half of the first order: its points come back out, to BrewBar (which paid for them).
    const refund = await t.graphql(
      `mutation($r: PartnerRefundInput!) { refundPartnerOrder(refund: $r) { member pointsBalance activity { type points refundOf } } }`,
      { r: { externalId: 'bb-r-1', refundOf: 'bb-1001', amount: { amount: 84_00, currency: 'CNY' } } },
      { bearer: keys.brewbar },
    );
    expect(refund.errors, JSON.stringify(refund.errors)).toBeUndefined();
    expect(refund.data.refundPartnerOrder).toMatchObject({ member: claims.sub, pointsBalance: 684, activity: { type: 'REFUND', points: -84, refundOf: 'bb-1001' } });

    // The member can see why their points moved.
    const history = await t.graphql(`{ me { points { history(first: 10) { kind change reason } } } }`, {}, { bearer: member.bearer });
    expect(history.data.me.points.history).toEqual([
      { kind: 'REVERSAL', change: -84, reason: 'Taken back by a refund · partner.brewbar bb-r-1' },
      { kind: 'SPEND', change: -300, reason: 'Spent at brewbar: a free latte' },
      { kind: 'EARN', change: 900, reason: 'Purchase · partner.brewbar bb-1002' },
      { kind: 'EARN', change: 168, reason: 'Purchase · partner.brewbar bb-1001' },
    ]);

    // The program's liability names who issued what members hold: this member's 684 all came from BrewBar's till.
    const liability = await t.graphql(`{ pointsLiability { outstanding debts byIssuer { issuer points } byExpiry { month points } } }`, {}, { bearer: admin });
    expect(liability.errors, JSON.stringify(liability.errors)).toBeUndefined();
    expect(liability.data.pointsLiability.byIssuer).toContainEqual({ issuer: 'partner-issued:brewbar', points: 684 });

    // SparkWash sees none of it; BrewBar sees its net issue and its burn, priced.
    const period = { from: '2027-03-01T00:00:00.000Z', to: '2027-04-01T00:00:00.000Z' };
    const brewbar = await t.graphql(SETTLEMENT, period, { bearer: keys.brewbar });
    expect(brewbar.errors, JSON.stringify(brewbar.errors)).toBeUndefined();
    expect(brewbar.data.partnerSettlement.points).toEqual({
      issued: 168 + 900 - 84,
      burned: 300,
      issuePricePer1000: { amount: 600, currency: 'CNY' },
      burnPricePer1000: { amount: 500 },
      issuedAmount: { amount: Math.round((984 * 600) / 1000), currency: 'CNY' },
      burnedAmount: { amount: 150, currency: 'CNY' },
    });
    const sparkwash = await t.graphql(SETTLEMENT, period, { bearer: keys.sparkwash });
    expect(sparkwash.data.partnerSettlement.points).toMatchObject({ issued: 0, burned: 0 });
    // The ledger agrees: what BrewBar's accounts hold is what the settlement says.
    const [accounts] = await t.db.query<{ issued: string; burned: string }>(
      `select (select -sum(case when debit_account_id = 'partner-issued:brewbar' then amount else -amount end) from points_transfer where 'partner-issued:brewbar' in (debit_account_id, credit_account_id)) as issued,
              (select sum(amount) from points_transfer where credit_account_id = 'partner-redeemed:brewbar') as burned`,
    );
    expect(accounts).toEqual({ issued: String(-984), burned: '300' });
  });

  it("refuses another partner's card, a forged card, an expired card and a member's own call, changing nothing", async () => {
    const member = await memberOnClock(t, admin, START, 'coalition refusals');
    const sparkwashCard = await card(member, 'sparkwash');
    const order = { externalId: `o-${randomUUID()}`, amount: { amount: 100_00, currency: 'CNY' } };

    const other = await t.graphql(EARN, { card: sparkwashCard, order }, { bearer: keys.brewbar });
    expect(other.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');
    expect(other.errors?.[0]?.message).toContain('another partner');

    // Same claims, signed with a key that is not ours.
    const { privateKey } = await generateKeyPair('EdDSA');
    const claims = decodeJwt(sparkwashCard);
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'membership-card+jwt', kid: decodeProtectedHeader(sparkwashCard).kid! }).sign(privateKey);
    const forgedRes = await t.graphql(EARN, { card: forged, order }, { bearer: keys.sparkwash });
    expect(forgedRes.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');
    // An entitlement-token typ is not a card.
    const retyped = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'entitlement+jwt', kid: 'x' }).sign(privateKey);
    expect((await t.graphql(BURN, { card: retyped, points: 1, key: 'k' }, { bearer: keys.sparkwash })).errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');

    const asMember = await t.graphql(EARN, { card: sparkwashCard, order }, { bearer: member.bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const ownChannel = await t.graphql(
      `mutation($i: ActivityInput!) { recordActivity(input: $i) { id } }`,
      { i: { memberId: member.memberId, type: 'PURCHASE', channel: 'partner.sparkwash', externalId: 'x-1', amount: { amount: 100, currency: 'CNY' } } },
      { bearer: admin },
    );
    expect(ownChannel.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    // Cards live CARD_TOKEN_TTL_SECONDS of real time (partners check them with their own clocks):
    // a genuine card issued 10 minutes ago has expired.
    const past = new Date(Date.now() - 600_000);
    const stale = await new MembershipCardTokens({ issuer: claims.iss!, keyStore: t.app.keyStore, ttlSeconds: 300, now: () => past }).sign('sparkwash', claims.sub!);
    await t.db.query(`insert into membership_card (jti, member_id, partner_id, kid, issued_at, expires_at) values ($1, $2, 'sparkwash', $3, $4, $5)`, [
      stale.claims.jti,
      member.memberId,
      stale.kid,
      past,
      new Date(stale.claims.exp * 1000),
    ]);
    const expired = await t.graphql(EARN, { card: stale.token, order }, { bearer: keys.sparkwash });
    expect(expired.errors?.[0]?.extensions?.code).toBe('TOKEN_EXPIRED');

    const [counts] = await t.db.query<{ n: string }>(`select count(*) as n from activity where member_id = $1`, [member.memberId]);
    expect(counts!.n).toBe('0');
    await advanceClock(t, admin, member.clockId, '2027-03-11T02:00:00.000Z');
  });
});
