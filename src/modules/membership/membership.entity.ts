import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { BundleVersion } from '../bundle/index.js';
import { Member } from '../member/index.js';
import { Plan } from '../plan/index.js';

export enum MembershipStatus {
  /** Waiting for the payment provider to confirm. */
  PENDING_PAYMENT = 'PENDING_PAYMENT',
  /** A free trial: rights as the plan's trial grants them, converting to paid at its end unless cancelled. */
  TRIALING = 'TRIALING',
  ACTIVE = 'ACTIVE',
  /** A renewal charge failed: retried on the plan's schedule during its grace, then the membership ends. */
  PAST_DUE = 'PAST_DUE',
  /** Payment failed or was abandoned; never became active. */
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  /** Ended by cancellation at period end or refund. */
  CANCELED = 'CANCELED',
  /** Ended: renewal off, or unpaid after its grace. */
  EXPIRED = 'EXPIRED',
}

/** Statuses of a membership that is not over: at most one per member. */
export const LIVE_MEMBERSHIP_STATUSES = [
  MembershipStatus.PENDING_PAYMENT,
  MembershipStatus.TRIALING,
  MembershipStatus.ACTIVE,
  MembershipStatus.PAST_DUE,
] as const;

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
  expression: `create unique index "membership_one_live_per_member" on "membership" ("member_id") where "status" in ('PENDING_PAYMENT', 'TRIALING', 'ACTIVE', 'PAST_DUE')`,
})
// One free trial per member, ever.
@Index({
  name: 'membership_one_trial_per_member',
  expression: `create unique index "membership_one_trial_per_member" on "membership" ("member_id") where "trial_ends_at" is not null`,
})
// What is due next, for workers (members on real time) and for each test clock: jobs read
// these indexes, never every membership.
@Index({
  name: 'membership_due',
  expression: `create index "membership_due" on "membership" ("next_due_at") where "next_due_at" is not null and "test_clock_id" is null`,
})
@Index({
  name: 'membership_due_on_clock',
  expression: `create index "membership_due_on_clock" on "membership" ("test_clock_id", "next_due_at") where "next_due_at" is not null and "test_clock_id" is not null`,
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

  /** Renews at the period end through the member's mandate; the member can turn it off and on. */
  @Property({ type: 'boolean', default: true })
  autoRenew: Opt<boolean> = true;

  /** The provider's recurring-payment mandate renewals are charged to; null when the member gave none. */
  @Property({ type: 'text', nullable: true })
  mandateId?: string | null;

  /** The test clock of its member (outside production): everything due runs at that clock's time. */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  /** End of the free trial, for a membership that started with one (set once, kept after it converts). */
  @Property({ type: 'datetime', nullable: true })
  trialEndsAt?: Date | null;

  /** The earliest instant something is due (a reminder, a renewal, a retry, a month of rights, the grace's end); null when nothing is. */
  @Property({ type: 'datetime', nullable: true })
  nextDueAt?: Date | null;

  /** The period end the renewal reminder was sent for. */
  @Property({ type: 'datetime', nullable: true })
  remindedFor?: Date | null;

  /** When the renewal of the current period first failed (PAST_DUE). */
  @Property({ type: 'datetime', nullable: true })
  pastDueSince?: Date | null;

  /** When a PAST_DUE membership ends if still unpaid. */
  @Property({ type: 'datetime', nullable: true })
  graceEndsAt?: Date | null;

  /** Failed charges of the current period's renewal so far. */
  @Property({ type: 'integer', default: 0 })
  failedAttempts: Opt<number> = 0;

  /** The plan the next period is on (a change at the period end); null: the same plan. */
  @ManyToOne({ entity: () => Plan, nullable: true })
  nextPlan?: Rel<Plan> | null;

  /** When it ended (cancelled, expired, refunded). */
  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export enum PaymentStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  /** Refunded in full (a partial refund leaves it SUCCEEDED with `refundedAmount`). */
  REFUNDED = 'REFUNDED',
}

/** What a charge pays for. */
export enum PaymentKind {
  /** The first period, at subscription. */
  INITIAL = 'INITIAL',
  /** A renewal through the mandate (a retry during grace too). */
  RENEWAL = 'RENEWAL',
  /** The first paid period after a free trial. */
  TRIAL_CONVERSION = 'TRIAL_CONVERSION',
  /** The member paying a PAST_DUE period themselves (a one-off charge or a new mandate). */
  RECOVERY = 'RECOVERY',
  /** The difference owed for a plan change now. */
  PRORATION = 'PRORATION',
}

/** Kinds that pay for a whole period: at most one of them succeeds per membership and period. */
export const PERIOD_PAYMENT_KINDS = [PaymentKind.INITIAL, PaymentKind.RENEWAL, PaymentKind.TRIAL_CONVERSION, PaymentKind.RECOVERY] as const;

/** One charge for a membership, confirmed by the provider now or later. */
@Entity({ tableName: 'payment' })
// A member's payments are found through their memberships (data export, refunds).
@Index({ properties: ['membership'] })
// A period is paid once: a second success for it (a retry racing the member paying
// themselves) is refused here and refunded. (SUCCEEDED or REFUNDED, written as "neither
// PENDING nor FAILED": a fresh database adds REFUNDED in the same transaction, where PostgreSQL
// refuses to use a new enum value.)
@Index({
  name: 'payment_one_success_per_period',
  expression: `create unique index "payment_one_success_per_period" on "payment" ("membership_id", "period_start", "member_id") where "status" not in ('PENDING', 'FAILED') and "kind" <> 'PRORATION'`,
})
// And charged one attempt at a time. (Both keys name the member last: a membership is one
// member's, so that changes nothing but lets Citus enforce them per shard, docs/citus.md.)
@Index({
  name: 'payment_one_pending_per_period',
  expression: `create unique index "payment_one_pending_per_period" on "payment" ("membership_id", "period_start", "member_id") where "status" = 'PENDING'`,
})
export class Payment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Membership })
  membership!: Rel<Membership>;

  /** The membership's member: the Citus distribution column (docs/citus.md); no foreign key of its own, the membership's is the one. */
  @Property({ type: 'uuid' })
  memberId!: string;

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

  @Enum({ items: () => PaymentKind, nativeEnumName: 'payment_kind', default: PaymentKind.INITIAL })
  kind: Opt<PaymentKind> = PaymentKind.INITIAL;

  /** The plan it pays for. */
  @ManyToOne({ entity: () => Plan, nullable: true })
  plan?: Rel<Plan> | null;

  /** The period it pays for (a proration: the rest of the period it changes). */
  @Property({ type: 'datetime', nullable: true })
  periodStart?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  periodEnd?: Date | null;

  /** Charged through this mandate (renewals); null when the payer confirmed it. */
  @Property({ type: 'text', nullable: true })
  mandateId?: string | null;

  /** 1 for the first charge of its period, then each retry. */
  @Property({ type: 'integer', default: 1 })
  attempt: Opt<number> = 1;

  /** Why the provider refused it. */
  @Property({ type: 'text', nullable: true })
  failureReason?: string | null;

  /** Given back so far, in minor units of `currency`. */
  @Property({ type: 'integer', default: 0 })
  refundedAmount: Opt<number> = 0;

  /** A plan change's credit: what the unused part of the previous period paid towards this one (not charged again). */
  @Property({ type: 'integer', default: 0 })
  creditApplied: Opt<number> = 0;

  /** When the provider should be asked again (a charge still PENDING). */
  @Property({ type: 'datetime', nullable: true })
  queryAt?: Date | null;

  /** The request (or job run) that made the charge: what its confirmation does later is logged and queued under it. */
  @Property({ type: 'text', nullable: true })
  requestId?: string | null;

  /** Its creation on the membership's clock (a member on a test clock pays at the clock's time). */
  @Property({ type: 'datetime', nullable: true })
  chargedAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  settledAt?: Date | null;
}

