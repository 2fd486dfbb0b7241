// Member-only campaigns and member days, on test clocks: the demo's "Gold and above: double
// points on the 18th" (earned on top of the tier's multiplier, a grant per purchase naming the
// campaign, announced as a MEMBER_DAY moment at 00:00 to the members it is for), caps per member
// and budgets that are never overspent, refunds taking campaign points back, and PMs' bad input.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock, type ClockMember } from './support/clocks.js';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('campaign-admin');
});
afterAll(async () => {
  await t?.close();
});

/** 10:00 in Shanghai on a day of 2027, as UTC. */
const day = (month: number, d: number, hour = 10) => new Date(Date.UTC(2027, month - 1, d, hour - 8)).toISOString();

async function record(member: ClockMember, input: Record<string, unknown>) {
  const res = await t.graphql(
    `mutation($input: ActivityInput!) { recordActivity(input: $input) { id points tierAfter } }`,
    { input: { memberId: member.memberId, channel: 'app', externalId: randomUUID(), ...input } },
    { bearer: admin },
  );
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.recordActivity as { id: string; points: number; tierAfter: string | null };
}
const purchase = (member: ClockMember, yuan: number, extra: Record<string, unknown> = {}) => record(member, { type: 'PURCHASE', amount: { amount: yuan * 100, currency: 'CNY' }, ...extra });

async function grants(memberId: string) {
  return t.db.query<{ campaign_code: string; points: number }>(`select campaign_code, points from campaign_grant where member_id = $1 order by created_at`, [memberId]);
}

