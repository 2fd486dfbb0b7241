import { createHash } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MandateResult } from '../../../payments/sdk/index.js';
import { AuditLog, type AuditContext } from '../audit/index.js';
import { restrictViolation, uniqueViolation } from '../../platform/sql.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import {
  LIVE_MEMBERSHIP_STATUSES,
  Membership,
  MembershipEvent,
  MembershipStatus,
  Payment,
  PaymentKind,
  PaymentRefund,
  PaymentStatus,
  PERIOD_PAYMENT_KINDS,
} from './membership.entity.js';
import { MembershipError } from './membership.errors.js';
import { MembershipLifecycle, type Effect, type LifecycleOptions } from './lifecycle.js';
import { addDays, periodEndAfter, unusedShare } from './periods.js';
import { receivePaymentNotification, type NotificationAnswer } from './payment-notifications.js';
import { MembershipEventType, recordEvent } from './timeline.js';
import { BundleVersion } from '../bundle/index.js';
import { Member } from '../member/index.js';
import { MomentKind, Moments } from '../moments/index.js';
import { Plan, RefundPolicy } from '../plan/index.js';

export type MembershipServiceOptions = LifecycleOptions;

const MAX_KEY_LENGTH = 200;
const LIVE = [...LIVE_MEMBERSHIP_STATUSES];

/** A membership as the API reads it: its columns, its references by id. */
export type MembershipView = Pick<
  Membership,
  'id' | 'status' | 'currentPeriodStart' | 'currentPeriodEnd' | 'cancelAtPeriodEnd' | 'canceledAt' | 'autoRenew' | 'trialEndsAt' | 'pastDueSince' | 'graceEndsAt' | 'endedAt' | 'createdAt'
> & { member: { id: string }; plan: { id: string }; bundleVersion: { id: string }; nextPlan: { id: string } | null };

