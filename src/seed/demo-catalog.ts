import type { EntityManager } from '@mikro-orm/postgresql';
import { Benefit, BenefitKind, BenefitPeriod, Bundle, BundleBenefit, BundleVersion } from '../modules/bundle/index.js';
import { Partner } from '../modules/partner/index.js';
import { BillingPeriod, Plan } from '../modules/plan/index.js';
import { VoucherService } from '../modules/voucher/index.js';
import { seedDemoLoyalty, type LoyaltySeedSummary } from './demo-loyalty.js';
import { seedDemoSegments } from './demo-segments.js';

/** What the demo catalog seeded, for the start-up banner. */
export interface SeedSummary {
  seeded: boolean;
  plans: string[];
  benefits: string[];
  partners: string[];
  /** The demo voucher pools: codes added by this start (0 after the first) and codes left. */
  voucherPools: DemoVoucherPool[];
  /** The demo loyalty program (seeded into a database that has none). */
  loyalty: LoyaltySeedSummary;
  /** Whether the demo segments were seeded (into a database with no segment configuration). */
  segments: boolean;
}

export interface DemoVoucherPool {
  partnerId: string;
  benefitCode: string;
  /** Codes this start added: the demo count into an untouched pool, else 0. */
  seeded: number;
  /** Unclaimed codes in the pool now. */
  available: number;
}

/** Codes seeded into BrewBar's COFFEE pool, so `claimVoucher` works on a fresh start. */
export const DEMO_VOUCHER_CODES = 500;

/** `DEMO-COFFEE-0001` …: fixed, so two processes seeding at once still store each code once. */
export function demoVoucherCodes(benefitCode: string, count = DEMO_VOUCHER_CODES): string[] {
  return Array.from({ length: count }, (_, i) => `DEMO-${benefitCode}-${String(i + 1).padStart(4, '0')}`);
}

const PARTNERS = [
  { id: 'streamflix', name: { en: 'StreamFlix', 'zh-CN': '流光视频' } },
  { id: 'sparkwash', name: { en: 'SparkWash', 'zh-CN': '闪亮洗车' } },
  { id: 'brewbar', name: { en: 'BrewBar Coffee', 'zh-CN': '醇吧咖啡' } },
  { id: 'skymiles', name: { en: 'SkyMiles Airlines', 'zh-CN': '天里航空' } },
];

const BENEFITS = [
  {
    code: 'STREAMING_VIP',
    partner: 'streamflix',
    kind: BenefitKind.ACCESS,
    quota: null,
    period: BenefitPeriod.MEMBERSHIP_TERM,
    unitPrice: { amount: 0, currency: 'CNY' },
    // ¥25 a month, what the VIP costs a member on their own.
    memberValue: { amount: 2_500, currency: 'CNY' },
    name: { en: 'StreamFlix VIP', 'zh-CN': '流光视频 VIP 会员' },
    description: { en: 'Ad-free VIP streaming for your whole membership year', 'zh-CN': '会员年内畅享无广告 VIP 视频' },
  },
  {
    code: 'CAR_WASH',
    partner: 'sparkwash',
    kind: BenefitKind.QUOTA,
    quota: 4,
    period: BenefitPeriod.MEMBERSHIP_TERM,
    unitPrice: { amount: 3_500, currency: 'CNY' },
    memberValue: { amount: 3_900, currency: 'CNY' },
    name: { en: 'Car wash', 'zh-CN': '精致洗车' },
    description: { en: '4 car washes per membership year at any SparkWash site', 'zh-CN': '每会员年 4 次闪亮洗车，全国门店通用' },
  },
  {
    code: 'COFFEE',
    partner: 'brewbar',
    kind: BenefitKind.VOUCHER,
    quota: 10,
    period: BenefitPeriod.CALENDAR_MONTH,
    unitPrice: { amount: 1_200, currency: 'CNY' },
    memberValue: { amount: 2_800, currency: 'CNY' },
    name: { en: 'Coffee', 'zh-CN': '咖啡券' },
    description: { en: '10 coffees a month at BrewBar', 'zh-CN': '每月 10 杯醇吧咖啡' },
  },
  {
    code: 'SKYMILES_BONUS',
    partner: 'skymiles',
    kind: BenefitKind.CONVERSION,
    quota: 2000,
    period: BenefitPeriod.MEMBERSHIP_TERM,
    unitPrice: { amount: 0, currency: 'CNY' },
    // 5 fen a mile: 2,000 miles are worth ¥100 to a member.
    memberValue: { amount: 5, currency: 'CNY' },
    name: { en: '2,000 bonus miles', 'zh-CN': '2000 奖励里程' },
    description: {
      en: '2,000 SkyMiles credited to your account each membership year',
      'zh-CN': '每会员年向您的天里航空账户存入 2000 里程',
    },
  },
];

/** The monthly plan's bundle: the same partners, a month's worth (one car wash a month, no miles). */
const MONTHLY_BENEFITS: ReadonlyArray<{ code: string; quota: number | null; period: BenefitPeriod }> = [
  { code: 'STREAMING_VIP', quota: null, period: BenefitPeriod.MEMBERSHIP_TERM },
  { code: 'CAR_WASH', quota: 1, period: BenefitPeriod.MEMBERSHIP_TERM },
  { code: 'COFFEE', quota: 10, period: BenefitPeriod.CALENDAR_MONTH },
];

