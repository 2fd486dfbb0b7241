// A loyalty program's rules, as product managers configure them: every rule of the demo
// program (DESIGN.md, "Demo loyalty program") is one setting of these, none is code. Stored as
// one validated JSON document on the program row, so a change is one versioned write.
import { z } from 'zod';

const points = z.number().int().min(0).max(1_000_000);
const perDay = z.number().int().min(1).max(1_000).nullable();

/** How a fractional number of points becomes whole points. */
export const Rounding = z.enum(['FLOOR', 'ROUND', 'CEIL']);
export type Rounding = z.infer<typeof Rounding>;

/** Points per whole currency unit of a purchase (1 point per whole yuan: `{ points: 1, per: 100 }`). */
const PurchaseRate = z.object({
  /** Points for each `per` minor units of the amount (whole units only: ¥99.99 is 99 units of 100 fen). */
  points: z.number().int().min(0).max(10_000),
  /** Minor units per step. @default 100 */
  per: z.number().int().min(1).max(1_000_000).default(100),
});

export const EarnRules = z.object({
  purchase: PurchaseRate.extend({
    /** Applied once, to points × multipliers. */
    rounding: Rounding.default('FLOOR'),
    /** Multiply by the tier held before the purchase. @default true */
    tierMultiplier: z.boolean().default(true),
    /** Other rates for a channel (`store-pos`, `mini-program`, …) or a partner id. */
    byChannel: z.record(z.string().min(1).max(64), PurchaseRate).default({}),
    /** Most points purchases may earn per program day (null: no cap). */
    dailyCap: points.nullable().default(null),
    /** Most points purchases may earn per program month (null: no cap). */
    monthlyCap: points.nullable().default(null),
  }),
  /** Fixed points per action, with a limit per program day (null: none). */
  actions: z
    .partialRecord(
      z.enum(['CHECK_IN', 'REVIEW', 'SHARE', 'PROFILE_COMPLETED', 'BIRTHDAY']),
      z.object({
        points,
        perDay: perDay.default(null),
        once: z.boolean().default(false),
        /** A bonus on the day a run of consecutive program days with one that earned reaches `days` (and every `days` after). */
        streak: z.object({ days: z.number().int().min(2).max(366), bonus: points }).nullable().default(null),
      }),
    )
    .default({}),
  /** Multiplier on purchase points in the member's birthday month (1: none). */
  birthdayMonthMultiplier: z.number().min(1).max(10).default(1),
});
export type EarnRules = z.infer<typeof EarnRules>;

export const ExpiryRules = z.discriminatedUnion('mode', [
  /** Lots never expire. */
  z.object({ mode: z.literal('NEVER') }),
  /**
   * A lot expires at 00:00 (program time) on the first day of the month `months` + 1 after the
   * month it was earned in (6: earned 15 Jan, expires 1 Aug).
   */
  z.object({ mode: z.literal('MONTHS_AFTER_EARNING_MONTH'), months: z.number().int().min(0).max(120) }),
]);
export type ExpiryRules = z.infer<typeof ExpiryRules>;

export const RefundPolicy = z.enum([
  /** The purchase's own lot, then other lots oldest first; what is missing is a debt later earnings repay first. */
  'OWN_LOT_THEN_OLDEST_THEN_DEBT',
  /** The same order of lots; what is missing is forgiven (the balance stops at zero). */
  'OWN_LOT_THEN_OLDEST_ZERO_FLOOR',
]);
export type RefundPolicy = z.infer<typeof RefundPolicy>;

export const TierRules = z.object({
  /** Calendar months of the qualifying window (trailing, in the program time zone). */
  windowMonths: z.number().int().min(1).max(60),
  /** IMMEDIATE: a purchase that reaches a higher threshold upgrades at once; AT_EVALUATION: only evaluations move members. */
  upgrade: z.enum(['IMMEDIATE', 'AT_EVALUATION']),
  /** UP_AND_DOWN: evaluations also move members down; ONLY_UP: a tier is held until `onlyUpMonths` after it was reached. */
  mode: z.enum(['UP_AND_DOWN', 'ONLY_UP']),
  /** ONLY_UP: months a reached tier is held whatever the spend. */
  onlyUpMonths: z.number().int().min(1).max(120).default(12),
  /** ONE_STEP: a soft landing, one tier per evaluation; TO_MATCHING: straight to the tier the window meets. */
  downgrade: z.enum(['ONE_STEP', 'TO_MATCHING']),
  /** Months that must pass after a downgrade before the next (0: none). */
  minMonthsBetweenDowngrades: z.number().int().min(0).max(60),
  /** Evaluations run at 00:00 program time on this day of each month. */
  evaluationDayOfMonth: z.number().int().min(1).max(28),
  /** A refund that brings the window below the threshold of a tier reached by an upgrade in the last window moves the member back at once. */
  refundRevertsUpgrade: z.boolean(),
});
export type TierRules = z.infer<typeof TierRules>;

export const LoyaltyRules = z.object({
  /** The one currency purchases may be in (ISO 4217). */
  currency: z.string().regex(/^[A-Z]{3}$/),
  earn: EarnRules,
  expiry: ExpiryRules,
  /** Days before a lot expires that the member is told what it buys. 0: no reminder. */
  expiryReminderDays: z.number().int().min(0).max(365),
  refundPolicy: RefundPolicy,
  tiers: TierRules,
});
export type LoyaltyRules = z.infer<typeof LoyaltyRules>;
/** The rules as written (defaults may be left out). */
export type LoyaltyRulesInput = z.input<typeof LoyaltyRules>;

/** Validates rules; throws a `ZodError` listing every problem. */
export function parseLoyaltyRules(input: unknown): LoyaltyRules {
  return LoyaltyRules.parse(input);
}