export enum RefundStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

/** Money given back on one payment (all of it or part), asked of the provider by our refund id. */
@Entity({ tableName: 'payment_refund' })
@Index({ properties: ['payment'] })
@Check({ name: 'payment_refund_amount_positive', expression: 'amount > 0' })
export class PaymentRefund {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Payment })
  payment!: Rel<Payment>;

  /** The payment's member: the Citus distribution column (docs/citus.md); no foreign key of its own, the payment's is the one. Part of the primary key, (id, member_id). */
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'integer' })
  amount!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: () => RefundStatus, nativeEnumName: 'refund_status' })
  status!: RefundStatus;

  /** Why: MEMBER_REQUEST, ADMIN, UNWANTED_CHARGE (paid for nothing), PLAN_CHANGE (a credit). */
  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  /** On the membership's clock. */
  @Property({ type: 'datetime' })
  requestedAt!: Date;

  /** When a refund the provider has not answered is asked for again (on the membership's clock). */
  @Property({ type: 'datetime', nullable: true })
  retryAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  settledAt?: Date | null;
}

/**
 * One thing that happened to a membership, for support's timeline: subscribed, charged,
 * reminded, renewed, past due, resumed, plan changed, refunded, ended. Append-only.
 */
@Entity({ tableName: 'membership_event' })
@Index({ properties: ['membership', 'at'] })
export class MembershipEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Membership, deleteRule: 'cascade' })
  membership!: Rel<Membership>;

  /** The membership's member: the Citus distribution column (docs/citus.md); no foreign key of its own, the membership's is the one. Part of the primary key, (id, member_id). */
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  type!: string;

  /** When it happened, on the membership's clock. */
  @Property({ type: 'datetime' })
  at!: Date;

  /** What support needs to read it (amounts, payment and plan ids, reasons). */
  @Property({ type: 'json', nullable: true })
  data?: Record<string, unknown> | null;

  /** When it was written (real time; orders events at the same instant). */
  @Property({ type: 'datetime', defaultRaw: 'clock_timestamp()' })
  recordedAt: Opt<Date> = new Date();
}