describe('member days and campaigns', () => {
  it("the demo member day: Gold and above earn double on the 18th, on top of the tier's multiplier, and are told at 00:00", async () => {
    const gold = await memberOnClock(t, admin, day(1, 10), 'member day gold');
    const silver = await memberOnClock(t, admin, day(1, 10), 'member day silver');
    expect((await purchase(gold, 6_000)).tierAfter).toBe('GOLD');
    expect((await purchase(silver, 2_000)).tierAfter).toBe('SILVER');

    const offers = await t.graphql(`{ me { campaigns { code offer nextAt } } }`, {}, { bearer: gold.bearer });
    expect(offers.data.me.campaigns).toEqual([{ code: 'MEMBER_DAY_18', offer: 'Gold and above: double points on all purchases today', nextAt: '2027-01-17T16:00:00.000Z' }]);
    expect((await t.graphql(`{ me { campaigns { code } } }`, {}, { bearer: silver.bearer })).data.me.campaigns).toEqual([]);

    // The 17th: the tier's ×1.5 only.
    await advanceClock(t, admin, gold.clockId, day(1, 17));
    expect((await purchase(gold, 100)).points).toBe(150);
    // 00:00 on the 18th: the member day is announced to GOLD, not to SILVER (on its own clock).
    await advanceClock(t, admin, gold.clockId, day(1, 18, 0));
    await advanceClock(t, admin, silver.clockId, day(1, 18, 0));
    const moments = await t.db.query<{ member_id: string; data: Record<string, unknown> }>(`select member_id, data from member_moment where kind = 'MEMBER_DAY' and member_id in ($1, $2)`, [gold.memberId, silver.memberId]);
    expect(moments).toEqual([{ member_id: gold.memberId, data: { date: '2027-01-17T16:00:00.000Z', offer: { en: 'Gold and above: double points on all purchases today', 'zh-CN': '金卡及以上会员今日消费双倍积分' } } }]);

    await advanceClock(t, admin, gold.clockId, day(1, 18));
    await advanceClock(t, admin, silver.clockId, day(1, 18));
    // ×1.5 for GOLD, doubled by the member day: 150 + 150.
    expect((await purchase(gold, 100)).points).toBe(300);
    expect((await purchase(silver, 100)).points).toBe(120);
    expect(await grants(gold.memberId)).toEqual([{ campaign_code: 'MEMBER_DAY_18', points: 150 }]);
    expect(await grants(silver.memberId)).toEqual([]);
    // The 19th: over.
    await advanceClock(t, admin, gold.clockId, day(1, 19));
    expect((await purchase(gold, 100)).points).toBe(150);
    // February's member day is announced too, once.
    await advanceClock(t, admin, gold.clockId, day(2, 18));
    const [{ n }] = (await t.db.query<{ n: string }>(`select count(*) as n from member_moment where kind = 'MEMBER_DAY' and member_id = $1`, [gold.memberId])) as [{ n: string }];
    expect(n).toBe('2');
  });

  it('a bonus campaign keeps to its cap per member and never spends more than its budget; refunds take campaign points back', async () => {
    const created = await t.graphql(
      `mutation($input: CampaignInput!) { createCampaign(input: $input) { code kind minTier budgetPoints perMemberCap pointsGranted } }`,
      {
        input: {
          code: 'SPRING_BONUS',
          name: { en: 'Spring bonus', zhCN: '春季奖励' },
          offer: { en: '+100 points on orders of ¥100 or more', zhCN: '满100元加赠100积分' },
          kind: 'BONUS_POINTS',
          startsAt: '2027-03-01T00:00:00+08:00',
          endsAt: '2027-04-01T00:00:00+08:00',
          bonusPoints: 100,
          minSpend: 10_000,
          budgetPoints: 450,
          perMemberCap: 200,
        },
      },
      { bearer: admin },
    );
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    expect(created.data.createCampaign).toEqual({ code: 'SPRING_BONUS', kind: 'BONUS_POINTS', minTier: 'MEMBER', budgetPoints: 450, perMemberCap: 200, pointsGranted: 0 });

    const members = await Promise.all([1, 2, 3].map((i) => memberOnClock(t, admin, day(3, 5), `bonus ${i}`)));
    const [a, b, c] = members as [ClockMember, ClockMember, ClockMember];
    expect((await purchase(a, 99)).points).toBe(99); // under minSpend
    expect((await purchase(a, 100, { externalId: 'a-1' })).points).toBe(200);
    expect((await purchase(a, 100)).points).toBe(200);
    expect((await purchase(a, 100)).points).toBe(100); // a's cap of 200 reached
    // b and c race for the 250 left of the budget: 4 purchases each at once, never more than 450 in all.
    await Promise.all([b, c].flatMap((m) => Array.from({ length: 4 }, () => purchase(m, 150))));
    const [campaign] = await t.db.query<{ points_granted: number; granted: string }>(
      `select points_granted, (select sum(points) from campaign_grant where campaign_code = 'SPRING_BONUS') as granted from campaign where code = 'SPRING_BONUS'`,
    );
    expect(campaign).toEqual({ points_granted: 450, granted: '450' });

    // Half of a-1 refunded: half of its campaign points come back out with half of its own.
    const back = await record(a, { type: 'REFUND', refundOf: 'a-1', amount: { amount: 5_000, currency: 'CNY' } });
    expect(back.points).toBe(-(50 + 50));
  });

  it('refuses a bad campaign with every problem listed, and a code used before', async () => {
    const bad = await t.graphql(
      `mutation($input: CampaignInput!) { createCampaign(input: $input) { code } }`,
      {
        input: {
          code: 'x',
          name: { en: 'X', zhCN: '' },
          offer: { en: 'X', zhCN: 'X' },
          kind: 'POINTS_MULTIPLIER',
          startsAt: '2027-03-01T00:00:00Z',
          endsAt: '2027-02-01T00:00:00Z',
          monthlyDay: 31,
          minTier: 'PLATINUM',
          segments: ['NO_SUCH_SEGMENT'],
          multiplierPermille: 900,
        },
      },
      { bearer: admin },
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors![0]!.extensions!.problems as Array<{ field: string }>).map((p) => p.field).sort()).toEqual(['code', 'endsAt', 'minTier', 'monthlyDay', 'multiplierPermille', 'name', 'segments']);
    const again = await t.graphql(
      `mutation($input: CampaignInput!) { createCampaign(input: $input) { code } }`,
      { input: { code: 'MEMBER_DAY_18', name: { en: 'X', zhCN: 'X' }, offer: { en: 'X', zhCN: 'X' }, kind: 'BONUS_POINTS', startsAt: '2027-03-01T00:00:00Z', endsAt: '2027-04-01T00:00:00Z', bonusPoints: 1 } },
      { bearer: admin },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const asMember = await t.graphql(`{ campaigns { code } }`, {}, { bearer: await t.memberToken(`m-${randomUUID()}`) });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
