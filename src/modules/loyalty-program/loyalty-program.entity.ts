import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { Partner } from '../partner/index.js';
import type { LoyaltyRules } from './rules.js';

/** The id of the deployment's program (one program per deployment; the column allows more later). */
export const PROGRAM_ID = 'default';

/** The loyalty program: its rules (validated, see rules.ts) and their version. */
@Entity({ tableName: 'loyalty_program' })
export class LoyaltyProgram {
  @PrimaryKey({ type: 'text' })
  id: string = PROGRAM_ID;

  @Property({ type: 'json' })
  name!: LocalizedText;

  @Property({ type: 'json' })
  rules!: LoyaltyRules;

  /** Raised by every change of the rules, the tiers or the rewards. */
  @Property({ type: 'integer', default: 1 })
  version: Opt<number> = 1;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Opt<Date> = new Date();
}

/**
 * A rung of the tier ladder. Everyone holds the lowest (rank 0, no thresholds). A member
 * qualifies for a tier when every threshold it sets is met over the qualifying window:
 * spend (purchases minus refunds), orders, points earned (never the balance).
 */
@Entity({ tableName: 'loyalty_tier' })
@Unique({ properties: ['rank'] })
export class LoyaltyTier {
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'integer' })
  rank!: number;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** Qualifying spend in the program currency's minor units; null: not a criterion. */
  @Property({ type: 'bigint', nullable: true })
  minSpend?: number | null;

  @Property({ type: 'integer', nullable: true })
  minOrders?: number | null;

  @Property({ type: 'integer', nullable: true })
  minPointsEarned?: number | null;

  /** Purchase points multiplier in thousandths (1500: ×1.5). */
  @Property({ type: 'integer', default: 1000 })
  multiplierPermille: Opt<number> = 1000;
}

/** Something points buy: a partner's coffee, car wash or miles. */
@Entity({ tableName: 'loyalty_reward' })
export class LoyaltyReward {
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** How it reads in a sentence, singular and plural ("a coffee at BrewBar", "{n} coffees at BrewBar"). */
  @Property({ type: 'json' })
  phrase!: { one: LocalizedText; other: LocalizedText };

  @Property({ type: 'integer' })
  pointsCost!: number;

  @ManyToOne({ entity: () => Partner, nullable: true })
  partner?: Rel<Partner> | null;

  /** The benefit that delivers it (a voucher code, a quota unit, converted units), and how many units. */
  @Property({ type: 'text', nullable: true })
  benefitCode?: string | null;

  @Property({ type: 'integer', default: 1 })
  units: Opt<number> = 1;

  /** Days the right it grants stays usable: until 00:00 program time after the last of them (today counts as the first). */
  @Property({ type: 'integer', default: 30 })
  validityDays: Opt<number> = 30;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;
}

/**
 * A benefit a tier unlocks, for its holders and those of every tier above it: `quota` uses each
 * calendar month of the program time zone (null: unlimited, for an ACCESS benefit), granted as
 * entitlements of source TIER while the tier is held.
 */
@Entity({ tableName: 'loyalty_tier_benefit' })
@Check({ name: 'loyalty_tier_benefit_quota_positive', expression: 'quota IS NULL OR quota > 0' })
export class LoyaltyTierBenefit {
  @ManyToOne({ entity: () => LoyaltyTier, primary: true, deleteRule: 'cascade' })
  tier!: Rel<LoyaltyTier>;

  @PrimaryKey({ type: 'text' })
  benefitCode!: string;

  @Property({ type: 'integer', nullable: true })
  quota?: number | null;
}
