import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, SYSTEM_AUDIT, type AuditContext } from '../audit/index.js';
import { restrictViolation, uniqueViolation } from '../../platform/sql.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { addMonths } from '../../platform/zoned-time.js';
import { Membership, MembershipStatus, Payment, PaymentStatus } from './membership.entity.js';
import type { ChargeOutcome, PaymentProvider } from './payment-provider.js';
import { MembershipError } from './membership.errors.js';
import { BundleVersion } from '../bundle/index.js';
import { Member } from '../member/index.js';
import { BillingPeriod, Plan } from '../plan/index.js';

/**
 * What a membership's lifecycle does to the rights it grants: the port this module drives,
 * implemented by the entitlement module (which builds on this one), wired in module.ts.
 */
export interface MembershipRights {
  /** Creates the current period's rights of a membership that just became active (in its transaction). */
  materializeCurrentPeriod(em: EntityManager, membership: { id: string }): Promise<number>;
  /** Takes back now every current right of a membership that ended early (in its transaction). */
  revokeMembershipRights(em: EntityManager, membershipId: string, now: Date): Promise<void>;
}

export interface MembershipServiceOptions {
  payments: PaymentProvider;
  rights: MembershipRights;
  timeZone: string;
  now?: () => Date;
}

const LIVE = [MembershipStatus.PENDING_PAYMENT, MembershipStatus.ACTIVE];
const MAX_KEY_LENGTH = 200;