/**
 * The payment provider's notifications, as received (an inbox): each verified notification is
 * stored once (the same notification delivered again, by the provider's retries or a replay,
 * is the same row) and answered at once, then applied to its charge; `applied_at` says it was.
 * One not applied a few seconds after it came (a process that stopped meanwhile) is applied by
 * the workers' due work. Nothing accepted is lost.
 */
@Entity({ tableName: 'payment_notification' })
// Once per provider's notification (its member last: a notification is about one member's charge, docs/citus.md).
@Unique({ name: 'payment_notification_provider_notification_unique', properties: ['provider', 'notificationId', 'memberId'] })
@Index({
  name: 'payment_notification_unapplied',
  expression: `create index "payment_notification_unapplied" on "payment_notification" ("apply_at") where "applied_at" is null`,
})
export class PaymentNotificationRecord {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  notificationId!: string;

  @Property({ type: 'uuid' })
  paymentId!: string;

  /** The payment's member, found with the payment when the notification is stored: the Citus distribution column. Part of the primary key, (id, member_id). */
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  outcome!: string;

  @Property({ type: 'text', nullable: true })
  providerReference?: string | null;

  @Property({ type: 'text', nullable: true })
  failureReason?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  receivedAt: Opt<Date> = new Date();

  /** When the workers apply it if it is still unapplied then (applied at once, normally; later again after a failure). */
  // As PostgreSQL prints it back, so that migration:check sees no difference.
  @Property({ type: 'datetime', defaultRaw: `(now() + '00:00:10'::interval)` })
  applyAt?: Opt<Date>;

  /** When it was applied to its charge (which may have been settled already: then it changed nothing). */
  @Property({ type: 'datetime', nullable: true })
  appliedAt?: Date | null;
}
