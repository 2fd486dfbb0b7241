import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';
import { Partner } from '../partner/index.js';

/**
 * Where points are. Every movement is a transfer from one account to another (double entry:
 * what one account is debited another is credited), and an account's balance is its credits
 * minus its debits: a member's account is positive, the program's issuance account as negative
 * as what it ever issued.
 */
export enum PointsAccountKind {
  /** A member's points (their lots' remaining). Never below zero. */
  MEMBER = 'MEMBER',
  /** What a member owes after a refund took back points already spent. Never above zero; later earnings repay it first. */
  MEMBER_DEBT = 'MEMBER_DEBT',
  /** Points the program issued through its own channels. */
  ISSUED = 'ISSUED',
  /** Points a partner issued at its till (it buys them at the agreed price). */
  PARTNER_ISSUED = 'PARTNER_ISSUED',
  /** Points spent on the program's rewards. */
  REDEEMED = 'REDEEMED',
  /** Points burned at a partner's till (we pay the partner for them). */
  PARTNER_REDEEMED = 'PARTNER_REDEEMED',
  /** Points that expired. */
  EXPIRED = 'EXPIRED',
  /** Points refunds took back. */
  REVERSED = 'REVERSED',
}

/**
 * A ledger account. Its id says what it is (`member:<uuid>`, `debt:<uuid>`, `issued`,
 * `partner-issued:<partner>`, …), so postings need no lookup. Only member-owned accounts keep
 * `balance` up to date in the same statement as their transfers (one row per member: no hot
 * row); the program's and partners' balances are the sums of their transfers.
 */
@Entity({ tableName: 'points_account' })
@Check({ name: 'points_account_member_not_negative', expression: `kind <> 'MEMBER' or balance >= 0` })
@Check({ name: 'points_account_debt_not_positive', expression: `kind <> 'MEMBER_DEBT' or balance <= 0` })
export class PointsAccount {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Enum({ items: () => PointsAccountKind, nativeEnumName: 'points_account_kind' })
  kind!: PointsAccountKind;

  @ManyToOne({ entity: () => Member, nullable: true, index: true })
  member?: Rel<Member> | null;

  @ManyToOne({ entity: () => Partner, nullable: true })
  partner?: Rel<Partner> | null;

  @Property({ type: 'bigint', default: 0 })
  balance: Opt<number> = 0;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

export enum PointsJournalKind {
  EARN = 'EARN',
  /** Points taken back by a refund of the purchase that earned them. */
  REVERSAL = 'REVERSAL',
  /** Points spent (a reward, a burn at a partner's till, part of an order). */
  SPEND = 'SPEND',
  /** Spent points given back (the order they paid for was refunded), into the lots they came from. */
  RESTORE = 'RESTORE',
  EXPIRY = 'EXPIRY',
}

/**
 * One business transaction of the ledger (an earning, a refund's take-back, a spend, an
 * expiry), made of balanced transfers. Append-only; the idempotency key makes a repeat return
 * the first outcome.
 */
@Entity({
  tableName: 'points_journal',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'points_journal is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Index({ properties: ['member', 'effectiveAt'] })
export class PointsJournal {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  idempotencyKey!: string;

  /** What the caller asked, to tell a repeat from a conflicting reuse of the key. */
  @Property({ type: 'text' })
  requestHash!: string;

  @Enum({ items: () => PointsJournalKind, nativeEnumName: 'points_journal_kind' })
  kind!: PointsJournalKind;

  @ManyToOne({ entity: () => Member })
  member!: Rel<Member>;

  /** The total it moved to or from the member (positive). */
  @Property({ type: 'integer' })
  points!: number;

  /** The activity it accounts for, when one. */
  @Property({ type: 'uuid', nullable: true, index: true })
  activityId?: string | null;

  /** The journal this one undoes: a take-back's earning, a restore's spend. */
  @Property({ type: 'uuid', nullable: true, index: true })
  reversesId?: string | null;

  /** What it is for, in the member's history ("Purchase in store", "Coffee at BrewBar"). */
  @Property({ type: 'json', nullable: true })
  memo?: Record<string, unknown> | null;

  /** When it counts (the activity's time, on the member's clock). */
  @Property({ type: 'datetime' })
  effectiveAt!: Date;

  /** When it was posted (real time). */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * One movement of points: `amount` debited from one account and credited to another, so
 * debits equal credits by construction. Append-only. Movements in and out of a member's
 * account name the lot they touch.
 */
@Entity({
  tableName: 'points_transfer',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'points_transfer is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Check({ name: 'points_transfer_amount_positive', expression: 'amount > 0' })
@Check({ name: 'points_transfer_two_accounts', expression: 'debit_account_id <> credit_account_id' })
@Index({ properties: ['debitAccount'] })
@Index({ properties: ['creditAccount'] })
export class PointsTransfer {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => PointsJournal, index: true })
  journal!: Rel<PointsJournal>;

  @ManyToOne({ entity: () => PointsAccount })
  debitAccount!: Rel<PointsAccount>;

  @ManyToOne({ entity: () => PointsAccount })
  creditAccount!: Rel<PointsAccount>;

  @Property({ type: 'integer' })
  amount!: number;

  @ManyToOne({ entity: () => PointsLot, nullable: true, index: true })
  lot?: Rel<PointsLot> | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * Points earned together, with their own expiry. Spending and expiry take the oldest lot first.
 * `due_at` is the next instant something is due for it (the expiry reminder, then the expiry),
 * found through an index per clock.
 */
@Entity({ tableName: 'points_lot' })
@Check({ name: 'points_lot_remaining_in_range', expression: 'remaining >= 0 and remaining <= earned' })
@Index({ name: 'points_lot_spendable', expression: `create index "points_lot_spendable" on "points_lot" ("member_id", "expires_at", "earned_at") where "remaining" > 0` })
@Index({ name: 'points_lot_due', expression: `create index "points_lot_due" on "points_lot" ("due_at") where "due_at" is not null and "test_clock_id" is null` })
@Index({
  name: 'points_lot_due_on_clock',
  expression: `create index "points_lot_due_on_clock" on "points_lot" ("test_clock_id", "due_at") where "due_at" is not null and "test_clock_id" is not null`,
})
@Unique({ properties: ['member', 'journal'] })
export class PointsLot {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Member, index: true })
  member!: Rel<Member>;

  /** The earning that created it. */
  @ManyToOne({ entity: () => PointsJournal })
  journal!: Rel<PointsJournal>;

  @Property({ type: 'integer' })
  earned!: number;

  @Property({ type: 'integer' })
  remaining!: number;

  @Property({ type: 'datetime' })
  earnedAt!: Date;

  /** Null: never expires. */
  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  /** The member's test clock (copied: due work is found per clock). */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  @Property({ type: 'datetime', nullable: true })
  dueAt?: Date | null;

  /** When the member was told it expires (on their clock). */
  @Property({ type: 'datetime', nullable: true })
  remindedAt?: Date | null;
}
