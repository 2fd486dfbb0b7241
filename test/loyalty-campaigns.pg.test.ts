// Member-only campaigns and member days, on test clocks: the demo's "Gold and above: double
// points on the 18th" (earned on top of the tier's multiplier, a grant per purchase naming the
// campaign, announced as a MEMBER_DAY moment at 00:00 to the members it is for), caps per member
// and budgets that are never overspent, refunds taking campaign points back, and PMs' bad input.
// Campaigns that grant extra rights (EXTRA_BENEFIT): a right per member and occurrence, shown in
// me.entitlements as the campaign's, ended with its day, within a budget kept by concurrent
// grants, granted once by two runners at once.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOrm } from '../src/platform/db/orm.js';
import { createDueWorkRunner } from '../src/platform/due-work.js';
import { createLogger } from '../src/platform/logger.js';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock, membersOnClock, type ClockMember } from './support/clocks.js';

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

/** `hour`:00 in Shanghai on a day, as UTC ISO. */
const on = (year: number, month: number, d: number, hour = 10) => new Date(Date.UTC(year, month - 1, d, hour - 8)).toISOString();

const CREATE = `mutation($input: CampaignInput!) {
  createCampaign(input: $input) { code kind minTier monthlyDay benefitCode benefitQuota budgetGrants rightsGranted grants membersReached }
}`;

async function createCampaign(input: Record<string, unknown>) {
  const res = await t.graphql(CREATE, { input: { name: { en: 'A gift', zhCN: '礼遇' }, kind: 'EXTRA_BENEFIT', ...input } }, { bearer: admin });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.createCampaign;
}

async function figures(code: string) {
  const res = await t.graphql(`{ campaigns { code budgetGrants rightsGranted pointsGranted grants membersReached } }`, {}, { bearer: admin });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.campaigns.find((c: { code: string }) => c.code === code);
}

interface RightView {
  id: string;
  status: string;
  source: string;
  sourceRef: string | null;
  quota: number | null;
  remaining: number | null;
  validFrom: string;
  validUntil: string;
  benefit: { code: string };
}

