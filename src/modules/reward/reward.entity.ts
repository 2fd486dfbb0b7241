import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';

export enum RewardRedemptionStatus {
  /** Points spent, the right granted. */
  REDEEMED = 'REDEEMED',
  /** Given back before any of it was used: the points back in their lots, the right revoked. */
  CANCELED = 'CANCELED',
}

/**
 * A reward a member bought with points: the spend's journal, the right that delivers it (a
 * voucher, a quota unit, converted units at a partner) and its fate. The same idempotency key of
 * a member is one redemption.
 */
@Entity({ tableName: 'reward_redemption' })
@Unique({ properties: ['member', 'idempotencyKey'] })
@Index({ properties: ['member', 'redeemedAt'] })
export class RewardRedemption {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** The reward's code (the catalog row may change later; what was bought is kept here). */
  @Property({ type: 'text' })
  rewardCode!: string;

  @Property({ type: 'integer' })
  points!: number;

  /** The ledger's spend. */
  @Property({ type: 'uuid' })
  spendJournalId!: string;

  /** The right that delivers it; null for a reward without a benefit. */
  @Property({ type: 'uuid', nullable: true })
  entitlementId?: string | null;

  @Enum({ items: () => RewardRedemptionStatus, nativeEnumName: 'reward_redemption_status' })
  status!: RewardRedemptionStatus;

  /** When it was redeemed, on the member's clock. */
  @Property({ type: 'datetime' })
  redeemedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  canceledAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
