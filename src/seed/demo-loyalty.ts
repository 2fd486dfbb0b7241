import type { EntityManager } from '@mikro-orm/postgresql';
import { CampaignKind, CampaignService, type CampaignInput } from '../modules/campaign/index.js';
import { installLoyaltyProgram, type LoyaltyRulesInput } from '../modules/loyalty-program/index.js';

/**
 * The demo loyalty program (DESIGN.md, "Demo loyalty program"): every rule is configuration
 * product managers can change, none is code.
 */
export const DEMO_LOYALTY_RULES: LoyaltyRulesInput = {
  currency: 'CNY',
  earn: {
    // 1 point per whole yuan, × the tier held before the purchase, rounded down.
    purchase: { points: 1, per: 100, rounding: 'FLOOR', tierMultiplier: true },
    actions: {
      CHECK_IN: { points: 5, perDay: 1 },
      REVIEW: { points: 10, perDay: 3 },
    },
  },
  // Earned 15 Jan, expires 1 Aug at 00:00 program time.
  expiry: { mode: 'MONTHS_AFTER_EARNING_MONTH', months: 6 },
  expiryReminderDays: 30,
  refundPolicy: 'OWN_LOT_THEN_OLDEST_THEN_DEBT',
  tiers: {
    windowMonths: 12,
    upgrade: 'IMMEDIATE',
    mode: 'UP_AND_DOWN',
    downgrade: 'ONE_STEP',
    minMonthsBetweenDowngrades: 6,
    evaluationDayOfMonth: 1,
    refundRevertsUpgrade: true,
  },
};

export const DEMO_TIERS = [
  { code: 'MEMBER', rank: 0, name: { en: 'Member', 'zh-CN': '普通会员' }, minSpend: null, multiplierPermille: 1000 },
  { code: 'SILVER', rank: 1, name: { en: 'Silver', 'zh-CN': '银卡' }, minSpend: 200_000, multiplierPermille: 1200 },
  { code: 'GOLD', rank: 2, name: { en: 'Gold', 'zh-CN': '金卡' }, minSpend: 600_000, multiplierPermille: 1500 },
  { code: 'DIAMOND', rank: 3, name: { en: 'Diamond', 'zh-CN': '钻石' }, minSpend: 1_200_000, multiplierPermille: 2000 },
];

export const DEMO_REWARDS = [
  {
    code: 'COFFEE_REWARD',
    name: { en: 'A BrewBar coffee', 'zh-CN': '醇吧咖啡一杯' },
    phrase: { one: { en: 'a coffee at BrewBar', 'zh-CN': '1 杯醇吧咖啡' }, other: { en: '{n} coffees at BrewBar', 'zh-CN': '{n} 杯醇吧咖啡' } },
    pointsCost: 300,
    partner: 'brewbar',
    benefitCode: 'COFFEE',
    units: 1,
    validityDays: 30,
  },
  {
    code: 'CAR_WASH_REWARD',
    name: { en: 'A SparkWash car wash', 'zh-CN': '闪亮洗车一次' },
    phrase: { one: { en: 'a car wash at SparkWash', 'zh-CN': '1 次闪亮洗车' }, other: { en: '{n} car washes at SparkWash', 'zh-CN': '{n} 次闪亮洗车' } },
    pointsCost: 800,
    partner: 'sparkwash',
    benefitCode: 'CAR_WASH',
    units: 1,
    validityDays: 90,
  },
  {
    code: 'MILES_1000',
    name: { en: '1,000 SkyMiles', 'zh-CN': '1,000 天里航空里程' },
    phrase: { one: { en: '1,000 SkyMiles', 'zh-CN': '1,000 天里航空里程' }, other: { en: '{n},000 SkyMiles', 'zh-CN': '{n},000 天里航空里程' } },
    pointsCost: 500,
    partner: 'skymiles',
    benefitCode: 'SKYMILES_BONUS',
    units: 1000,
    validityDays: 30,
  },
];

/** What tiers unlock, on top of any plan: Gold and above a car wash a month, Diamond also four coffees a month. */
export const DEMO_TIER_BENEFITS = [
  { tier: 'GOLD', benefitCode: 'CAR_WASH', quota: 1 },
  { tier: 'DIAMOND', benefitCode: 'COFFEE', quota: 4 },
];

/** What demo partners pay per 1,000 points their tills issue, and are paid per 1,000 burned there (fen). */
export const DEMO_POINT_PRICES = { issuePer1000: 600, burnPer1000: 500 };

/** The demo member day: Gold and above earn double points on the 18th of each month. */
export const DEMO_MEMBER_DAY: CampaignInput = {
  code: 'MEMBER_DAY_18',
  name: { en: 'Member day', 'zh-CN': '会员日' },
  offer: { en: 'Gold and above: double points on all purchases today', 'zh-CN': '金卡及以上会员今日消费双倍积分' },
  kind: CampaignKind.POINTS_MULTIPLIER,
  startsAt: new Date('2026-01-01T00:00:00+08:00'),
  endsAt: new Date('2031-01-01T00:00:00+08:00'),
  monthlyDay: 18,
  minTier: 'GOLD',
  multiplierPermille: 2000,
  budgetPoints: 50_000_000,
  perMemberCap: 20_000,
};

/** What the loyalty seed did, for the start-up banner. */
export interface LoyaltySeedSummary {
  seeded: boolean;
  tiers: string[];
  rewards: string[];
}

/** Seeds the demo loyalty program into a database that has none (a program changed since is left alone). */
export async function seedDemoLoyalty(em: EntityManager): Promise<LoyaltySeedSummary> {
  const summary = { tiers: DEMO_TIERS.map((t) => t.code), rewards: DEMO_REWARDS.map((r) => r.code) };
  const seeded = await em.transactional(async (tx) => {
    const partners = new Set((await tx.execute<{ id: string }[]>(`select id from partner`)).map((p) => p.id));
    const installed = await installLoyaltyProgram(tx, {
      name: { en: 'Coalition Rewards', 'zh-CN': '联盟积分' },
      rules: DEMO_LOYALTY_RULES,
      tiers: DEMO_TIERS,
      rewards: DEMO_REWARDS.map((r) => ({ ...r, partner: partners.has(r.partner) ? r.partner : null })),
      tierBenefits: DEMO_TIER_BENEFITS,
    });
    if (!installed) return false;
    // Every demo partner takes part in the coalition: it buys the points its till issues at ¥6
    // per 1,000 and is paid ¥5 per 1,000 burned there.
    await tx.execute(
      `update partner set points_issue_price_per1000 = ?, points_burn_price_per1000 = ?, points_currency = ? where points_currency is null and id in (?, ?, ?, ?)`,
      [DEMO_POINT_PRICES.issuePer1000, DEMO_POINT_PRICES.burnPer1000, 'CNY', 'streamflix', 'sparkwash', 'brewbar', 'skymiles'],
    );
    // "Gold and above: double points on the 18th", the demo's member day.
    await new CampaignService(tx, { timeZone: 'Asia/Shanghai' }).create(DEMO_MEMBER_DAY, null);
    return true;
  });
  return { seeded, ...summary };
}
