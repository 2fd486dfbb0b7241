import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';

/**
 * A member's tier and what its evaluation needs. One row per member who ever did anything the
 * program counts; a member without one holds the base tier. Its row lock is the member's
 * loyalty lock: activities, refunds and evaluations of one member run one at a time.
 */
@Entity({ tableName: 'member_tier' })
@Index({
  name: 'member_tier_due',
  expression: `create index "member_tier_due" on "member_tier" ("evaluation_due_at") where "evaluation_due_at" is not null and "test_clock_id" is null`,
})
@Index({
  name: 'member_tier_due_on_clock',
  expression: `create index "member_tier_due_on_clock" on "member_tier" ("test_clock_id", "evaluation_due_at") where "evaluation_due_at" is not null and "test_clock_id" is not null`,
})
@Index({
  name: 'member_tier_rights_due',
  expression: `create index "member_tier_rights_due" on "member_tier" ("test_clock_id", "rights_due_at") where "rights_due_at" is not null`,
})
export class MemberTier {
  @OneToOne({ entity: () => Member, primary: true, owner: true, updateRule: 'no action' })
  member!: Rel<Member>;

  @Property({ type: 'text' })
  tierCode!: string;

  /** Since when the member holds it (on their clock). */
  @Property({ type: 'datetime' })
  since!: Date;

  @Property({ type: 'datetime', nullable: true })
  lastDowngradeAt?: Date | null;

  /** The member's test clock (copied: evaluations are found per clock). */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  /** The next evaluation that may move the member; null when none can. */
  @Property({ type: 'datetime', nullable: true })
  evaluationDueAt?: Date | null;

  /** When the rights the tier unlocks next roll into a new month; null while it unlocks none. */
  @Property({ type: 'datetime', nullable: true })
  rightsDueAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export enum TierChangeReason {
  /** A purchase reached a higher threshold. */
  UPGRADE = 'UPGRADE',
  /** An evaluation found the window meets a higher tier. */
  EVALUATION_UPGRADE = 'EVALUATION_UPGRADE',
  /** An evaluation found the window below the tier's threshold. */
  EVALUATION_DOWNGRADE = 'EVALUATION_DOWNGRADE',
  /** A refund took the window below a tier reached by a recent upgrade. */
  REFUND_REVERT = 'REFUND_REVERT',
}

/** A member's tier history: every move, why, and the figure behind it. Append-only. */
@Entity({
  tableName: 'tier_change',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'tier_change is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Index({ properties: ['member', 'at'] })
export class TierChange {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @Property({ type: 'text' })
  fromTier!: string;

  @Property({ type: 'text' })
  toTier!: string;

  @Enum({ items: () => TierChangeReason, nativeEnumName: 'tier_change_reason' })
  reason!: TierChangeReason;

  /** When it took effect (on the member's clock). */
  @Property({ type: 'datetime' })
  at!: Date;

  /** Qualifying spend of the window it was decided on (minor units). */
  @Property({ type: 'bigint' })
  qualifyingSpend!: number;

  @Property({ type: 'uuid', nullable: true })
  activityId?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * What one program month adds to a member's qualifying window: purchases minus refunds (by when
 * they happened), orders, points earned. Windows are sums of months, so an evaluation reads at
 * most a window's worth of rows per member.
 */
@Entity({ tableName: 'tier_qualifying_month' })
export class TierQualifyingMonth {
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  /** `YYYY-MM-01`, the program month. */
  @PrimaryKey({ type: 'date' })
  month!: string;

  @Property({ type: 'bigint', default: 0 })
  spend: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  orders: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  pointsEarned: Opt<number> = 0;
}
