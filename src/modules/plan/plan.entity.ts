import { randomUUID } from 'node:crypto';
import { ArrayType, type Opt, type Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { CATALOG_VERSION_TRIGGER } from '../../platform/catalog-cache.js';
import { Bundle } from '../bundle/index.js';

export enum BillingPeriod {
  MONTH = 'MONTH',
  YEAR = 'YEAR',
}

/** What a membership's rights do while a failed renewal is in grace (PAST_DUE). */
export enum GraceAccess {
  /** The member keeps using them while the charge is retried (most programs). */
  USABLE = 'USABLE',
  /** Suspended until the member pays; tokens already out are refused. */
  SUSPENDED = 'SUSPENDED',
}

/** How much of the fee a refund in the middle of a paid period gives back. */
export enum RefundPolicy {
  /** Everything paid for the period. */
  FULL = 'FULL',
  /** The unused share of the period, by time. */
  PRO_RATA = 'PRO_RATA',
  /** The unused share, minus the member-facing value of the benefits already used this period (never below zero). */
  PRO_RATA_MINUS_USED = 'PRO_RATA_MINUS_USED',
}

/** A paid plan on sale: its price, billing period and the bundle it sells. */
@Entity({ tableName: 'plan', triggers: [CATALOG_VERSION_TRIGGER] })
@Check({ name: 'plan_lifecycle_days_valid', expression: 'trial_days >= 0 and reminder_days >= 0 and grace_days >= 0 and price_amount >= 0' })
export class Plan {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** Price in minor units of `currency`. */
  @Property({ type: 'integer' })
  priceAmount!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: () => BillingPeriod, nativeEnumName: 'billing_period' })
  billingPeriod!: BillingPeriod;

  @ManyToOne({ entity: () => Bundle })
  bundle!: Rel<Bundle>;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;

  /** Free days before the first charge (0: no trial); one trial per member, ever. */
  @Property({ type: 'integer', default: 0 })
  trialDays: Opt<number> = 0;

  /** The benefits a trial grants (codes of the bundle's benefits); null: all of them. */
  @Property({ type: new ArrayType<string>(), columnType: 'text[]', nullable: true })
  trialBenefitCodes?: string[] | null;

  /** Days before a renewal that the member is reminded of it (price, and what the period gave them). */
  @Property({ type: 'integer', default: 7 })
  reminderDays: Opt<number> = 7;

  /** Days a membership stays PAST_DUE after a failed renewal before it ends. */
  @Property({ type: 'integer', default: 7 })
  graceDays: Opt<number> = 7;

  @Enum({ items: () => GraceAccess, nativeEnumName: 'grace_access', default: GraceAccess.USABLE })
  graceAccess: Opt<GraceAccess> = GraceAccess.USABLE;

  /** When a failed renewal is charged again: days after the first failure, ascending, each within the grace. */
  @Property({ type: new ArrayType<number>((i) => Number(i)), columnType: 'integer[]', defaultRaw: `'{1,3,5}'` })
  retryDays: Opt<number[]> = [1, 3, 5];

  @Enum({ items: () => RefundPolicy, nativeEnumName: 'refund_policy', default: RefundPolicy.PRO_RATA_MINUS_USED })
  refundPolicy: Opt<RefundPolicy> = RefundPolicy.PRO_RATA_MINUS_USED;

  /**
   * Members renew into the bundle version they bought (grandfathered) instead of the version
   * the plan sells at their renewal.
   */
  @Property({ type: 'boolean', default: false })
  grandfathered: Opt<boolean> = false;
}