/** What a campaign granted the member, as they see it in me.entitlements. */
async function campaignRights(member: ClockMember): Promise<RightView[]> {
  const res = await t.graphql(`{ me { entitlements { id status source sourceRef quota remaining validFrom validUntil benefit { code } } } }`, {}, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return (res.data.me.entitlements as RightView[]).filter((e) => e.source === 'CAMPAIGN');
}

/** Rights a campaign granted, per member, straight from the tables. */
async function rightsOf(code: string) {
  return t.db.query<{ member_id: string; n: number }>(
    `select member_id, count(*)::int as n from entitlement where source = 'CAMPAIGN' and source_ref = $1 group by member_id order by member_id`,
    [code],
  );
}

describe('campaigns that grant extra entitlements', () => {
  it("gives Gold members a right on the member day, shown in me.entitlements as the campaign's; none to the base tier; gone at the day's end; a new one next month", async () => {
    const created = await createCampaign({
      code: 'WASH_DAY_5',
      offer: { en: 'Gold and above: a car wash on the 5th', zhCN: '金卡及以上会员5日赠洗车' },
      startsAt: '2027-05-01T00:00:00+08:00',
      endsAt: '2027-07-01T00:00:00+08:00',
      monthlyDay: 5,
      minTier: 'GOLD',
      benefitCode: 'CAR_WASH',
      benefitQuota: 2,
    });
    expect(created).toEqual({ code: 'WASH_DAY_5', kind: 'EXTRA_BENEFIT', minTier: 'GOLD', monthlyDay: 5, benefitCode: 'CAR_WASH', benefitQuota: 2, budgetGrants: null, rightsGranted: 0, grants: 0, membersReached: 0 });

    const gold = await memberOnClock(t, admin, on(2027, 5, 1), 'wash day gold');
    const base = await memberOnClock(t, admin, on(2027, 5, 1), 'wash day base');
    expect((await purchase(gold, 6_000)).tierAfter).toBe('GOLD');
    await purchase(base, 10);
    const [tier] = await t.db.query<{ tier_code: string }>(`select tier_code from member_tier where member_id = $1`, [base.memberId]);
    expect(tier).toEqual({ tier_code: 'MEMBER' });

    // 00:00 on the 5th: the Gold member has two car washes for the day, the base-tier member nothing.
    await advanceClock(t, admin, gold.clockId, on(2027, 5, 5, 0));
    await advanceClock(t, admin, base.clockId, on(2027, 5, 5, 0));
    const may = await campaignRights(gold);
    expect(may).toEqual([
      {
        id: expect.any(String),
        status: 'ACTIVE',
        source: 'CAMPAIGN',
        sourceRef: 'WASH_DAY_5',
        quota: 2,
        remaining: 2,
        validFrom: '2027-05-04T16:00:00.000Z',
        validUntil: '2027-05-05T16:00:00.000Z',
        benefit: { code: 'CAR_WASH' },
      },
    ]);
    expect(await campaignRights(base)).toEqual([]);
    // Traced to the campaign, and told with the offer saying what was granted.
    expect(await t.db.query(`select campaign_code, entitlement_id from campaign_benefit_grant where member_id = any($1::uuid[])`, [[gold.memberId, base.memberId]])).toEqual([
      { campaign_code: 'WASH_DAY_5', entitlement_id: may[0]!.id },
    ]);
    const told = await t.db.query<{ member_id: string; data: unknown }>(
      `select member_id, data from member_moment where kind = 'MEMBER_DAY' and dedupe_key like 'MEMBER_DAY:WASH_DAY_5:%' and member_id = any($1::uuid[])`,
      [[gold.memberId, base.memberId]],
    );
    expect(told).toEqual([
      {
        member_id: gold.memberId,
        data: {
          date: '2027-05-04T16:00:00.000Z',
          offer: { en: 'Car wash ×2 for you today: Gold and above: a car wash on the 5th', 'zh-CN': '今日赠您精致洗车 ×2：金卡及以上会员5日赠洗车' },
          benefitCode: 'CAR_WASH',
        },
      },
    ]);
    expect(await figures('WASH_DAY_5')).toEqual({ code: 'WASH_DAY_5', budgetGrants: null, rightsGranted: 1, pointsGranted: 0, grants: 1, membersReached: 1 });

    // 00:00 on the 6th: the day is over, and so is its right.
    await advanceClock(t, admin, gold.clockId, on(2027, 5, 6, 0));
    expect(await campaignRights(gold)).toEqual([]);
    expect(await t.db.query(`select status from entitlement where id = $1`, [may[0]!.id])).toEqual([{ status: 'EXPIRED' }]);

    // June's member day grants a new right, for that day.
    await advanceClock(t, admin, gold.clockId, on(2027, 6, 5));
    const june = await campaignRights(gold);
    expect(june).toEqual([expect.objectContaining({ status: 'ACTIVE', sourceRef: 'WASH_DAY_5', remaining: 2, validFrom: '2027-06-04T16:00:00.000Z', validUntil: '2027-06-05T16:00:00.000Z' })]);
    expect(june[0]!.id).not.toBe(may[0]!.id);
    expect(await rightsOf('WASH_DAY_5')).toEqual([{ member_id: gold.memberId, n: 2 }]);
    expect(await figures('WASH_DAY_5')).toMatchObject({ rightsGranted: 2, grants: 2, membersReached: 1 });
  });

  it('grants nothing to an erased member, nor tells them', async () => {
    await createCampaign({
      code: 'WASH_DAY_3',
      offer: { en: 'Gold and above: a car wash on the 3rd', zhCN: '金卡及以上会员3日赠洗车' },
      startsAt: '2027-08-01T00:00:00+08:00',
      endsAt: '2027-09-01T00:00:00+08:00',
      monthlyDay: 3,
      minTier: 'GOLD',
      benefitCode: 'CAR_WASH',
    });
    const { clockId, members } = await membersOnClock(t, admin, on(2027, 8, 1), 2, 'wash day erased');
    const [kept, erased] = members as [ClockMember, ClockMember];
    for (const member of members) expect((await purchase(member, 6_000)).tierAfter).toBe('GOLD');
    const erasure = await t.graphql(`mutation($id: ID!) { eraseMember(memberId: $id, reason: "ticket 42") { alreadyErased } }`, { id: erased.memberId }, { bearer: admin });
    expect(erasure.errors, JSON.stringify(erasure.errors)).toBeUndefined();
    await advanceClock(t, admin, clockId, on(2027, 8, 3));
    expect(await rightsOf('WASH_DAY_3')).toEqual([{ member_id: kept.memberId, n: 1 }]);
    const told = await t.db.query<{ member_id: string }>(`select member_id from member_moment where dedupe_key like 'MEMBER_DAY:WASH_DAY_3:%'`);
    expect(told).toEqual([{ member_id: kept.memberId }]);
  });

  it('grants a right for the whole window when there is no member day, at its start', async () => {
    await createCampaign({
      code: 'SPRING_COFFEES',
      offer: { en: 'Three coffees on us this spring', zhCN: '春季赠三杯咖啡' },
      startsAt: '2030-03-01T00:00:00+08:00',
      endsAt: '2030-03-15T00:00:00+08:00',
      benefitCode: 'COFFEE',
      benefitQuota: 3,
    });
    const member = await memberOnClock(t, admin, on(2030, 2, 20), 'spring coffees');
    await purchase(member, 10);
    await advanceClock(t, admin, member.clockId, on(2030, 2, 28));
    expect(await campaignRights(member)).toEqual([]);
    await advanceClock(t, admin, member.clockId, on(2030, 3, 1));
    expect(await campaignRights(member)).toEqual([
      expect.objectContaining({ status: 'ACTIVE', sourceRef: 'SPRING_COFFEES', benefit: { code: 'COFFEE' }, quota: 3, remaining: 3, validFrom: '2030-02-28T16:00:00.000Z', validUntil: '2030-03-14T16:00:00.000Z' }),
    ]);
    await advanceClock(t, admin, member.clockId, on(2030, 3, 16));
    expect(await campaignRights(member)).toEqual([]);
    expect(await t.db.query(`select status from entitlement where member_id = $1 and source_ref = 'SPRING_COFFEES'`, [member.memberId])).toEqual([{ status: 'EXPIRED' }]);
    // Not a member day: nothing to announce.
    expect(await t.db.query(`select 1 from member_moment where member_id = $1 and kind = 'MEMBER_DAY'`, [member.memberId])).toEqual([]);
  });

  it('grants no more than its budget: 2 rights, then the other members get nothing, without an error', async () => {
    await createCampaign({
      code: 'COFFEE_DAY_7',
      offer: { en: 'A coffee on the 7th', zhCN: '7日赠咖啡' },
      startsAt: '2027-05-01T00:00:00+08:00',
      endsAt: '2027-07-01T00:00:00+08:00',
      monthlyDay: 7,
      benefitCode: 'COFFEE',
      budgetGrants: 2,
    });
    const { clockId, members } = await membersOnClock(t, admin, on(2027, 5, 1), 3, 'coffee day budget');
    for (const member of members) await purchase(member, 10);
    await advanceClock(t, admin, clockId, on(2027, 5, 7));
    await advanceClock(t, admin, clockId, on(2027, 6, 7));

    // In member-id order while the budget lasts: the first two, once, in May; nobody in June.
    const ids = members.map((m) => m.memberId).sort();
    expect(await rightsOf('COFFEE_DAY_7')).toEqual(ids.slice(0, 2).map((member_id) => ({ member_id, n: 1 })));
    expect(await figures('COFFEE_DAY_7')).toMatchObject({ budgetGrants: 2, rightsGranted: 2, grants: 2, membersReached: 2 });
    const announced = await t.db.query<{ occurrence: Date; members: number }>(`select occurrence, members from campaign_announcement where campaign_code = 'COFFEE_DAY_7' and clock_key = $1 order by occurrence`, [clockId]);
    expect(announced.map((a) => [new Date(a.occurrence).toISOString(), a.members])).toEqual([
      ['2027-05-06T16:00:00.000Z', 2],
      ['2027-06-06T16:00:00.000Z', 0],
    ]);
    // Only those granted are told.
    const [{ n }] = (await t.db.query<{ n: number }>(`select count(*)::int as n from member_moment where dedupe_key like 'MEMBER_DAY:COFFEE_DAY_7:%'`)) as [{ n: number }];
    expect(n).toBe(2);
  });

  /**
   * The budget is spent under the campaign row's lock. Checked against the bug it names: the two
   * clocks' grants held at the same point (a test transaction holding the campaign row), then let
   * go together; with the lock removed both spent the same budget and the second failed the
   * campaign_grants_budget_kept CHECK.
   */
  it("keeps the budget when two clocks' member days grant at once", async () => {
    await createCampaign({
      code: 'COFFEE_DAY_11',
      offer: { en: 'Coffees on the 11th', zhCN: '11日赠咖啡' },
      startsAt: '2029-01-01T00:00:00+08:00',
      endsAt: '2029-12-01T00:00:00+08:00',
      monthlyDay: 11,
      benefitCode: 'COFFEE',
      benefitQuota: 3,
      budgetGrants: 15,
    });
    const clocks = [await membersOnClock(t, admin, on(2029, 1, 2), 10, 'budget a'), await membersOnClock(t, admin, on(2029, 1, 2), 10, 'budget b')];
    for (const { members } of clocks) for (const member of members) await purchase(member, 10);
    for (const { clockId } of clocks) await advanceClock(t, admin, clockId, on(2029, 1, 10, 23));

    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select code from campaign where code = 'COFFEE_DAY_11' for no key update`);
      const advancing = Promise.all(clocks.map(({ clockId }) => advanceClock(t, admin, clockId, on(2029, 1, 11, 0))));
      // Both clocks' grants wait on the campaign row.
      await waitFor(async () => {
        const [{ n }] = (await t.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%campaign%' and datname = current_database()`,
        )) as [{ n: number }];
        return n === 2;
      }, 'both grants waiting on the campaign row');
      await holder.query('commit');
      await advancing;
    } finally {
      await holder.end();
    }
    const rights = await rightsOf('COFFEE_DAY_11');
    expect(rights.filter((r) => r.n !== 1)).toEqual([]);
    expect(rights).toHaveLength(15);
    expect(await figures('COFFEE_DAY_11')).toMatchObject({ budgetGrants: 15, rightsGranted: 15, grants: 15, membersReached: 15 });
  });

  it('refuses a bad benefit campaign with every problem listed, and writes nothing', async () => {
    const create = (input: Record<string, unknown>) =>
      t.graphql(`mutation($input: CampaignInput!) { createCampaign(input: $input) { code } }`, {
        input: { name: { en: 'X', zhCN: 'X' }, offer: { en: 'X', zhCN: 'X' }, startsAt: '2027-03-01T00:00:00Z', endsAt: '2027-04-01T00:00:00Z', ...input },
      }, { bearer: admin });
    const problems = (res: Awaited<ReturnType<typeof create>>) => {
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
      return Object.fromEntries((res.errors![0]!.extensions!.problems as Array<{ field: string; message: string }>).map((p) => [p.field, p.message]));
    };
    const before = await t.db.query(`select count(*)::int as n from campaign`);

    const unknown = await create({ code: 'BAD_GIFT', kind: 'EXTRA_BENEFIT', benefitCode: 'NO_SUCH_BENEFIT', benefitQuota: 0, budgetGrants: -1, bonusPoints: 10, channels: ['app'], endsAt: '2027-02-01T00:00:00Z' });
    expect(problems(unknown)).toEqual({
      endsAt: 'must be after startsAt',
      benefitCode: 'no benefit NO_SUCH_BENEFIT',
      benefitQuota: 'must be from 1 to 1,000,000',
      budgetGrants: 'must be a positive whole number',
      bonusPoints: 'is for points campaigns: EXTRA_BENEFIT grants a right at each occurrence, not points on purchases',
      channels: 'is for points campaigns: EXTRA_BENEFIT grants a right at each occurrence, not points on purchases',
    });
    expect(problems(await create({ code: 'NO_BENEFIT', kind: 'EXTRA_BENEFIT' }))).toEqual({ benefitCode: 'is needed: the benefit each occurrence grants' });
    expect(problems(await create({ code: 'VIP_DAY', kind: 'EXTRA_BENEFIT', benefitCode: 'STREAMING_VIP', benefitQuota: 2 }))).toEqual({
      benefitQuota: 'must be left out: an ACCESS benefit is access for the occurrence, without uses',
    });
    expect(problems(await create({ code: 'BONUS_WITH_WASH', kind: 'BONUS_POINTS', bonusPoints: 10, benefitCode: 'CAR_WASH', benefitQuota: 1, budgetGrants: 5 }))).toEqual({
      benefitCode: 'is for EXTRA_BENEFIT campaigns only, not BONUS_POINTS',
      benefitQuota: 'is for EXTRA_BENEFIT campaigns only, not BONUS_POINTS',
      budgetGrants: 'is for EXTRA_BENEFIT campaigns only, not BONUS_POINTS',
    });
    expect(await t.db.query(`select count(*)::int as n from campaign`)).toEqual(before);
    expect(await t.db.query(`select code from campaign where code in ('BAD_GIFT', 'NO_BENEFIT', 'VIP_DAY', 'BONUS_WITH_WASH')`)).toEqual([]);
  });
});

