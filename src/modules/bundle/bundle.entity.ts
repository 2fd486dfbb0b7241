import { randomUUID } from 'node:crypto';
import { Collection, type Opt, type Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, ManyToOne, OneToMany, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { CATALOG_VERSION_TRIGGER } from '../../platform/catalog-cache.js';
import { Partner } from '../partner/index.js';

export enum BenefitKind {
  /** Access for a period (a streaming VIP). */
  ACCESS = 'ACCESS',
  /** N uses per period (4 car washes a year). */
  QUOTA = 'QUOTA',
  /** Codes from a partner's pool, N per period (10 coffees a month). */
  VOUCHER = 'VOUCHER',
  /** A price reduction at the partner. */
  DISCOUNT = 'DISCOUNT',
  /** A plan benefit or points turned into the partner's currency (airline miles), confirmed by the partner. */
  CONVERSION = 'CONVERSION',
}

/** Kinds whose right lives on the partner's side: pending until the partner acknowledges it. */
export const PARTNER_HELD_KINDS: ReadonlySet<BenefitKind> = new Set([BenefitKind.ACCESS, BenefitKind.CONVERSION]);

export enum BenefitPeriod {
  /** The membership's own term (a membership year). */
  MEMBERSHIP_TERM = 'MEMBERSHIP_TERM',
  /** A calendar month in the program time zone, clipped to the term. */
  CALENDAR_MONTH = 'CALENDAR_MONTH',
}

/** A right a partner grants, independent of any bundle. */
@Entity({ tableName: 'benefit', triggers: [CATALOG_VERSION_TRIGGER] })
// A price is an amount and its currency together, never one without the other, never negative.
@Check({
  name: 'benefit_unit_price_valid',
  expression:
    "(unit_price_amount is null and unit_price_currency is null) or (unit_price_amount >= 0 and unit_price_currency ~ '^[A-Z]{3}$')",
})
// What a benefit is worth to a member, likewise.
@Check({
  name: 'benefit_member_value_valid',
  expression:
    "(member_value_amount is null and member_value_currency is null) or (member_value_amount >= 0 and member_value_currency ~ '^[A-Z]{3}$')",
})
export class Benefit {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  code!: string;

  @ManyToOne({ entity: () => Partner })
  partner!: Rel<Partner>;

  @Enum({ items: () => BenefitKind, nativeEnumName: 'benefit_kind' })
  kind!: BenefitKind;

  @Property({ type: 'json' })
  name!: LocalizedText;

  @Property({ type: 'json' })
  description!: LocalizedText;

  /**
   * What we pay the partner per unit redeemed, agreed with it, in minor units of
   * `unitPriceCurrency`: the basis of its settlement. Null when no price is agreed.
   */
  @Property({ type: 'integer', nullable: true })
  unitPriceAmount?: number | null;

  /** ISO 4217 currency of `unitPriceAmount`; set together with it. */
  @Property({ type: 'text', nullable: true })
  unitPriceCurrency?: string | null;

  /**
   * What the benefit is worth to a member, whatever the partner is paid (a car wash is worth
   * ¥39 to a member): per use for QUOTA and VOUCHER, per unit credited for CONVERSION (a mile),
   * per 30 days of access for ACCESS. The basis of "total saved". Null: not counted.
   */
  @Property({ type: 'integer', nullable: true })
  memberValueAmount?: number | null;

  /** ISO 4217 currency of `memberValueAmount`; set together with it. */
  @Property({ type: 'text', nullable: true })
  memberValueCurrency?: string | null;
}

/** A named, versioned set of benefits that plans sell. */
@Entity({ tableName: 'bundle' })
export class Bundle {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  code!: string;

  /** What product managers call it (a catalog draft's createBundle names it); null for bundles made before names. */
  @Property({ type: 'json', nullable: true })
  name?: LocalizedText | null;

  @OneToMany({ entity: () => BundleVersion, mappedBy: 'bundle' })
  versions = new Collection<BundleVersion>(this);
}

/**
 * One immutable version of a bundle, effective from an instant. A membership pins the
 * version it was sold with, so publishing a new one never changes current members.
 */
@Entity({ tableName: 'bundle_version' })
@Unique({ properties: ['bundle', 'version'] })
export class BundleVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Bundle })
  bundle!: Rel<Bundle>;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'datetime' })
  effectiveFrom!: Date;

  @OneToMany({ entity: () => BundleBenefit, mappedBy: 'bundleVersion', orderBy: { position: 'asc' } })
  benefits = new Collection<BundleBenefit>(this);

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** A benefit as one bundle version grants it: how much, for which period. */
@Entity({ tableName: 'bundle_benefit' })
@Unique({ properties: ['bundleVersion', 'benefit'] })
export class BundleBenefit {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => BundleVersion, deleteRule: 'cascade' })
  bundleVersion!: Rel<BundleVersion>;

  @ManyToOne({ entity: () => Benefit })
  benefit!: Rel<Benefit>;

  /** Uses per period; null means unlimited (ACCESS). */
  @Property({ type: 'integer', nullable: true })
  quota?: number | null;

  @Enum({ items: () => BenefitPeriod, nativeEnumName: 'benefit_period' })
  period!: BenefitPeriod;

  @Property({ type: 'integer', default: 0 })
  position: Opt<number> = 0;

  /** Eligibility: only members holding this loyalty tier or a higher one get it; null: every member of the plan. */
  @Property({ type: 'text', nullable: true })
  minTier?: string | null;

  /** Eligibility: only members in one of these segments (when its period starts) get it; null: every member of the plan. */
  @Property({ type: 'text[]', nullable: true })
  segments?: string[] | null;
}
