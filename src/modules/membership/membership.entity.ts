import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { BundleVersion } from '../bundle/index.js';
import { Member } from '../member/index.js';
import { Plan } from '../plan/index.js';

export enum MembershipStatus {
  /** Waiting for the payment provider to confirm. */
  PENDING_PAYMENT = 'PENDING_PAYMENT',
  ACTIVE = 'ACTIVE',
  /** Payment failed or was abandoned; never became active. */
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  /** Ended by cancellation at period end or refund. */
  CANCELED = 'CANCELED',
  EXPIRED = 'EXPIRED',
}

/**
 * A member's paid membership of a plan (the GraphQL type is `Membership`, never
 * `Subscription`). It pins the bundle version it was sold with.
 */
@Entity({
  tableName: 'membership',
  // An erased member never gets a new membership, even from a request that was in flight
  // while the erasure committed (the lock waits for it, then sees `erased_at`), or from a
  // process whose member cache is a few seconds stale.
  triggers: [
    {
      name: 'member_not_erased',
      timing: 'before',
      events: ['insert'],
      forEach: 'row',
      body: `perform 1 from member where id = new.member_id and erased_at is null for key share; if not found then raise exception 'member % is erased or unknown', new.member_id using errcode = 'restrict_violation'; end if; return new;`,
    },
  ],
})
@Unique({ properties: ['member', 'idempotencyKey'] })
// At most one live membership per member, whatever the concurrency.
@Index({
  name: 'membership_one_live_per_member',
  expression: `create unique index "membership_one_live_per_member" on "membership" ("member_id") where "status" in ('PENDING_PAYMENT', 'ACTIVE')`,
})
export class Membership {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Member })
  member!: Rel<Member>;

  @ManyToOne({ entity: () => Plan })
  plan!: Rel<Plan>;

  @ManyToOne({ entity: () => BundleVersion })
  bundleVersion!: Rel<BundleVersion>;

  @Enum({ items: () => MembershipStatus, nativeEnumName: 'membership_status' })
  status!: MembershipStatus;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  /** Start of the current paid term; null until payment is confirmed. */
  @Property({ type: 'datetime', nullable: true })
  currentPeriodStart?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  currentPeriodEnd?: Date | null;

  @Property({ type: 'boolean', default: false })
  cancelAtPeriodEnd: Opt<boolean> = false;

  @Property({ type: 'datetime', nullable: true })
  canceledAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export enum PaymentStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  REFUNDED = 'REFUNDED',
}

/** One charge for a membership term, confirmed by the provider now or later. */
@Entity({ tableName: 'payment' })
// A member's payments are found through their memberships (data export, refunds).
@Index({ properties: ['membership'] })
export class Payment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Membership })
  membership!: Rel<Membership>;

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  @Property({ type: 'integer' })
  amount!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: () => PaymentStatus, nativeEnumName: 'payment_status' })
  status!: PaymentStatus;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  settledAt?: Date | null;
}