/**
 * Seeds the demo catalog when the database has no plan yet: plan PLUS (¥198 a year, a 7-day
 * free trial with StreamFlix VIP and coffees) with STREAMING_VIP, CAR_WASH, COFFEE and
 * SKYMILES_BONUS, each with the unit price agreed with its partner and its value to a member;
 * plan PLUS_MONTHLY (¥25 a month) with a month's worth; and {@link DEMO_VOUCHER_CODES} codes
 * into the COFFEE pool while that pool has never held a code. A demo catalog seeded before
 * plans renewed gets what it lacks (the monthly plan, the benefits' member values, PLUS's
 * trial) once. Never touches another catalog or a pool a partner filled; a restart adds nothing.
 */
export async function seedDemoCatalog(em: EntityManager): Promise<SeedSummary> {
  const summary = {
    plans: ['PLUS', 'PLUS_MONTHLY'],
    benefits: BENEFITS.map((b) => b.code),
    partners: PARTNERS.map((p) => p.id),
  };
  const seeded = (await em.count(Plan, {})) === 0;
  if (seeded) await createCatalog(em);
  else await completeDemoCatalog(em);
  const voucherPools = await seedVoucherPools(em);
  const loyalty = await seedDemoLoyalty(em);
  const segments = await seedDemoSegments(em);
  return { seeded, ...summary, voucherPools, loyalty, segments };
}

async function seedVoucherPools(em: EntityManager): Promise<DemoVoucherPool[]> {
  const pools = new VoucherService(em);
  const seeded: DemoVoucherPool[] = [];
  for (const benefit of BENEFITS.filter((b) => b.kind === BenefitKind.VOUCHER)) {
    // A catalog changed since (the benefit gone or moved to another partner) is left alone.
    const before = await pools.status(benefit.partner, benefit.code).catch(() => null);
    if (!before) continue;
    const untouched = before.available + before.claimed === 0;
    const added = untouched ? (await pools.upload(benefit.partner, benefit.code, demoVoucherCodes(benefit.code))).accepted : 0;
    seeded.push({ partnerId: benefit.partner, benefitCode: benefit.code, seeded: added, available: before.available + added });
  }
  return seeded;
}

async function createCatalog(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    const partners = new Map(PARTNERS.map((p) => [p.id, tx.create(Partner, p)]));
    const bundle = tx.create(Bundle, { code: 'PLUS_BUNDLE' });
    const version = tx.create(BundleVersion, { bundle, version: 1, effectiveFrom: new Date('2026-01-01T00:00:00+08:00') });
    BENEFITS.forEach((b, position) => {
      const benefit = tx.create(Benefit, {
        code: b.code,
        partner: partners.get(b.partner)!,
        kind: b.kind,
        name: b.name,
        description: b.description,
        unitPriceAmount: b.unitPrice.amount,
        unitPriceCurrency: b.unitPrice.currency,
        memberValueAmount: b.memberValue.amount,
        memberValueCurrency: b.memberValue.currency,
      });
      tx.create(BundleBenefit, { bundleVersion: version, benefit, quota: b.quota, period: b.period, position });
    });
    tx.create(Plan, { ...PLUS_PLAN, bundle });
  });
  await createMonthlyPlan(em);
}

const PLUS_PLAN = {
  code: 'PLUS',
  name: { en: 'PLUS membership', 'zh-CN': 'PLUS 会员' },
  priceAmount: 19_800,
  currency: 'CNY',
  billingPeriod: BillingPeriod.YEAR,
  trialDays: 7,
  trialBenefitCodes: ['STREAMING_VIP', 'COFFEE'],
};

/** PLUS_MONTHLY on its own bundle (a month's worth of the demo benefits). */
async function createMonthlyPlan(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    const benefits = await tx.find(Benefit, { code: { $in: MONTHLY_BENEFITS.map((b) => b.code) } });
    if (benefits.length !== MONTHLY_BENEFITS.length) return;
    const bundle = tx.create(Bundle, { code: 'PLUS_MONTHLY_BUNDLE' });
    const version = tx.create(BundleVersion, { bundle, version: 1, effectiveFrom: new Date('2026-01-01T00:00:00+08:00') });
    MONTHLY_BENEFITS.forEach((b, position) => {
      tx.create(BundleBenefit, { bundleVersion: version, benefit: benefits.find((x) => x.code === b.code)!, quota: b.quota, period: b.period, position });
    });
    tx.create(Plan, {
      code: 'PLUS_MONTHLY',
      name: { en: 'PLUS monthly', 'zh-CN': 'PLUS 连续包月' },
      priceAmount: 2_500,
      currency: 'CNY',
      billingPeriod: BillingPeriod.MONTH,
      bundle,
    });
  });
}

/**
 * A demo catalog seeded before memberships renewed (PLUS_BUNDLE and PLUS present, no
 * PLUS_MONTHLY): the monthly plan, the demo benefits' member values where unset and PLUS's
 * trial, once. A catalog a PM changed (another plan set, PLUS gone) is left alone.
 */
async function completeDemoCatalog(em: EntityManager): Promise<void> {
  if ((await em.count(Plan, { code: 'PLUS_MONTHLY' })) > 0 || (await em.count(Bundle, { code: 'PLUS_MONTHLY_BUNDLE' })) > 0) return;
  const plus = await em.findOne(Plan, { code: 'PLUS' });
  if (!plus || (await em.count(Plan, {})) !== 1) return;
  for (const b of BENEFITS) {
    await em.nativeUpdate(Benefit, { code: b.code, memberValueAmount: null }, { memberValueAmount: b.memberValue.amount, memberValueCurrency: b.memberValue.currency });
  }
  if (plus.trialDays === 0) await em.nativeUpdate(Plan, { id: plus.id }, { trialDays: PLUS_PLAN.trialDays, trialBenefitCodes: PLUS_PLAN.trialBenefitCodes });
  await createMonthlyPlan(em);
}