describe('two runners granting a member day at once', () => {
  let second: MikroORM;
  afterAll(async () => {
    await second?.close();
  });

  /**
   * Each member gets one right, counted once. The two runners are held at the announcement's
   * claim (a test transaction holding the same announcement row), then let go together. Checked
   * against the bug it names: with the claim ignored and the counter raised by the members asked
   * for (not the rights the statement created), the second runner counted every member again
   * (the rights' unique index still granted each once).
   */
  it('grants each member once and counts each right once', async () => {
    await createCampaign({
      code: 'WASH_DAY_9',
      offer: { en: 'A car wash on the 9th', zhCN: '9日赠洗车' },
      startsAt: '2028-01-01T00:00:00+08:00',
      endsAt: '2028-12-01T00:00:00+08:00',
      monthlyDay: 9,
      benefitCode: 'CAR_WASH',
      budgetGrants: 100,
    });
    const { clockId, members } = await membersOnClock(t, admin, on(2028, 1, 2), 30, 'two runners');
    for (const member of members) await purchase(member, 10);
    second = await connectOrm({ databaseUrl: t.db.url, entities: t.app.modules.entities(), poolSize: 4 });
    // Both pools connected beforehand, so the two runners really meet.
    await Promise.all([t.app.orm, second].map((orm) => Promise.all(Array.from({ length: 4 }, () => orm.em.fork().execute('select 1')))));
    const logger = createLogger('silent');
    const runners = [t.app.orm, second].map((orm) => createDueWorkRunner({ orm, modules: t.app.modules, deps: t.app.deps, logger }));
    const at = new Date(on(2028, 1, 9, 0));
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`insert into campaign_announcement (id, campaign_code, clock_key, occurrence) values (gen_random_uuid(), 'WASH_DAY_9', $1, $2)`, [clockId, at]);
      const running = Promise.all(runners.map((runner) => runner.runDue(clockId, at)));
      await waitFor(async () => {
        const [{ n }] = (await t.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%insert into campaign_announcement%' and datname = current_database()`,
        )) as [{ n: number }];
        return n === 2;
      }, 'both runners at the claim');
      await holder.query('rollback');
      await running;
    } finally {
      await holder.end();
    }
    // And again, as a worker would after a crash.
    await Promise.all(runners.map((runner) => runner.runDue(clockId, at)));

    const rights = await rightsOf('WASH_DAY_9');
    expect(rights).toEqual(members.map((m) => m.memberId).sort().map((member_id) => ({ member_id, n: 1 })));
    const [traced] = await t.db.query<{ n: number; members: number }>(`select count(*)::int as n, count(distinct member_id)::int as members from campaign_benefit_grant where campaign_code = 'WASH_DAY_9'`);
    expect(traced).toEqual({ n: 30, members: 30 });
    expect(await figures('WASH_DAY_9')).toMatchObject({ rightsGranted: 30, grants: 30, membersReached: 30 });
    expect(await t.db.query(`select members from campaign_announcement where campaign_code = 'WASH_DAY_9' and clock_key = $1`, [clockId])).toEqual([{ members: 30 }]);
    const told = await t.db.query<{ n: number }>(`select count(*)::int as n from member_moment where dedupe_key like 'MEMBER_DAY:WASH_DAY_9:%' group by member_id`);
    expect(told).toHaveLength(30);
    expect(told.filter((r) => r.n !== 1)).toEqual([]);
  });
});

/** Polls `check` until it holds (a condition other sessions reach, not a fixed wait). */
async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
