import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { ArrayType } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { Benefit } from '../bundle/index.js';
import { Entitlement } from '../entitlement/index.js';
import { Member } from '../member/index.js';

export enum CampaignKind {
  /** Purchase points × `multiplier_permille` (on top of the tier's): "double points on the 18th". */
  POINTS_MULTIPLIER = 'POINTS_MULTIPLIER',
  /** `bonus_points` for each purchase of at least `min_spend`. */
  BONUS_POINTS = 'BONUS_POINTS',
  /** A right to `benefit` (`benefit_quota` uses) for each occurrence, granted at its start: "a free car wash on the 18th". */
  EXTRA_BENEFIT = 'EXTRA_BENEFIT',
}

/**
 * A member-only campaign: time-boxed (and, for member days, recurring on a day of each month),
 * targeted by tier and segment, with a budget and a cap per member. Every point it grants is a
 * `campaign_grant` row naming it, every right a `campaign_benefit_grant` row.
 */
@Entity({ tableName: 'campaign' })
@Check({ name: 'campaign_window', expression: 'ends_at > starts_at' })
@Check({ name: 'campaign_budget_kept', expression: 'budget_points is null or points_granted <= budget_points' })
@Check({ name: 'campaign_grants_budget_kept', expression: 'budget_grants is null or rights_granted <= budget_grants' })
// A benefit campaign names its benefit, no other kind does (kind compared as text: an enum value
// added in the same migration cannot be used in it).
@Check({ name: 'campaign_benefit_named', expression: `((kind)::text = 'EXTRA_BENEFIT'::text) = (benefit_id IS NOT NULL)` })
@Check({ name: 'campaign_benefit_quota_positive', expression: 'benefit_quota is null or benefit_quota >= 1' })
export class Campaign {
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** What members are told (the member day's offer). */
  @Property({ type: 'json' })
  offer!: LocalizedText;

  @Enum({ items: () => CampaignKind, nativeEnumName: 'campaign_kind' })
  kind!: CampaignKind;

  @Property({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'datetime' })
  endsAt!: Date;

  /** A member day: only this day of each month (program time) within the window; null: every day of it. */
  @Property({ type: 'integer', nullable: true })
  monthlyDay?: number | null;

  /** The lowest tier rank it is for (0: everyone). */
  @Property({ type: 'integer', default: 0 })
  minTierRank: Opt<number> = 0;

  /** Segment codes it is for (a member in any of them); null: no segment needed. */
  @Property({ type: new ArrayType(), nullable: true })
  segments?: string[] | null;

  /** Channels it counts in (null: all, partners' tills included). */
  @Property({ type: new ArrayType(), nullable: true })
  channels?: string[] | null;

  @Property({ type: 'integer', nullable: true })
  multiplierPermille?: number | null;

  @Property({ type: 'integer', nullable: true })
  bonusPoints?: number | null;

  /** BONUS_POINTS: the least a purchase must be (minor units). */
  @Property({ type: 'integer', default: 0 })
  minSpend: Opt<number> = 0;

  /** Points it may grant in all; null: no budget. */
  @Property({ type: 'integer', nullable: true })
  budgetPoints?: number | null;

  /** Points one member may get from it in all; null: no cap. */
  @Property({ type: 'integer', nullable: true })
  perMemberCap?: number | null;

  @Property({ type: 'integer', default: 0 })
  pointsGranted: Opt<number> = 0;

  /** EXTRA_BENEFIT: the benefit each occurrence grants a right to. */
  @ManyToOne({ entity: () => Benefit, nullable: true, deleteRule: 'no action' })
  benefit?: Rel<Benefit> | null;

  /** EXTRA_BENEFIT: uses of the right (units for a conversion); null for an ACCESS benefit (access for the occurrence). */
  @Property({ type: 'integer', nullable: true })
  benefitQuota?: number | null;

  /** EXTRA_BENEFIT: rights it may grant in all; null: no budget. */
  @Property({ type: 'integer', nullable: true })
  budgetGrants?: number | null;

  @Property({ type: 'integer', default: 0 })
  rightsGranted: Opt<number> = 0;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** Points a campaign granted on one activity. Append-only. */
@Entity({
  tableName: 'campaign_grant',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'campaign_grant is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
// Each key leads with the member (docs/citus.md: unique keys of member-sharded tables name the member).
@Unique({ properties: ['member', 'campaign', 'activityId'] })
@Index({ properties: ['campaign', 'member'] })
export class CampaignGrant {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Campaign })
  campaign!: Rel<Campaign>;

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @Property({ type: 'uuid' })
  activityId!: string;

  @Property({ type: 'integer' })
  points!: number;

  /** When it counted (the activity's time). */
  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * A right a benefit campaign granted a member for one occurrence: the entitlement (source
 * CAMPAIGN, source ref the campaign's code) traced to its campaign. Append-only; one per right.
 */
@Entity({
  tableName: 'campaign_benefit_grant',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'campaign_benefit_grant is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Unique({ properties: ['member', 'entitlement'] })
@Index({ properties: ['campaign', 'member'] })
export class CampaignBenefitGrant {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Campaign })
  campaign!: Rel<Campaign>;

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  /** The right granted. */
  @ManyToOne({ entity: () => Entitlement })
  entitlement!: Rel<Entitlement>;

  /** The occurrence's start (the member day's 00:00 program time, or the campaign's start): the right's period start. */
  @Property({ type: 'datetime' })
  occurrence!: Date;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** A member day announced to the members of one clock (null: real time): announced once. */
@Entity({ tableName: 'campaign_announcement' })
@Unique({ properties: ['campaign', 'clockKey', 'occurrence'] })
export class CampaignAnnouncement {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Campaign })
  campaign!: Rel<Campaign>;

  /** The test clock's id, or `real` for members on real time. */
  @Property({ type: 'text' })
  clockKey!: string;

  /** The day's start (00:00 program time). */
  @Property({ type: 'datetime' })
  occurrence!: Date;

  @Property({ type: 'integer', default: 0 })
  members: Opt<number> = 0;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