interface MembershipRow {
  id: string;
  member_id: string;
  plan_id: string;
  bundle_version_id: string;
  next_plan_id: string | null;
  status: MembershipStatus;
  current_period_start: Date | string | null;
  current_period_end: Date | string | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | string | null;
  auto_renew: boolean;
  trial_ends_at: Date | string | null;
  past_due_since: Date | string | null;
  grace_ends_at: Date | string | null;
  ended_at: Date | string | null;
  created_at: Date | string;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function membershipView(row: MembershipRow): MembershipView {
  return {
    id: row.id,
    member: { id: row.member_id },
    plan: { id: row.plan_id },
    bundleVersion: { id: row.bundle_version_id },
    nextPlan: row.next_plan_id ? { id: row.next_plan_id } : null,
    status: row.status,
    currentPeriodStart: dateOrNull(row.current_period_start),
    currentPeriodEnd: dateOrNull(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    canceledAt: dateOrNull(row.canceled_at),
    autoRenew: row.auto_renew,
    trialEndsAt: dateOrNull(row.trial_ends_at),
    pastDueSince: dateOrNull(row.past_due_since),
    graceEndsAt: dateOrNull(row.grace_ends_at),
    endedAt: dateOrNull(row.ended_at),
    createdAt: new Date(row.created_at),
  };
}

/** When a plan change takes effect. */
export enum PlanChangeTiming {
  /** Now: a new period on the new plan, the unused part of the current one credited. */
  IMMEDIATELY = 'IMMEDIATELY',
  /** At the current period's end: the renewal is on the new plan. */
  AT_PERIOD_END = 'AT_PERIOD_END',
}

/** What a plan change would cost or give back. */
export interface PlanChangeQuote {
  fromPlanCode: string;
  toPlanCode: string;
  timing: PlanChangeTiming;
  /** The unused part of the current period, credited (IMMEDIATELY). */
  credit: { amount: number; currency: string };
  /** Charged now. */
  amountDue: { amount: number; currency: string };
  /** Given back now (a credit larger than the new price). */
  refund: { amount: number; currency: string };
  /** What each renewal on the new plan charges. */
  nextCharge: { amount: number; currency: string };
  periodStart: Date;
  periodEnd: Date;
  at: Date;
}

/** What a refund of a membership now would give back, under its plan's policy. */
export interface RefundQuote {
  membershipId: string;
  policy: RefundPolicy;
  /** Paid for the current period (charges of the period and prorations, minus refunds so far). */
  paid: { amount: number; currency: string };
  /** The share of the period not yet lived, 0 to 1. */
  unusedShare: number;
  /** Member-facing value of the benefits used this period (what PRO_RATA_MINUS_USED deducts). */
  usedValue: { amount: number; currency: string };
  /** What the member would get back now. */
  amount: { amount: number; currency: string };
  at: Date;
}

/**
 * Paid memberships as members and support act on them: subscribe (with a free trial and a
 * renewal mandate), cancel, turn auto-renewal off and on, pay a renewal that failed, refund
 * under the plan's policy; and what they read: payments and the timeline. What happens on its
 * own as time passes is in {@link MembershipLifecycle}.
 */
export class MembershipService {
  readonly lifecycle: MembershipLifecycle;

  constructor(
    private readonly em: EntityManager,
    private readonly options: MembershipServiceOptions,
  ) {
    this.lifecycle = new MembershipLifecycle(em, options);
  }

  /** The request's clock: the member's test clock when the caller is on one. */
  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The member's live membership (pending payment, trialing, active or past due), or null. */
  current(memberId: string): Promise<Membership | null> {
    return this.em.findOne(Membership, { member: memberId, status: { $in: LIVE } });
  }

  /** {@link current} as a view, in one plain statement (the member page reads it on every view; nothing here writes it). */
  async currentView(memberId: string): Promise<MembershipView | null> {
    const [row] = await this.em.execute<MembershipRow[]>(
      `select id, member_id, plan_id, bundle_version_id, next_plan_id, status, current_period_start, current_period_end, cancel_at_period_end, canceled_at,
              auto_renew, trial_ends_at, past_due_since, grace_ends_at, ended_at, created_at
         from membership where member_id = ? and status = any(?::membership_status[]) limit 1`,
      [memberId, `{${LIVE.join(',')}}`],
    );
    return row ? membershipView(row) : null;
  }

  /** One of the member's memberships; someone else's is NOT_FOUND, like an unknown id. */
  private async owned(memberId: string | null, membershipId: string, em = this.em): Promise<Membership> {
    const found = isUuid(membershipId)
      ? await em.findOne(Membership, memberId ? { id: membershipId, member: memberId } : { id: membershipId })
      : null;
    if (!found) throw AppError.notFound('Membership', membershipId);
    return found;
  }

  /**
   * Buys `planCode`, or starts its free trial (`trial`: one per member, ever). The member gives
   * a renewal mandate at once (a trial needs one: MANDATE_REFUSED otherwise; a paid membership
   * without one simply does not renew on its own). The same idempotency key with the same
   * request returns the first membership; with another, IDEMPOTENCY_CONFLICT. A member holds at
   * most one live membership (ALREADY_MEMBER).
   */
  async subscribe(memberId: string, planCode: string, idempotencyKey: string, options: { trial?: boolean } = {}): Promise<Membership> {
    const trial = options.trial ?? false;
    new InputValidator()
      .check(planCode.trim().length > 0, 'planCode', 'must not be empty')
      .check(idempotencyKey.trim().length > 0, 'idempotencyKey', 'must not be empty')
      .check(idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`)
      .throwIfInvalid();

    const replay = await this.replay(memberId, planCode, idempotencyKey, trial);
    if (replay) return replay;

    const now = this.now();
    const plan = await this.em.findOne(Plan, { code: planCode, active: true });
    if (!plan) throw AppError.notFound('Plan', planCode);
    if (trial) {
      new InputValidator().check(plan.trialDays > 0, 'trial', `plan ${planCode} has no free trial`).throwIfInvalid();
      if ((await this.em.count(Membership, { member: memberId, trialEndsAt: { $ne: null } })) > 0) throw MembershipError.trialAlreadyUsed();
    }
    const version = await this.em.findOne(
      BundleVersion,
      { bundle: plan.bundle.id, effectiveFrom: { $lte: now } },
      { orderBy: { effectiveFrom: 'desc', version: 'desc' } },
    );
    if (!version) throw AppError.notFound('Plan', planCode);
    const clock = await this.options.clocks?.of(this.em, memberId);

    // The mandate first, outside any transaction (asking again with the same id returns the same one).
    const mandate = await this.requestMandate(memberId, plan, `subscribe:${memberId}:${idempotencyKey}`).catch((error: unknown) => {
      if (trial) throw error;
      this.options.logger?.warn({ err: error, memberId }, 'mandate request failed; the membership will not renew on its own');
      return null;
    });
    const mandateGiven = mandate !== null && mandate.status !== 'REFUSED';
    if (trial && !mandateGiven) throw MembershipError.mandateRefused();

    let created: { membership: Membership; payment: Payment | null };
    try {
      created = await this.em.transactional(async (em) => {
        const membership = em.create(Membership, {
          member: em.getReference(Member, memberId),
          plan,
          bundleVersion: version,
          status: trial ? MembershipStatus.TRIALING : MembershipStatus.PENDING_PAYMENT,
          idempotencyKey,
          autoRenew: mandateGiven,
          mandateId: mandateGiven ? mandate!.mandateId : null,
          testClockId: clock?.clockId ?? null,
          ...(trial ? { currentPeriodStart: now, currentPeriodEnd: addDays(now, plan.trialDays), trialEndsAt: addDays(now, plan.trialDays) } : {}),
        });
        const payment = trial ? null : this.lifecycle.createPayment(em, membership, plan, { kind: PaymentKind.INITIAL, attempt: 1, mandateId: null, now, periodStart: null, periodEnd: null });
        await em.flush();
        await recordEvent(em, membership, trial ? MembershipEventType.TRIAL_STARTED : MembershipEventType.SUBSCRIBED, now, {
          planCode,
          bundleVersionId: version.id,
          ...(trial ? { trialEndsAt: membership.trialEndsAt!.toISOString() } : { paymentId: payment!.id, amount: { amount: plan.priceAmount, currency: plan.currency } }),
        });
        await recordEvent(em, membership, mandateGiven ? MembershipEventType.MANDATE_GIVEN : MembershipEventType.MANDATE_REFUSED, now, mandateGiven ? { mandateId: mandate!.mandateId } : {});
        if (trial) await this.options.rights.refresh(em, [membership.id], now);
        membership.nextDueAt = await this.lifecycle.computeNextDue(em, membership, plan, now);
        await em.flush();
        // A member joins once: their first subscription (a trial included) is the moment.
        await Moments.record(em, {
          memberId,
          kind: MomentKind.JOINED,
          occurredAt: now,
          data: { planCode, planName: plan.name },
          dedupeKey: `JOINED:${memberId}`,
          clockId: clock?.clockId ?? null,
        });
        return { membership, payment };
      });
    } catch (error) {
      // The member was erased while this request was on its way (the trigger member_not_erased).
      if (restrictViolation(error)) throw AppError.unauthenticated('This account was deleted; sign in again to start a new one');
      const constraint = uniqueViolation(error);
      if (constraint === undefined) throw error;
      // A concurrent request won the race. With the same key it is a retry of this one:
      // answer as it did. (Which unique index reports the clash first is up to PostgreSQL.)
      const winner = await this.replay(memberId, planCode, idempotencyKey, trial, true);
      if (winner) return winner;
      if (constraint === 'membership_one_trial_per_member') throw MembershipError.trialAlreadyUsed();
      if (constraint === 'membership_one_live_per_member') throw MembershipError.alreadyMember(planCode);
      throw error;
    }
    if (created.payment) await this.lifecycle.chargeAndWait(created.payment.id);
    return this.em.fork().findOneOrFail(Membership, { id: created.membership.id });
  }

  private async requestMandate(memberId: string, plan: Plan, requestKey: string): Promise<MandateResult> {
    return this.options.payments.createMandate({
      mandateRequestId: `m${createHash('sha256').update(requestKey).digest('hex').slice(0, 31)}`,
      payerId: this.options.payerIdOf(memberId),
      planCode: plan.code,
      maxAmount: plan.priceAmount,
      currency: plan.currency,
    });
  }

  private async replay(memberId: string, planCode: string, idempotencyKey: string, trial: boolean, fresh = false): Promise<Membership | null> {
    const em = fresh ? this.em.fork() : this.em;
    const existing = await em.findOne(Membership, { member: memberId, idempotencyKey }, { populate: ['plan'] });
    if (!existing) return null;
    if (existing.plan.code !== planCode || (existing.trialEndsAt != null) !== trial) throw AppError.idempotencyConflict();
    if (existing.status === MembershipStatus.PENDING_PAYMENT) {
      // The first attempt may have stopped before charging: charge again (providers dedupe on payment id).
      const payment = await em.findOne(Payment, { membership: existing.id, status: PaymentStatus.PENDING, kind: PaymentKind.INITIAL });
      if (payment) {
        await this.lifecycle.chargeAndWait(payment.id);
        return this.em.fork().findOneOrFail(Membership, { id: existing.id });
      }
    }
    return existing;
  }

  /** Records the provider's verdict on a payment (a synchronous answer, a notification, a query). Idempotent. */
  async settlePayment(paymentId: string, outcome: 'SUCCEEDED' | 'FAILED', providerReference?: string): Promise<Membership> {
    const payment = isUuid(paymentId) ? await this.em.fork().findOne(Payment, { id: paymentId }) : null;
    if (!payment) throw AppError.notFound('Payment', paymentId);
    await this.lifecycle.settle(paymentId, { outcome, ...(providerReference ? { providerReference } : {}) });
    return this.em.fork().findOneOrFail(Membership, { id: payment.membership.id });
  }

  /**
   * Cancels: a membership waiting for its first payment ends now; an active or trialing one at
   * the end of its period (rights stay until then; a trial does not convert); a PAST_DUE one
   * now, since its period is unpaid (its rights are revoked).
   */
  async cancelAtPeriodEnd(memberId: string, membershipId: string): Promise<Membership> {
    await this.owned(memberId, membershipId);
    const now = this.now();
    return this.mutate(membershipId, now, async (tx, m) => {
      if (m.status === MembershipStatus.PENDING_PAYMENT) {
        m.status = MembershipStatus.CANCELED;
        m.canceledAt = now;
        m.endedAt = now;
        await recordEvent(tx, m, MembershipEventType.ENDED, now, { reason: 'CANCELED_BEFORE_PAYMENT', status: m.status });
      } else if ((m.status === MembershipStatus.ACTIVE || m.status === MembershipStatus.TRIALING) && !m.cancelAtPeriodEnd) {
        m.cancelAtPeriodEnd = true;
        m.canceledAt = now;
        await recordEvent(tx, m, MembershipEventType.CANCEL_REQUESTED, now, { endsAt: m.currentPeriodEnd!.toISOString() });
      } else if (m.status === MembershipStatus.PAST_DUE) {
        m.status = MembershipStatus.CANCELED;
        m.canceledAt = now;
        m.endedAt = now;
        m.cancelAtPeriodEnd = true;
        await this.options.rights.revokeMembershipRights(tx, m.id, now);
        await recordEvent(tx, m, MembershipEventType.ENDED, now, { reason: 'CANCELED_WHILE_PAST_DUE', status: m.status });
      }
    });
  }

  /**
   * Turns renewal through the mandate on or off (`cancelAtPeriodEnd` is separate: a cancelled
   * membership ends at its period's end either way). Turning it on without a mandate asks the
   * provider for one (MANDATE_REFUSED when refused; nothing changes).
   */
  async setAutoRenew(memberId: string, membershipId: string, on: boolean): Promise<Membership> {
    const membership = await this.owned(memberId, membershipId);
    if (!(LIVE as string[]).includes(membership.status)) {
      throw AppError.badInput([{ field: 'membershipId', message: `a ${membership.status} membership does not renew` }]);
    }
    let mandateId: string | null = null;
    if (on && !membership.mandateId) {
      const plan = await this.em.findOneOrFail(Plan, { id: membership.plan.id });
      const mandate = await this.requestMandate(memberId, plan, `auto-renew:${membership.id}`);
      if (mandate.status === 'REFUSED') throw MembershipError.mandateRefused();
      mandateId = mandate.mandateId;
    }
    const now = this.now();
    return this.mutate(membershipId, now, async (tx, m) => {
      if (mandateId && !m.mandateId) {
        m.mandateId = mandateId;
        await recordEvent(tx, m, MembershipEventType.MANDATE_GIVEN, now, { mandateId });
      }
      if (m.autoRenew === on) return;
      m.autoRenew = on;
      await recordEvent(tx, m, on ? MembershipEventType.AUTO_RENEW_ON : MembershipEventType.AUTO_RENEW_OFF, now);
    });
  }

  /**
   * Pays a PAST_DUE membership's period now, as a one-off charge or through a new mandate
   * (`newMandate`, which then also pays later renewals). Once the provider confirms, the
   * membership is ACTIVE again in the same period, with no gap; a period is never paid twice
   * (a retry racing this payment is refunded). PAYMENT_IN_PROGRESS while another charge of the
   * period is being confirmed.
   */
  async payPastDue(memberId: string, membershipId: string, options: { newMandate?: boolean } = {}): Promise<Membership> {
    const membership = await this.owned(memberId, membershipId);
    if (membership.status !== MembershipStatus.PAST_DUE) throw MembershipError.notPastDue(membership.status);
    const plan = await this.em.findOneOrFail(Plan, { id: membership.plan.id });
    let mandateId: string | null = null;
    if (options.newMandate) {
      const mandate = await this.requestMandate(memberId, plan, `recovery:${membership.id}:${membership.currentPeriodStart!.toISOString()}`);
      if (mandate.status === 'REFUSED') throw MembershipError.mandateRefused();
      mandateId = mandate.mandateId;
    }
    const now = this.now();
    let paymentId: string | null = null;
    await this.mutate(membershipId, now, async (tx, m) => {
      if (m.status !== MembershipStatus.PAST_DUE) throw MembershipError.notPastDue(m.status);
      const pending = await tx.count(Payment, { membership: m.id, status: PaymentStatus.PENDING, periodStart: m.currentPeriodStart });
      if (pending > 0) throw MembershipError.paymentInProgress();
      if (mandateId) {
        m.mandateId = mandateId;
        m.autoRenew = true;
        await recordEvent(tx, m, MembershipEventType.MANDATE_GIVEN, now, { mandateId });
      }
      const payment = this.lifecycle.createPayment(tx, m, plan, { kind: PaymentKind.RECOVERY, attempt: m.failedAttempts + 1, mandateId, now });
      await tx.flush();
      paymentId = payment.id;
    });
    await this.lifecycle.chargeAndWait(paymentId!);
    return this.em.fork().findOneOrFail(Membership, { id: membershipId });
  }

  /**
   * What refunding the membership now would give back, under its plan's policy (or `policy`,
   * for support): FULL, PRO_RATA (the unused share of the period), or PRO_RATA_MINUS_USED (that,
   * minus the member-facing value of the benefits used this period; never below zero).
   */
  async refundQuote(memberId: string | null, membershipId: string, policy?: RefundPolicy, em: EntityManager = this.em, at?: Date): Promise<RefundQuote> {
    const membership = await this.owned(memberId, membershipId, em);
    const plan = await em.findOneOrFail(Plan, { id: membership.plan.id });
    const chosen = policy ?? plan.refundPolicy;
    const now = at ?? this.now();
    const payments = await this.periodPayments(em, membership);
    const currency = payments[0]?.currency ?? plan.currency;
    const paid = payments.reduce((sum, p) => sum + p.amount + p.creditApplied - p.refundedAmount, 0);
    const share = membership.currentPeriodStart && membership.currentPeriodEnd ? unusedShare(membership.currentPeriodStart, membership.currentPeriodEnd, now) : 0;
    const used = chosen === RefundPolicy.PRO_RATA_MINUS_USED && this.options.value ? await this.options.value.thisPeriod(em, membership, now) : { amount: 0, currency };
    const amount =
      chosen === RefundPolicy.FULL ? paid : chosen === RefundPolicy.PRO_RATA ? Math.floor(paid * share) : Math.max(0, Math.floor(paid * share) - used.amount);
    return {
      membershipId: membership.id,
      policy: chosen,
      paid: { amount: paid, currency },
      unusedShare: share,
      usedValue: used,
      amount: { amount: Math.max(0, Math.min(amount, paid)), currency },
      at: now,
    };
  }

  /** The succeeded charges that paid for the membership's current period (its prorations too). */
  private async periodPayments(em: EntityManager, membership: Membership): Promise<Payment[]> {
    if (!membership.currentPeriodStart || ![MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(membership.status)) return [];
    const all = await em.find(Payment, { membership: membership.id, status: PaymentStatus.SUCCEEDED }, { orderBy: { createdAt: 'desc' } });
    return all.filter((p) => p.periodStart?.getTime() === membership.currentPeriodStart!.getTime());
  }

  /** Every charge of the membership that still holds money, newest first: where refunds are taken from. */
  private async refundable(em: EntityManager, membershipId: string): Promise<Payment[]> {
    const all = await em.find(Payment, { membership: membershipId, status: PaymentStatus.SUCCEEDED }, { orderBy: { createdAt: 'desc', id: 'desc' } });
    return all.filter((p) => p.amount > p.refundedAmount);
  }

  /**
   * Refunds a membership now under its plan's policy (members their own, after seeing the
   * quote: `expectedAmount` must match it, REFUND_QUOTE_CHANGED otherwise; admins any, with an
   * optional `policy`). In one transaction the membership ends, its current rights are revoked
   * here and at partners (status lists flip), the refund is recorded and the `membership.refund`
   * audit row written; then the provider is asked (again later if it does not answer).
   * Refunding an ended membership changes nothing.
   */
  async refund(
    membershipId: string,
    audit: AuditContext,
    options: { memberId?: string; expectedAmount?: number; policy?: RefundPolicy } = {},
  ): Promise<Membership> {
    const membership = await this.owned(options.memberId ?? null, membershipId);
    if (membership.status === MembershipStatus.CANCELED || membership.status === MembershipStatus.EXPIRED) return membership;
    if (![MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(membership.status)) {
      throw AppError.badInput([{ field: 'membershipId', message: `a ${membership.status} membership has no payment to refund` }]);
    }
    const now = this.now();
    const effects: Effect[] = [];
    const result = await this.mutate(
      membershipId,
      now,
      async (tx, m) => {
        if (m.status === MembershipStatus.CANCELED || m.status === MembershipStatus.EXPIRED) return;
        const quote = await this.refundQuote(null, m.id, options.policy, tx, now);
        if (options.expectedAmount !== undefined && options.expectedAmount !== quote.amount.amount) {
          throw MembershipError.quoteChanged('refund', quote.amount.amount, quote.amount.currency);
        }
        // The period's own charges first, then older ones (a plan change's credit came from them).
        const own = await this.periodPayments(tx, m);
        const payments = [...own, ...(await this.refundable(tx, m.id)).filter((p) => !own.includes(p))];
        const paymentsView = () => payments.map((p) => ({ id: p.id, kind: p.kind, status: p.status, amount: p.amount, refunded: p.refundedAmount }));
        const before = {
          membership: { id: m.id, status: m.status, canceledAt: m.canceledAt ?? null, currentPeriodEnd: m.currentPeriodEnd ?? null },
          payments: paymentsView(),
          refund: { policy: quote.policy, paid: quote.paid, usedValue: quote.usedValue, amount: quote.amount },
        };
        m.status = MembershipStatus.CANCELED;
        m.canceledAt = now;
        m.endedAt = now;
        m.currentPeriodEnd = now;
        m.autoRenew = false;
        let left = quote.amount.amount;
        const refunds: string[] = [];
        for (const payment of payments) {
          const part = Math.min(left, payment.amount - payment.refundedAmount);
          if (part <= 0) continue;
          const refund = this.lifecycle.queueRefund(tx, payment, part, options.memberId ? 'MEMBER_REQUEST' : 'ADMIN', now, effects);
          refunds.push(refund.id);
          left -= part;
        }
        await tx.flush();
        await this.options.rights.revokeMembershipRights(tx, m.id, now);
        await recordEvent(tx, m, MembershipEventType.REFUNDED, now, { policy: quote.policy, amount: quote.amount, paid: quote.paid, usedValue: quote.usedValue, refunds });
        await recordEvent(tx, m, MembershipEventType.ENDED, now, { reason: 'REFUNDED', status: m.status });
        await AuditLog.append(tx, audit, {
          action: 'membership.refund',
          subject: m.id,
          before,
          after: { membership: { id: m.id, status: m.status, canceledAt: now, currentPeriodEnd: now }, payments: paymentsView(), refunds },
        });
      },
    );
    await this.lifecycle.perform(effects);
    return result;
  }

  /**
   * What changing to `planCode` would cost: IMMEDIATELY, a new period starts now on the new
   * plan and the unused part of the current one is credited (the paid amount times the unused
   * share); the member pays the new price minus the credit, or gets back what the credit exceeds.
   * AT_PERIOD_END, nothing is due now and the renewal charges the new plan's price.
   */
  async planChangeQuote(memberId: string, membershipId: string, planCode: string, timing: PlanChangeTiming, em: EntityManager = this.em, at?: Date): Promise<PlanChangeQuote> {
    const membership = await this.owned(memberId, membershipId, em);
    const [current, target] = await Promise.all([
      em.findOneOrFail(Plan, { id: membership.plan.id }),
      em.findOne(Plan, { code: planCode, active: true }),
    ]);
    if (!target) throw AppError.notFound('Plan', planCode);
    const now = at ?? this.now();
    new InputValidator()
      .check(target.id !== current.id, 'planCode', `the membership is already on ${planCode}`)
      .check(target.currency === current.currency, 'planCode', `${planCode} is sold in ${target.currency}, the membership was paid in ${current.currency}`)
      .check(
        timing === PlanChangeTiming.AT_PERIOD_END ? [MembershipStatus.ACTIVE, MembershipStatus.TRIALING].includes(membership.status) : membership.status === MembershipStatus.ACTIVE,
        'membershipId',
        timing === PlanChangeTiming.AT_PERIOD_END
          ? `a ${membership.status} membership does not renew`
          : `a ${membership.status} membership changes plan at its period's end only (timing: AT_PERIOD_END)`,
      )
      .throwIfInvalid();
    const money = (amount: number) => ({ amount, currency: target.currency });
    if (timing === PlanChangeTiming.AT_PERIOD_END) {
      const start = membership.currentPeriodEnd!;
      return { fromPlanCode: current.code, toPlanCode: target.code, timing, credit: money(0), amountDue: money(0), refund: money(0), nextCharge: money(target.priceAmount), periodStart: start, periodEnd: periodEndAfter(start, target.billingPeriod, this.options.timeZone), at: now };
    }
    const payments = await this.periodPayments(em, membership);
    const paid = payments.reduce((sum, p) => sum + p.amount + p.creditApplied - p.refundedAmount, 0);
    const credit = Math.floor(paid * unusedShare(membership.currentPeriodStart!, membership.currentPeriodEnd!, now));
    return {
      fromPlanCode: current.code,
      toPlanCode: target.code,
      timing,
      credit: money(credit),
      amountDue: money(Math.max(0, target.priceAmount - credit)),
      refund: money(Math.max(0, credit - target.priceAmount)),
      nextCharge: money(target.priceAmount),
      periodStart: now,
      periodEnd: periodEndAfter(now, target.billingPeriod, this.options.timeZone),
      at: now,
    };
  }

  /**
   * Changes the membership's plan: AT_PERIOD_END, the renewal moves to the new plan (its price,
   * its bundle); IMMEDIATELY, the member pays the quoted difference (`expectedAmount`, the quote's
   * `amountDue`: QUOTE_CHANGED when it moved), and once it is paid a new period starts on the new
   * plan with the current rights carried over (used units kept, never a second full quota) and
   * partners told; a credit larger than the new price is refunded.
   */
  async changePlan(memberId: string, membershipId: string, planCode: string, timing: PlanChangeTiming, expectedAmount?: number): Promise<Membership> {
    await this.owned(memberId, membershipId);
    const now = this.now();
    const effects: Effect[] = [];
    let charge: string | null = null;
    const result = await this.mutate(membershipId, now, async (tx, m) => {
      const quote = await this.planChangeQuote(memberId, m.id, planCode, timing, tx, now);
      if (expectedAmount !== undefined && expectedAmount !== quote.amountDue.amount) throw MembershipError.quoteChanged('plan change', quote.amountDue.amount, quote.amountDue.currency);
      const target = await tx.findOneOrFail(Plan, { code: planCode });
      if (timing === PlanChangeTiming.AT_PERIOD_END) {
        m.nextPlan = target;
        await recordEvent(tx, m, MembershipEventType.PLAN_CHANGE_SCHEDULED, now, { toPlanCode: target.code, at: quote.periodStart.toISOString(), nextCharge: quote.nextCharge });
        return;
      }
      const pending = await tx.count(Payment, { membership: m.id, status: PaymentStatus.PENDING });
      if (pending > 0) throw MembershipError.paymentInProgress();
      const payment = this.lifecycle.createPayment(tx, m, target, {
        kind: PaymentKind.PRORATION,
        attempt: 1,
        mandateId: m.mandateId ?? null,
        now,
        amount: quote.amountDue.amount,
        periodStart: quote.periodStart,
        periodEnd: quote.periodEnd,
      });
      payment.creditApplied = quote.credit.amount - quote.refund.amount;
      await tx.flush();
      if (quote.amountDue.amount > 0) {
        charge = payment.id;
        return;
      }
      // Nothing to pay: the change happens now, and a credit beyond the new price goes back.
      payment.status = PaymentStatus.SUCCEEDED;
      payment.settledAt = now;
      payment.queryAt = null;
      let left = quote.refund.amount;
      for (const paidBefore of await this.refundable(tx, m.id)) {
        if (left <= 0) break;
        if (paidBefore.id === payment.id) continue;
        const part = Math.min(left, paidBefore.amount - paidBefore.refundedAmount);
        this.lifecycle.queueRefund(tx, paidBefore, part, 'PLAN_CHANGE', now, effects);
        left -= part;
      }
      await this.lifecycle.applyPlanChange(tx, m, target, { at: now, periodEnd: quote.periodEnd, paymentId: payment.id });
    });
    await this.lifecycle.perform(effects);
    if (charge) {
      await this.lifecycle.chargeAndWait(charge);
      return this.em.fork().findOneOrFail(Membership, { id: membershipId });
    }
    return result;
  }

  /**
   * Runs `change` on the membership under its row lock, then recomputes when it is next due
   * (what is due changes with what the member did). Returns the membership as committed.
   */
  private async mutate(membershipId: string, now: Date, change: (tx: EntityManager, m: Membership) => Promise<void>): Promise<Membership> {
    const id = await this.em.transactional(async (tx) => {
      const m = await tx.findOneOrFail(Membership, { id: membershipId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      await change(tx, m);
      const plan = await tx.findOneOrFail(Plan, { id: m.plan.id });
      m.nextDueAt = await this.lifecycle.computeNextDue(tx, m, plan, now);
      await tx.flush();
      return m.id;
    });
    return this.em.fork().findOneOrFail(Membership, { id });
  }

  /** The member's payments, newest first, with their refunds. */
  async payments(memberId: string, first: number): Promise<Payment[]> {
    return this.em.find(Payment, { membership: { member: memberId } }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first, populate: ['plan'] });
  }

  /** Refunds of some payments, by payment id. */
  async refundsOf(paymentIds: readonly string[]): Promise<Map<string, PaymentRefund[]>> {
    const refunds = await this.em.find(PaymentRefund, { payment: { $in: [...paymentIds] } }, { orderBy: { requestedAt: 'asc', id: 'asc' } });
    const byPayment = new Map<string, PaymentRefund[]>();
    for (const refund of refunds) byPayment.set(refund.payment.id, [...(byPayment.get(refund.payment.id) ?? []), refund]);
    return byPayment;
  }

  /** A membership's timeline (support), oldest first. */
  async timeline(membershipId: string): Promise<MembershipEvent[]> {
    await this.owned(null, membershipId);
    return this.em.find(MembershipEvent, { membership: membershipId }, { orderBy: { at: 'asc', recordedAt: 'asc', id: 'asc' } });
  }

  /** A payment provider's notification (`POST /payments/{provider}/notify`), verified and applied once. */
  receivePaymentNotification(providerName: string, headers: Readonly<Record<string, string | undefined>>, rawBody: string): Promise<NotificationAnswer> {
    return receivePaymentNotification(
      { em: this.em, lifecycle: this.lifecycle, payments: this.options.payments, ...(this.options.logger ? { logger: this.options.logger } : {}) },
      providerName,
      headers,
      rawBody,
    );
  }

  /** Kinds that pay a whole period, for readers. */
  static readonly periodPaymentKinds = PERIOD_PAYMENT_KINDS;
}