/** Paid memberships: subscribe (idempotent), payment settlement, cancellation. */
export class MembershipService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: MembershipServiceOptions,
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** The member's live membership (pending payment or active), or null. */
  current(memberId: string): Promise<Membership | null> {
    return this.em.findOne(Membership, { member: memberId, status: { $in: LIVE } });
  }

  /**
   * Buys `planCode`. The same idempotency key with the same plan returns the first
   * membership; with another plan it is IDEMPOTENCY_CONFLICT. A member holds at most
   * one live membership (ALREADY_MEMBER).
   */
  async subscribe(memberId: string, planCode: string, idempotencyKey: string): Promise<Membership> {
    new InputValidator()
      .check(planCode.trim().length > 0, 'planCode', 'must not be empty')
      .check(idempotencyKey.trim().length > 0, 'idempotencyKey', 'must not be empty')
      .check(idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be at most ${MAX_KEY_LENGTH} characters`)
      .throwIfInvalid();

    const replay = await this.replay(memberId, planCode, idempotencyKey);
    if (replay) return replay;

    const plan = await this.em.findOne(Plan, { code: planCode, active: true });
    if (!plan) throw AppError.notFound('Plan', planCode);
    const version = await this.em.findOne(
      BundleVersion,
      { bundle: plan.bundle.id, effectiveFrom: { $lte: this.now() } },
      { orderBy: { effectiveFrom: 'desc', version: 'desc' } },
    );
    if (!version) throw AppError.notFound('Plan', planCode);

    let created: { membership: Membership; payment: Payment };
    try {
      created = await this.em.transactional(async (em) => {
        const membership = em.create(Membership, {
          member: em.getReference(Member, memberId),
          plan,
          bundleVersion: version,
          status: MembershipStatus.PENDING_PAYMENT,
          idempotencyKey,
        });
        const payment = em.create(Payment, {
          membership,
          provider: this.options.payments.name,
          amount: plan.priceAmount,
          currency: plan.currency,
          status: PaymentStatus.PENDING,
        });
        await em.flush();
        return { membership, payment };
      });
    } catch (error) {
      // The member was erased while this request was on its way (the trigger member_not_erased).
      if (restrictViolation(error)) throw AppError.unauthenticated('This account was deleted; sign in again to start a new one');
      const constraint = uniqueViolation(error);
      if (constraint === undefined) throw error;
      // A concurrent request won the race. With the same key it is a retry of this one:
      // answer as it did. (Which unique index reports the clash first is up to PostgreSQL.)
      const winner = await this.replay(memberId, planCode, idempotencyKey, true);
      if (winner) return winner;
      if (constraint === 'membership_one_live_per_member') throw MembershipError.alreadyMember(planCode);
      throw error;
    }
    return this.charge(created.membership.id, created.payment.id, memberId, plan);
  }

  /**
   * Records the provider's verdict on a payment (called at once by synchronous
   * providers, later by an asynchronous one's confirmation). Idempotent.
   */
  async settlePayment(paymentId: string, outcome: Exclude<ChargeOutcome, 'PENDING'>, providerReference?: string): Promise<Membership> {
    const membership = await this.em.transactional(async (em) => {
      const payment = isUuid(paymentId)
        ? await em.findOne(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!payment) throw AppError.notFound('Payment', paymentId);
      const membership = await em.findOneOrFail(Membership, { id: payment.membership.id }, { populate: ['plan'] });
      if (payment.status !== PaymentStatus.PENDING) return membership;
      payment.status = outcome === 'SUCCEEDED' ? PaymentStatus.SUCCEEDED : PaymentStatus.FAILED;
      payment.settledAt = this.now();
      if (providerReference) payment.providerReference = providerReference;
      if (outcome === 'SUCCEEDED' && membership.status === MembershipStatus.PENDING_PAYMENT) {
        const start = this.now();
        membership.status = MembershipStatus.ACTIVE;
        membership.currentPeriodStart = start;
        membership.currentPeriodEnd = addMonths(
          start,
          membership.plan.billingPeriod === BillingPeriod.YEAR ? 12 : 1,
          this.options.timeZone,
        );
        await em.flush();
        await this.options.rights.materializeCurrentPeriod(em, membership);
      } else if (outcome === 'FAILED' && membership.status === MembershipStatus.PENDING_PAYMENT) {
        membership.status = MembershipStatus.PAYMENT_FAILED;
      }
      await em.flush();
      return membership;
    });
    await this.refundUnwanted(paymentId);
    return membership;
  }

  /**
   * A charge confirmed after its membership ended unpaid (cancelled or erased while the
   * provider was still deciding) buys nothing: it is refunded at once and recorded as
   * `payment.refund_unwanted`. Each confirmation (a provider's retries too) tries again
   * until the refund goes through; a membership that was ever active is never touched.
   */
  private async refundUnwanted(paymentId: string): Promise<void> {
    const em = this.em.fork();
    const payment = await em.findOne(Payment, { id: paymentId, status: PaymentStatus.SUCCEEDED }, { populate: ['membership'] });
    const membership = payment?.membership;
    if (!payment || !membership || membership.status !== MembershipStatus.CANCELED || membership.currentPeriodStart) return;
    const refunded = await this.options.payments.refund({
      paymentId: payment.id,
      providerReference: payment.providerReference ?? null,
      amount: payment.amount,
      currency: payment.currency,
    });
    if (refunded.outcome !== 'SUCCEEDED') return;
    await em.transactional(async (tx) => {
      const updated = await tx.nativeUpdate(Payment, { id: payment.id, status: PaymentStatus.SUCCEEDED }, { status: PaymentStatus.REFUNDED, settledAt: this.now() });
      if (updated === 0) return;
      await AuditLog.append(tx, SYSTEM_AUDIT, {
        action: 'payment.refund_unwanted',
        subject: payment.id,
        before: { payment: { id: payment.id, status: PaymentStatus.SUCCEEDED }, membership: { id: membership.id, status: membership.status } },
        after: { payment: { id: payment.id, status: PaymentStatus.REFUNDED, providerRefund: refunded.providerReference } },
      });
    });
  }

  /**
   * Refunds a membership now (admins): the provider refunds the payment, then in one
   * transaction the membership ends, its current rights are revoked and a revocation
   * event is queued for every partner that holds one, with its `membership.refund` audit
   * row. Idempotent (a repeat changes nothing and records nothing).
   */
  async refund(membershipId: string, audit: AuditContext): Promise<Membership> {
    const membership = isUuid(membershipId) ? await this.em.findOne(Membership, { id: membershipId }) : null;
    if (!membership) throw AppError.notFound('Membership', membershipId);
    const payment = await this.em.findOne(Payment, { membership: membership.id, status: { $in: [PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED] } });
    if (membership.status !== MembershipStatus.ACTIVE || !payment) {
      if (payment?.status === PaymentStatus.REFUNDED) return membership;
      throw AppError.badInput([{ field: 'membershipId', message: `a ${membership.status} membership has no payment to refund` }]);
    }
    const refunded = await this.options.payments.refund({
      paymentId: payment.id,
      providerReference: payment.providerReference ?? null,
      amount: payment.amount,
      currency: payment.currency,
    });
    if (refunded.outcome === 'FAILED') throw AppError.downstream(this.options.payments.name, 'the refund was declined');
    const now = this.now();
    return this.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(Membership, { id: membership.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (locked.status !== MembershipStatus.ACTIVE) return locked;
      const before = {
        membership: { id: locked.id, status: locked.status, canceledAt: locked.canceledAt ?? null, currentPeriodEnd: locked.currentPeriodEnd ?? null },
        payment: { id: payment.id, status: payment.status, amount: payment.amount, currency: payment.currency },
      };
      locked.status = MembershipStatus.CANCELED;
      locked.canceledAt = now;
      locked.currentPeriodEnd = now;
      await tx.nativeUpdate(Payment, { id: payment.id }, { status: PaymentStatus.REFUNDED, settledAt: now });
      await tx.flush();
      await this.options.rights.revokeMembershipRights(tx, locked.id, now);
      await AuditLog.append(tx, audit, {
        action: 'membership.refund',
        subject: locked.id,
        before,
        after: {
          membership: { id: locked.id, status: locked.status, canceledAt: now, currentPeriodEnd: now },
          payment: { ...before.payment, status: PaymentStatus.REFUNDED, providerRefund: refunded.outcome },
        },
      });
      return locked;
    });
  }

  /** Cancels at the end of the paid period: rights stay until then. */
  async cancelAtPeriodEnd(memberId: string, membershipId: string): Promise<Membership> {
    const membership = isUuid(membershipId)
      ? await this.em.findOne(Membership, { id: membershipId, member: memberId })
      : null;
    if (!membership) throw AppError.notFound('Membership', membershipId);
    if (membership.status === MembershipStatus.PENDING_PAYMENT) {
      membership.status = MembershipStatus.CANCELED;
      membership.canceledAt = this.now();
    } else if (membership.status === MembershipStatus.ACTIVE && !membership.cancelAtPeriodEnd) {
      membership.cancelAtPeriodEnd = true;
      membership.canceledAt = this.now();
    }
    await this.em.flush();
    return membership;
  }

  private async replay(memberId: string, planCode: string, idempotencyKey: string, fresh = false): Promise<Membership | null> {
    const em = fresh ? this.em.fork() : this.em;
    const existing = await em.findOne(Membership, { member: memberId, idempotencyKey }, { populate: ['plan'] });
    if (!existing) return null;
    if (existing.plan.code !== planCode) throw AppError.idempotencyConflict();
    if (existing.status === MembershipStatus.PENDING_PAYMENT) {
      // The first attempt may have stopped before charging: charge again (providers dedupe on payment id).
      const payment = await em.findOne(Payment, { membership: existing.id, status: PaymentStatus.PENDING });
      if (payment) return this.charge(existing.id, payment.id, memberId, existing.plan);
    }
    return existing;
  }

  private async charge(membershipId: string, paymentId: string, memberId: string, plan: Plan): Promise<Membership> {
    const result = await this.options.payments.charge({
      paymentId,
      memberId,
      amount: plan.priceAmount,
      currency: plan.currency,
      description: `${plan.code} membership`,
    });
    if (result.outcome === 'PENDING') {
      const pending = await this.em.fork().findOne(Membership, { id: membershipId });
      return pending!;
    }
    return this.settlePayment(paymentId, result.outcome, result.providerReference);
  }
}
