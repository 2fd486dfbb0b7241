import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';

export enum ActivityType {
  PURCHASE = 'PURCHASE',
  REFUND = 'REFUND',
  CHECK_IN = 'CHECK_IN',
  REVIEW = 'REVIEW',
  SHARE = 'SHARE',
  PROFILE_COMPLETED = 'PROFILE_COMPLETED',
  BIRTHDAY = 'BIRTHDAY',
}

/**
 * Something a member did that the program counts, from any channel (app, online shop, store
 * POS, mini-program): one row per channel's own id, so the same report twice is one activity.
 * `occurred_at` is when it happened (it decides the month, the day and the lot's expiry);
 * `posted_at` when it reached us, on the member's clock.
 */
@Entity({ tableName: 'activity' })
@Unique({ properties: ['channel', 'externalId'] })
// Applied in this order per member (docs/citus.md: unique keys of member-sharded tables name the member).
@Unique({ properties: ['member', 'seq'] })
@Index({ properties: ['member', 'type', 'occurredAt'] })
export class Activity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Member })
  member!: Rel<Member>;

  @Enum({ items: () => ActivityType, nativeEnumName: 'activity_type' })
  type!: ActivityType;

  @Property({ type: 'text' })
  channel!: string;

  @Property({ type: 'text' })
  externalId!: string;

  /** Minor units (purchases and refunds). */
  @Property({ type: 'integer', nullable: true })
  amount?: number | null;

  @Property({ type: 'text', nullable: true })
  currency?: string | null;

  /** The purchase a refund reverses. */
  @ManyToOne({ entity: () => Activity, nullable: true })
  refundOf?: Rel<Activity> | null;

  @Property({ type: 'datetime' })
  occurredAt!: Date;

  @Property({ type: 'datetime' })
  postedAt!: Date;

  /** Points it moved: earned (positive), or taken back by a refund (negative). */
  @Property({ type: 'integer', default: 0 })
  points: Opt<number> = 0;

  /** Why it earned less than its rule gives (a daily limit, once only), when it did. */
  @Property({ type: 'text', nullable: true })
  note?: string | null;

  /** A purchase's tier multiplier (thousandths), kept so refunds take back at the same rate. */
  @Property({ type: 'integer', nullable: true })
  multiplierPermille?: number | null;

  /** A purchase's points rate as applied (points per `ratePer` minor units). */
  @Property({ type: 'integer', nullable: true })
  ratePoints?: number | null;

  @Property({ type: 'integer', nullable: true })
  ratePer?: number | null;

  /** A purchase: of its points, those campaigns granted (see `campaign_grant`). */
  @Property({ type: 'integer', default: 0 })
  campaignPoints: Opt<number> = 0;

  /** A purchase: of the campaign points, those refunds took back so far. */
  @Property({ type: 'integer', default: 0 })
  campaignPointsTakenBack: Opt<number> = 0;

  /** A purchase: how much of it refunds reversed so far. */
  @Property({ type: 'integer', default: 0 })
  refundedAmount: Opt<number> = 0;

  /** A purchase: points refunds took back so far. */
  @Property({ type: 'integer', default: 0 })
  pointsTakenBack: Opt<number> = 0;

  /** A purchase: points the member paid part of it with. */
  @Property({ type: 'integer', default: 0 })
  pointsUsed: Opt<number> = 0;

  /** A purchase: of those, points refunds gave back (into the lots they came from). */
  @Property({ type: 'integer', default: 0 })
  pointsRestored: Opt<number> = 0;

  /** A purchase paid partly with points: the spend. */
  @Property({ type: 'uuid', nullable: true })
  spendJournalId?: string | null;

  /** The lot it earned (purchases and actions that earned). */
  @Property({ type: 'uuid', nullable: true })
  lotId?: string | null;

  @Property({ type: 'text' })
  requestHash!: string;

  /**
   * The order activities were applied in (`nextval('activity_seq')` at insert): a member's are
   * applied one at a time, under their lock, in this order.
   */
  @Property({ type: 'bigint' })
  seq!: number;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** A member's birthday (month and day, no year), for the birthday-month multiplier: set once by the member. */
@Entity({ tableName: 'member_birthday' })
@Check({ name: 'member_birthday_valid', expression: '((month >= 1) AND (month <= 12)) AND ((day >= 1) AND (day <= 31))' })
export class MemberBirthday {
  @OneToOne({ entity: () => Member, primary: true, owner: true, updateRule: 'no action' })
  member!: Rel<Member>;

  @Property({ type: 'smallint' })
  month!: number;

  @Property({ type: 'smallint' })
  day!: number;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  setAt: Opt<Date> = new Date();
}

/** An API key of one of our channels (app, online shop, store POS, mini-program): shown once, stored as its SHA-256, revocable. */
@Entity({ tableName: 'channel_api_key' })
export class ChannelApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The channel it reports in (`store-pos`): a key records activities in its own channel only. */
  @Property({ type: 'text' })
  channel!: string;

  @Property({ type: 'text', unique: true })
  keyHash!: string;

  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
