import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChargeRequest, ChargeResult, FailureReason, PaymentProvider } from '../../../payments/sdk/index.js';
import type { MemberClocks } from '../../platform/context.js';
import type { Logger } from '../../platform/logger.js';
import type { DueWorkScope } from '../../platform/module.js';
import { currentRequestId, withRequestId } from '../../platform/request-id.js';
import { BundleVersion } from '../bundle/index.js';
import { MomentKind, Moments } from '../moments/index.js';
import { Notifications } from '../notification/index.js';
import { Plan } from '../plan/index.js';
import { Membership, MembershipStatus, Payment, PaymentKind, PaymentRefund, PaymentStatus, PERIOD_PAYMENT_KINDS, RefundStatus } from './membership.entity.js';
import { lifecycleMessages } from './messages.js';
import { addDays, nextMonthStart, nextRetryAt, periodEndAfter, reminderAt } from './periods.js';
import { MembershipEventType, recordEvent } from './timeline.js';

/**
 * What a membership's lifecycle does to the rights it grants: the port this module drives,
 * implemented by the entitlement module (which builds on this one), wired in module.ts. Every
 * call runs in the caller's transaction, at the membership's clock time.
 */
export interface MembershipRights {
  /** Rights whose period is over expire (announced at partners when the membership `ended`); the current period's rights exist. */
  refresh(em: EntityManager, membershipIds: readonly string[], now: Date, options?: { ended?: boolean }): Promise<void>;
  /** Takes back now every current right of a membership that ended early. */
  revokeMembershipRights(em: EntityManager, membershipId: string, now: Date): Promise<void>;
  /** Suspends the current rights (unpaid, in a grace that suspends). */
  suspend(em: EntityManager, membershipId: string, now: Date): Promise<void>;
  /** Makes suspended rights usable again (paid). */
  resume(em: EntityManager, membershipId: string, now: Date): Promise<void>;
  /** A plan change at `at`: current rights move into the new period in place (used units carry over); what the new version lacks is revoked. */
  carryOver(em: EntityManager, membershipId: string, change: { at: Date; newBundleVersionId: string; newPeriodEnd: Date }): Promise<void>;
}

/** What a membership gave its member, at member-facing value (the savings module implements it). */
export interface MembershipValue {
  /** The value received in the current period up to `now`. */
  thisPeriod(em: EntityManager, membership: Membership, now: Date): Promise<{ amount: number; currency: string }>;
}

export interface LifecycleOptions {
  payments: PaymentProvider;
  rights: MembershipRights;
  value?: MembershipValue;
  timeZone: string;
  /** Members' test clocks; absent: everyone on real time. */
  clocks?: MemberClocks;
  /** Who pays, as the provider knows them (a pseudonym). */
  payerIdOf(memberId: string): string;
  /** The process clock. @default () => new Date() */
  now?: () => Date;
  logger?: Logger;
  /** How long a member's own charge (subscribe, pay now) is waited for before answering PENDING. @default 0 */
  confirmWaitMs?: number;
}

/** A provider notification as stored (payment_notification). */
export interface StoredNotification {
  id: string;
  paymentId: string;
  outcome: string;
  providerReference: string | null;
  failureReason: string | null;
}

/** A provider call decided in a transaction, made after it commits (never inside one). */
export type Effect = { kind: 'charge'; paymentId: string; request?: ChargeRequest } | { kind: 'query'; paymentId: string } | { kind: 'refund'; refundId: string };

/** A charge still PENDING is asked about after these delays (then the last, repeatedly). */
const QUERY_DELAYS_MS = [5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000];
/** A charge nobody confirmed within this long is treated as failed (the provider closes such orders). */
const PENDING_GIVE_UP_MS = 24 * 3_600_000;
/** A claimed membership stays invisible to other workers this long (a worker that died frees it after). */
const LEASE_MS = 5 * 60_000;
/** Memberships run in one transaction, and batches run at once by one process. */
const BATCH = 25;
const BATCHES_AT_ONCE = 4;
/** Provider calls made at once after a batch commits. */
const CALLS_AT_ONCE = 8;

/** When the oldest notification left unapplied is due (real time only: notifications come in real time). */
export async function nextNotificationDue(em: EntityManager, clockId: string | null): Promise<Date | null> {
  if (clockId) return null;
  const [row] = await em.execute<{ at: Date | null }[]>(`select min(apply_at) as at from payment_notification where applied_at is null`);
  return row?.at ? new Date(row.at) : null;
}

/** The earliest instant anything is due for the memberships on `clockId` (null: members on real time). */
export async function nextMembershipDue(em: EntityManager, clockId: string | null): Promise<Date | null> {
  const [row] = clockId
    ? await em.execute<{ at: Date | null }[]>(`select min(next_due_at) as at from membership where test_clock_id = ? and next_due_at is not null`, [clockId])
    : await em.execute<{ at: Date | null }[]>(`select min(next_due_at) as at from membership where test_clock_id is null and next_due_at is not null`);
  return row?.at ? new Date(row.at) : null;
}

/** What one transaction read of a membership's open charges and refunds (see pendingPayments). */
interface OpenItems {
  payments?: Payment[];
  refunds?: PaymentRefund[];
}
const openByTransaction = new WeakMap<EntityManager, Map<string, OpenItems>>();
/** Memberships whose rights a renewal already rolled, per transaction. */
const refreshedByTransaction = new WeakMap<EntityManager, Set<string>>();

function refreshedIn(tx: EntityManager): Set<string> {
  let set = refreshedByTransaction.get(tx);
  if (!set) refreshedByTransaction.set(tx, (set = new Set()));
  return set;
}

function openItems(tx: EntityManager, membershipId: string): OpenItems {
  let byMembership = openByTransaction.get(tx);
  if (!byMembership) openByTransaction.set(tx, (byMembership = new Map()));
  let open = byMembership.get(membershipId);
  if (!open) byMembership.set(membershipId, (open = {}));
  return open;
}

// Bundle versions are immutable: whether one has calendar-month benefits never changes.
const monthlyVersions = new Map<string, boolean>();

/**
 * The subscription lifecycle of paid memberships: reminders, renewals charged through the
 * member's mandate, retries and grace when a charge fails, trial conversions, ends at period end,
 * months of rights; and the settlement of every charge the provider decides (at once, by a
 * signed notification, or when asked). Everything runs at the membership's clock (a member on a
 * test clock lives at the clock's time), and every membership carries `next_due_at`, the next
 * instant anything is due for it, which workers and test clocks read through an index.
 *
 * Locks are always taken membership first, then its payments; provider calls are made outside
 * transactions and are idempotent by our ids, so a crash between the two repeats the call.
 */
export class MembershipLifecycle {
  constructor(
    private readonly em: EntityManager,
    private readonly options: LifecycleOptions,
  ) {}

  private realNow(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** "Now" for a membership: its test clock's time, or the process clock. */
  async clockNow(em: EntityManager, membership: Pick<Membership, 'member' | 'testClockId'>): Promise<Date> {
    if (membership.testClockId && this.options.clocks) {
      const clock = await this.options.clocks.of(em, membership.member.id);
      if (clock) return clock.now;
    }
    return this.realNow();
  }

  // ---------------------------------------------------------------- due work

  /**
   * Claims up to `limit` memberships due at `now` (on the scope's clock) under a lease, in one
   * committed statement (`SKIP LOCKED`: workers never wait on each other, and a claimed
   * membership is invisible to them until its lease ends), then processes each.
   */
  async runDue(scope: DueWorkScope): Promise<number> {
    const { now, clockId, limit } = scope;
    const lease = new Date(now.getTime() + LEASE_MS);
    const claimed = await this.em.execute<{ id: string }[]>(
      clockId
        ? `update membership set next_due_at = ? where id in (
             select id from membership where test_clock_id = ? and next_due_at is not null and next_due_at <= ?
             order by next_due_at limit ? for update skip locked) returning id`
        : `update membership set next_due_at = ? where id in (
             select id from membership where test_clock_id is null and next_due_at is not null and next_due_at <= ?
             order by next_due_at limit ? for update skip locked) returning id`,
      clockId ? [lease, clockId, now, limit] : [lease, now, limit],
    );
    const ids = claimed.map((r) => r.id);
    const failures: unknown[] = [];
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH) batches.push(ids.slice(i, i + BATCH));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(BATCHES_AT_ONCE, batches.length) }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          await this.processBatch(batch, now).catch((error: unknown) => {
            this.options.logger?.error({ err: error, memberships: batch.length }, 'membership lifecycle step failed; retried when its lease ends');
            failures.push(error);
          });
        }
      }),
    );
    // A test clock's advance must not step past work that failed: it says so.
    if (clockId && failures.length > 0) throw failures[0];
    return ids.length;
  }

  /** Runs everything due for one membership at `now`, then the provider calls it decided. */
  process(membershipId: string, now: Date): Promise<void> {
    return this.processBatch([membershipId], now);
  }

  /**
   * Runs everything due at `now` for a batch of memberships in one transaction (their row locks,
   * plans and open charges read in one statement each; a month of rights rolled for all of them
   * in one), then the provider calls it decided. One membership failing rolls the batch back and
   * each is then run on its own, so one bad row never holds up the others.
   */
  async processBatch(membershipIds: readonly string[], now: Date): Promise<void> {
    const effects: Effect[] = [];
    try {
      await this.em.fork().transactional(async (tx) => {
        const memberships = await tx.find(
          Membership,
          { id: { $in: [...membershipIds] } },
          { populate: ['plan'], strategy: 'joined', lockMode: LockMode.PESSIMISTIC_WRITE, lockTableAliases: ['m0'], orderBy: { id: 'asc' } },
        );
        await this.readOpenItems(tx, memberships.map((m) => m.id));
        const roll: string[] = [];
        for (const m of memberships) {
          const plan = () => m.plan as Plan;
          await this.askAgain(tx, m, plan(), now, effects);
          for (let step = 0; step < 20 && (await this.step(tx, m, plan(), now, effects)); step++);
          // A renewal rolled the rights already; otherwise what is over expires and a new month begins.
          if (refreshedIn(tx).has(m.id)) continue;
          if ([MembershipStatus.TRIALING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(m.status)) roll.push(m.id);
          else await this.settleRights(tx, m, now);
        }
        if (roll.length) await this.options.rights.refresh(tx, roll, now);
        for (const m of memberships) m.nextDueAt = await this.computeNextDue(tx, m, m.plan as Plan, now);
        await tx.flush();
      });
    } catch (error) {
      if (membershipIds.length === 1) throw error;
      effects.length = 0;
      const failures: unknown[] = [];
      for (const id of membershipIds) await this.processBatch([id], now).catch((failure: unknown) => failures.push(failure));
      if (failures.length) throw failures[0];
      return;
    }
    await this.perform(effects);
  }

  /** The open charges and unsent refunds of many memberships, two statements, for pendingPayments and unsentRefunds. */
  private async readOpenItems(tx: EntityManager, membershipIds: readonly string[]): Promise<void> {
    if (membershipIds.length === 0) return;
    const [payments, refunds] = [
      await tx.find(Payment, { membership: { $in: [...membershipIds] }, status: PaymentStatus.PENDING }, { orderBy: { createdAt: 'asc' } }),
      await tx.find(PaymentRefund, { payment: { membership: { $in: [...membershipIds] } }, status: RefundStatus.PENDING, retryAt: { $ne: null } }, { populate: ['payment'] }),
    ];
    for (const id of membershipIds) {
      const open = openItems(tx, id);
      open.payments = payments.filter((p) => p.membership.id === id);
      open.refunds = refunds.filter((r) => (r.payment as Payment).membership.id === id);
    }
  }

  /**
   * Charges still PENDING whose time to ask has come are asked about (or given up on after a
   * day), and refunds the provider has not answered are sent again.
   */
  private async askAgain(tx: EntityManager, m: Membership, plan: Plan, now: Date, effects: Effect[]): Promise<void> {
    for (const payment of await this.pendingPayments(tx, m.id)) {
      if (!payment.queryAt || payment.queryAt > now) continue;
      if (now.getTime() - (payment.chargedAt ?? payment.createdAt).getTime() >= PENDING_GIVE_UP_MS) {
        // Nobody confirmed it in a day: the order is dead. Settling it FAILED may make the membership PAST_DUE.
        await this.applyOutcome(tx, m, plan, payment, { outcome: 'FAILED', failureReason: 'EXPIRED' }, now, effects);
        continue;
      }
      payment.queryAt = this.nextQueryAt(payment, now);
      effects.push({ kind: 'query', paymentId: payment.id });
    }
    for (const refund of await this.unsentRefunds(tx, m.id)) {
      if (!refund.retryAt || refund.retryAt > now) continue;
      refund.retryAt = new Date(now.getTime() + QUERY_DELAYS_MS[1]!);
      effects.push({ kind: 'refund', refundId: refund.id });
    }
    await tx.flush();
  }

  /** One due step at `now`; true when it changed something (the caller looks again). */
  private async step(tx: EntityManager, m: Membership, plan: Plan, now: Date, effects: Effect[]): Promise<boolean> {
    switch (m.status) {
      case MembershipStatus.TRIALING:
      case MembershipStatus.ACTIVE: {
        const end = m.currentPeriodEnd!;
        if (this.reminderDue(m, plan, now)) {
          await this.remind(tx, m, plan, now);
          return true;
        }
        if (now >= end) {
          if (m.cancelAtPeriodEnd || !m.autoRenew) await this.endAtPeriodEnd(tx, m);
          else await this.renew(tx, m, plan, now, effects);
          return true;
        }
        return false;
      }
      case MembershipStatus.PAST_DUE: {
        if (now >= m.graceEndsAt!) {
          await this.endUnpaid(tx, m, now);
          return true;
        }
        const pending = await this.pendingPayments(tx, m.id);
        if (pending.some((p) => p.periodStart?.getTime() === m.currentPeriodStart?.getTime())) return false;
        const retryAt = nextRetryAt(m, plan);
        if (retryAt && retryAt <= now) {
          const payment = this.createPayment(tx, m, plan, { kind: PaymentKind.RENEWAL, attempt: m.failedAttempts + 1, mandateId: m.mandateId ?? null, now });
          await tx.flush();
          effects.push(this.chargeEffect(m, plan, payment));
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  private reminderDue(m: Membership, plan: Plan, now: Date): boolean {
    const end = m.currentPeriodEnd;
    if (!end || !m.autoRenew || m.cancelAtPeriodEnd) return false;
    if (m.remindedFor?.getTime() === end.getTime()) return false;
    return now >= reminderAt(end, plan) && now < end;
  }

  /** The renewal reminder: the price of the next period and what this one gave the member. */
  private async remind(tx: EntityManager, m: Membership, plan: Plan, now: Date): Promise<void> {
    const next = m.nextPlan ? await tx.findOneOrFail(Plan, { id: m.nextPlan.id }) : plan;
    const saved = this.options.value ? await this.options.value.thisPeriod(tx, m, now) : null;
    const renewsAt = m.currentPeriodEnd!;
    const figures = {
      planCode: next.code,
      price: { amount: next.priceAmount, currency: next.currency },
      renewsAt: renewsAt.toISOString(),
      savedThisPeriod: saved,
      trial: m.status === MembershipStatus.TRIALING,
    };
    await Notifications.send(tx, {
      memberId: m.member.id,
      type: 'membership.renewal_reminder',
      at: now,
      ...lifecycleMessages.renewalReminder(figures, this.options.timeZone),
      data: figures,
      dedupeKey: `renewal-reminder:${m.id}:${renewsAt.toISOString()}`,
    });
    await Moments.record(tx, {
      memberId: m.member.id,
      kind: MomentKind.RENEWAL_DUE,
      occurredAt: now,
      data: { renewsAt: renewsAt.toISOString(), price: figures.price, planCode: next.code, planName: next.name },
      dedupeKey: `RENEWAL_DUE:${m.id}:${renewsAt.toISOString()}`,
      clockId: m.testClockId ?? null,
    });
    m.remindedFor = renewsAt;
    await recordEvent(tx, m, MembershipEventType.REMINDED, now, figures);
  }

  /**
   * The period is over and the membership renews: the next period starts exactly at the old
   * one's end (no gap; quotas start again), on the plan chosen for it and the bundle version
   * that plan sells then (unless the plan grandfathers its members), and its charge goes to the
   * mandate. The rights of the new period are usable while the charge is confirmed; a refusal
   * makes the membership PAST_DUE.
   */
  private async renew(tx: EntityManager, m: Membership, plan: Plan, now: Date, effects: Effect[]): Promise<void> {
    const start = m.currentPeriodEnd!;
    const nextPlan = m.nextPlan ? await tx.findOneOrFail(Plan, { id: m.nextPlan.id }) : plan;
    const previousVersion = m.bundleVersion.id;
    const keepsVersion = nextPlan.id === plan.id && plan.grandfathered;
    if (!keepsVersion) {
      const version = await tx.findOne(
        BundleVersion,
        { bundle: nextPlan.bundle.id, effectiveFrom: { $lte: start } },
        { orderBy: { effectiveFrom: 'desc', version: 'desc' } },
      );
      if (version) m.bundleVersion = version;
    }
    const kind = m.status === MembershipStatus.TRIALING ? PaymentKind.TRIAL_CONVERSION : PaymentKind.RENEWAL;
    m.status = MembershipStatus.ACTIVE;
    m.plan = nextPlan;
    m.nextPlan = null;
    m.currentPeriodStart = start;
    m.currentPeriodEnd = periodEndAfter(start, nextPlan.billingPeriod, this.options.timeZone);
    m.failedAttempts = 0;
    const payment = this.createPayment(tx, m, nextPlan, { kind, attempt: 1, mandateId: m.mandateId ?? null, now });
    await tx.flush();
    await recordEvent(tx, m, MembershipEventType.RENEWED, now, {
      periodStart: m.currentPeriodStart.toISOString(),
      periodEnd: m.currentPeriodEnd.toISOString(),
      planCode: nextPlan.code,
      bundleVersionId: m.bundleVersion.id,
      ...(m.bundleVersion.id !== previousVersion ? { previousBundleVersionId: previousVersion } : {}),
      paymentId: payment.id,
      amount: { amount: payment.amount, currency: payment.currency },
      kind,
    });
    // Old rights expire and the new period's exist (announced to partners through the outbox).
    await this.options.rights.refresh(tx, [m.id], now);
    refreshedIn(tx).add(m.id);
    if (m.mandateId) effects.push(this.chargeEffect(m, nextPlan, payment));
    else await this.applyOutcome(tx, m, nextPlan, payment, { outcome: 'FAILED', failureReason: 'MANDATE_INVALID' }, now, effects);
  }

  /** Renewal off or cancelled: it ends at the period's end, its ACCESS revoked at partners. */
  private async endAtPeriodEnd(tx: EntityManager, m: Membership): Promise<void> {
    const end = m.currentPeriodEnd!;
    m.status = m.cancelAtPeriodEnd ? MembershipStatus.CANCELED : MembershipStatus.EXPIRED;
    m.endedAt = end;
    await recordEvent(tx, m, MembershipEventType.ENDED, end, { reason: m.cancelAtPeriodEnd ? 'CANCELED' : 'AUTO_RENEW_OFF', status: m.status });
    await Notifications.send(tx, {
      memberId: m.member.id,
      type: 'membership.ended',
      at: end,
      ...lifecycleMessages.ended(),
      dedupeKey: `ended:${m.id}`,
    });
  }

  /** Grace is over and the period is still unpaid: the membership ends, its rights revoked here and at partners. */
  private async endUnpaid(tx: EntityManager, m: Membership, now: Date): Promise<void> {
    const at = m.graceEndsAt!;
    m.status = MembershipStatus.EXPIRED;
    m.endedAt = at;
    await this.options.rights.revokeMembershipRights(tx, m.id, at);
    await recordEvent(tx, m, MembershipEventType.ENDED, now, { reason: 'UNPAID', status: m.status, graceEndedAt: at.toISOString() });
    await Notifications.send(tx, {
      memberId: m.member.id,
      type: 'membership.ended',
      at,
      ...lifecycleMessages.endedUnpaid(),
      dedupeKey: `ended:${m.id}`,
    });
  }

  /** Expires what is over and materializes what is current (a new month of coffees), or, once ended, what is left. */
  private async settleRights(tx: EntityManager, m: Membership, now: Date): Promise<void> {
    const live = [MembershipStatus.TRIALING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(m.status);
    if (live) await this.options.rights.refresh(tx, [m.id], now);
    else if (m.endedAt) await this.options.rights.refresh(tx, [m.id], m.endedAt, { ended: true });
  }

  /** The next instant anything is due for the membership after `now`; null when nothing ever is. */
  async computeNextDue(tx: EntityManager, m: Membership, plan: Plan, now: Date): Promise<Date | null> {
    const candidates: Array<Date | null | undefined> = [];
    const pending = await this.pendingPayments(tx, m.id);
    candidates.push(...pending.map((p) => p.queryAt));
    candidates.push(...(await this.unsentRefunds(tx, m.id)).map((r) => r.retryAt));
    const live = [MembershipStatus.TRIALING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(m.status);
    if (live && m.currentPeriodEnd) {
      if (m.status !== MembershipStatus.PAST_DUE) {
        candidates.push(m.currentPeriodEnd);
        if (m.autoRenew && !m.cancelAtPeriodEnd && m.remindedFor?.getTime() !== m.currentPeriodEnd.getTime()) {
          const remindAt = reminderAt(m.currentPeriodEnd, plan);
          if (remindAt < m.currentPeriodEnd) candidates.push(remindAt);
        }
      } else {
        candidates.push(m.graceEndsAt);
        if (!pending.some((p) => p.periodStart?.getTime() === m.currentPeriodStart?.getTime())) candidates.push(nextRetryAt(m, plan));
      }
      if (await this.hasMonthlyRights(tx, m.bundleVersion.id)) {
        const month = nextMonthStart(now, this.options.timeZone);
        if (month < m.currentPeriodEnd) candidates.push(month);
      }
    }
    let next: Date | null = null;
    for (const at of candidates) if (at && (!next || at < next)) next = at;
    return next;
  }

  private async hasMonthlyRights(tx: EntityManager, bundleVersionId: string): Promise<boolean> {
    let monthly = monthlyVersions.get(bundleVersionId);
    if (monthly === undefined) {
      const [row] = await tx.execute<{ monthly: boolean }[]>(
        `select exists (select 1 from bundle_benefit where bundle_version_id = ? and period = 'CALENDAR_MONTH') as monthly`,
        [bundleVersionId],
      );
      monthly = row?.monthly ?? false;
      monthlyVersions.set(bundleVersionId, monthly);
    }
    return monthly;
  }

  /**
   * The membership's charges still PENDING, read once per transaction: later calls see what this
   * transaction created (`createPayment`) and settled (their status), without asking again.
   */
  private async pendingPayments(tx: EntityManager, membershipId: string): Promise<Payment[]> {
    const open = openItems(tx, membershipId);
    open.payments ??= await tx.find(Payment, { membership: membershipId, status: PaymentStatus.PENDING }, { orderBy: { createdAt: 'asc' } });
    return open.payments.filter((p) => p.status === PaymentStatus.PENDING);
  }

  /** Refunds the provider has not answered yet (a call that failed): sent again when their `retryAt` comes. */
  private async unsentRefunds(tx: EntityManager, membershipId: string): Promise<PaymentRefund[]> {
    const open = openItems(tx, membershipId);
    open.refunds ??= await tx.find(PaymentRefund, { payment: { membership: membershipId }, status: RefundStatus.PENDING, retryAt: { $ne: null } });
    return open.refunds.filter((r) => r.status === RefundStatus.PENDING && r.retryAt);
  }

  private nextQueryAt(payment: Payment, now: Date): Date {
    const asked = payment.queryAt && payment.chargedAt ? payment.queryAt.getTime() - payment.chargedAt.getTime() : 0;
    const delay = QUERY_DELAYS_MS.find((d) => d > asked) ?? QUERY_DELAYS_MS.at(-1)!;
    return new Date(now.getTime() + delay);
  }

  /** The membership under its row lock, with its plan, in one statement. */
  private lockWithPlan(tx: EntityManager, membershipId: string): Promise<Membership | null> {
    return tx.findOne(
      Membership,
      { id: membershipId },
      { populate: ['plan'], strategy: 'joined', lockMode: LockMode.PESSIMISTIC_WRITE, lockTableAliases: ['m0'] },
    );
  }


  // ---------------------------------------------------------------- charges

  /** A new charge of a membership's current period (or of its first, while it is pending), due to be sent. */
  createPayment(
    tx: EntityManager,
    m: Membership,
    plan: Plan,
    charge: { kind: PaymentKind; attempt: number; mandateId: string | null; now: Date; amount?: number; periodStart?: Date | null; periodEnd?: Date | null },
  ): Payment {
    const payment = tx.create(Payment, {
      membership: m,
      memberId: m.member.id,
      provider: this.options.payments.name,
      amount: charge.amount ?? plan.priceAmount,
      currency: plan.currency,
      status: PaymentStatus.PENDING,
      kind: charge.kind,
      plan,
      periodStart: charge.periodStart === undefined ? (m.currentPeriodStart ?? null) : charge.periodStart,
      periodEnd: charge.periodEnd === undefined ? (m.currentPeriodEnd ?? null) : charge.periodEnd,
      mandateId: charge.mandateId,
      attempt: charge.attempt,
      chargedAt: charge.now,
      queryAt: new Date(charge.now.getTime() + QUERY_DELAYS_MS[0]!),
      requestId: currentRequestId(),
    });
    openItems(tx, m.id).payments?.push(payment);
    return payment;
  }

  /** A charge to send after the transaction commits, with everything the provider needs (no reading it back). */
  private chargeEffect(m: Membership, plan: Plan, payment: Payment): Extract<Effect, { kind: 'charge' }> {
    return {
      kind: 'charge',
      paymentId: payment.id,
      request: {
        paymentId: payment.id,
        payerId: this.options.payerIdOf(m.member.id),
        amount: payment.amount,
        currency: payment.currency,
        description: `${plan.code} ${payment.kind.toLowerCase()}`,
        ...(payment.mandateId ? { mandateId: payment.mandateId } : {}),
      },
    };
  }

  /** Makes the provider calls decided in a transaction, now that it committed. */
  async perform(effects: readonly Effect[]): Promise<void> {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(CALLS_AT_ONCE, effects.length) }, async () => {
      while (next < effects.length) await this.performOne(effects[next++]!);
    }));
  }

  private async performOne(effect: Effect): Promise<void> {
    {
      try {
        if (effect.kind === 'charge') await (effect.request ? this.sendChargeRequest(effect.request) : this.sendCharge(effect.paymentId));
        else if (effect.kind === 'query') await this.queryCharge(effect.paymentId);
        else await this.sendRefund(effect.refundId);
      } catch (error) {
        // The provider is down or answered nonsense: the payment stays PENDING and is asked about later.
        this.options.logger?.warn({ err: error, effect }, 'payment provider call failed; asked again later');
      }
    }
  }

  /** Sends a PENDING charge to the provider (again: it dedupes on our payment id) and settles what it says at once. */
  async sendCharge(paymentId: string): Promise<ChargeResult> {
    const em = this.em.fork();
    const payment = await em.findOneOrFail(Payment, { id: paymentId }, { populate: ['membership', 'plan'] });
    if (payment.status !== PaymentStatus.PENDING) return { outcome: payment.status === PaymentStatus.FAILED ? 'FAILED' : 'SUCCEEDED' };
    return this.sendChargeRequest(this.chargeEffect(payment.membership as Membership, payment.plan as Plan, payment).request!);
  }

  private async sendChargeRequest(request: ChargeRequest): Promise<ChargeResult> {
    const result = await this.options.payments.charge(request);
    if (result.outcome !== 'PENDING') await this.settle(request.paymentId, result);
    return result;
  }

  /**
   * Sends a member's own charge and waits up to `confirmWaitMs` for the provider's verdict (a
   * notification settles it meanwhile), so a checkout the provider confirms quickly answers
   * with the membership already active; after that it answers PENDING and the app polls.
   */
  async chargeAndWait(paymentId: string): Promise<void> {
    const result = await this.sendCharge(paymentId);
    const waitMs = this.options.confirmWaitMs ?? 0;
    if (result.outcome !== 'PENDING' || waitMs <= 0) return;
    const deadline = Date.now() + waitMs;
    const em = this.em.fork();
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      const [row] = await em.execute<{ status: string }[]>('select status from payment where id = ?', [paymentId]);
      if (row?.status !== PaymentStatus.PENDING) return;
    }
  }

  /** Asks the provider about a PENDING charge; sends it again when the provider never saw it (or the query fails). */
  private async queryCharge(paymentId: string): Promise<void> {
    let result: ChargeResult;
    try {
      result = await this.options.payments.query(paymentId);
    } catch (error) {
      this.options.logger?.debug({ err: error, paymentId }, 'payment query failed; sending the charge again');
      await this.sendCharge(paymentId);
      return;
    }
    if (result.outcome !== 'PENDING') await this.settle(paymentId, result);
  }

  /**
   * Records the provider's verdict on a charge, whatever brought it (the charge's answer, a
   * notification, a query), once: a verdict on a settled charge changes nothing. A success for a
   * period that is already paid, or for a membership that ended meanwhile, bought nothing and is
   * refunded at once.
   */
  async settle(
    paymentId: string,
    answer: { outcome: 'SUCCEEDED' | 'FAILED' | 'PENDING'; providerReference?: string; failureReason?: FailureReason },
    /** The stored notification that brought the verdict: marked applied in the same transaction. */
    notificationId?: string,
  ): Promise<boolean> {
    const { outcome } = answer;
    if (outcome === 'PENDING') return false;
    const result = { ...answer, outcome };
    const effects: Effect[] = [];
    const [row] = await this.em.fork().execute<{ membership_id: string; request_id: string | null }[]>(`select membership_id, request_id from payment where id = ?`, [paymentId]);
    if (!row) return false;
    // What the confirmation changes (rights, their provisioning events) carries the request that made the charge.
    const requestId = row.request_id ?? currentRequestId();
    const run = () => this.em.fork().transactional(async (tx) => {
      const m = (await this.lockWithPlan(tx, row.membership_id))!;
      const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const plan = m.plan as Plan;
      const now = await this.clockNow(tx, m);
      if (notificationId) await tx.execute(`update payment_notification set applied_at = now() where id = ? and applied_at is null`, [notificationId]);
      if (payment.status !== PaymentStatus.PENDING) {
        // A success reported for a charge we gave up on: money taken for nothing, given back.
        if (result.outcome === 'SUCCEEDED' && payment.status === PaymentStatus.FAILED && !payment.providerReference) {
          payment.providerReference = result.providerReference ?? null;
          this.queueRefund(tx, payment, payment.amount, 'UNWANTED_CHARGE', now, effects);
          await recordEvent(tx, m, MembershipEventType.REFUNDED, now, { paymentId: payment.id, amount: payment.amount, reason: 'LATE_SUCCESS_OF_A_CLOSED_CHARGE' });
        }
        return;
      }
      await this.applyOutcome(tx, m, plan, payment, result, now, effects);
      // (What the outcome does to rights, applyOutcome did: materialized, resumed, suspended.)
      m.nextDueAt = await this.computeNextDue(tx, m, m.plan as Plan, now);
      await tx.flush();
    });
    await (requestId ? withRequestId(requestId, run) : run());
    await this.perform(effects);
    return true;
  }

  /**
   * Applies a stored provider notification (payment_notification) to its charge, and marks it
   * applied. A failure leaves it for the workers' due work a minute later.
   */
  async applyNotification(recordId: string, known?: StoredNotification): Promise<void> {
    const em = this.em.fork();
    let record = known;
    if (!record) {
      const [row] = await em.execute<{ payment_id: string; outcome: string; provider_reference: string | null; failure_reason: string | null; applied_at: Date | null }[]>(
        `select payment_id, outcome, provider_reference, failure_reason, applied_at from payment_notification where id = ?`,
        [recordId],
      );
      if (!row || row.applied_at) return;
      record = { id: recordId, paymentId: row.payment_id, outcome: row.outcome, providerReference: row.provider_reference, failureReason: row.failure_reason };
    }
    try {
      const applied = await this.settle(
        record.paymentId,
        {
          outcome: record.outcome as 'SUCCEEDED' | 'FAILED',
          ...(record.providerReference ? { providerReference: record.providerReference } : {}),
          ...(record.failureReason ? { failureReason: record.failureReason as FailureReason } : {}),
        },
        recordId,
      );
      // About no charge any more (cannot happen while payments are never deleted): nothing to apply.
      if (!applied) await em.execute(`update payment_notification set applied_at = now() where id = ? and applied_at is null`, [recordId]);
    } catch (error) {
      await em.execute(`update payment_notification set apply_at = now() + interval '1 minute' where id = ?`, [recordId]);
      throw error;
    }
  }

  /** Notifications received but not applied (their process stopped, or applying failed): applied by workers. */
  async applyLeftNotifications(now: Date, limit: number): Promise<number> {
    const due = await this.em.fork().execute<{ id: string }[]>(
      `select id from payment_notification where applied_at is null and apply_at <= ? order by apply_at limit ?`,
      [now, limit],
    );
    for (const { id } of due) {
      await this.applyNotification(id).catch((error: unknown) => this.options.logger?.warn({ err: error, notification: id }, 'payment notification not applied; retried in a minute'));
    }
    return due.length;
  }

  /** What a settled charge does to its membership (in the transaction holding both locks). */
  private async applyOutcome(
    tx: EntityManager,
    m: Membership,
    plan: Plan,
    payment: Payment,
    result: { outcome: 'SUCCEEDED' | 'FAILED'; providerReference?: string; failureReason?: FailureReason },
    now: Date,
    effects: Effect[],
  ): Promise<void> {
    payment.settledAt = now;
    payment.queryAt = null;
    if (result.providerReference) payment.providerReference = result.providerReference;
    const amount = { amount: payment.amount, currency: payment.currency };
    if (result.outcome === 'FAILED') {
      payment.status = PaymentStatus.FAILED;
      payment.failureReason = result.failureReason ?? 'OTHER';
      await recordEvent(tx, m, MembershipEventType.CHARGE_FAILED, now, { paymentId: payment.id, kind: payment.kind, attempt: payment.attempt, reason: payment.failureReason, ...amount });
      await this.onFailure(tx, m, plan, payment, now);
      return;
    }
    payment.status = PaymentStatus.SUCCEEDED;
    if (payment.kind === PaymentKind.INITIAL) {
      if (m.status !== MembershipStatus.PENDING_PAYMENT) {
        await this.unwanted(tx, m, payment, now, effects, 'the membership ended before its first payment was confirmed');
        return;
      }
      m.status = MembershipStatus.ACTIVE;
      m.currentPeriodStart = now;
      m.currentPeriodEnd = periodEndAfter(now, plan.billingPeriod, this.options.timeZone);
      payment.periodStart = m.currentPeriodStart;
      payment.periodEnd = m.currentPeriodEnd;
      await tx.flush();
      await recordEvent(tx, m, MembershipEventType.CHARGED, now, { paymentId: payment.id, kind: payment.kind, ...amount, periodStart: payment.periodStart.toISOString(), periodEnd: payment.periodEnd.toISOString() });
      await this.receipt(tx, m, plan, payment, now);
      await this.options.rights.refresh(tx, [m.id], now);
      return;
    }
    if (payment.kind === PaymentKind.PRORATION) {
      const newPlan = payment.plan ? await tx.findOneOrFail(Plan, { id: payment.plan.id }) : null;
      const at = payment.periodStart!;
      const stillApplies =
        newPlan && m.status === MembershipStatus.ACTIVE && m.plan.id !== newPlan.id && m.currentPeriodStart! <= at && at < m.currentPeriodEnd!;
      if (!stillApplies) {
        await this.unwanted(tx, m, payment, now, effects, 'the plan change it paid for no longer applies');
        return;
      }
      await recordEvent(tx, m, MembershipEventType.CHARGED, now, { paymentId: payment.id, kind: payment.kind, ...amount });
      await this.applyPlanChange(tx, m, newPlan, { at, periodEnd: payment.periodEnd!, paymentId: payment.id });
      await this.receipt(tx, m, newPlan, payment, now);
      return;
    }
    const paysCurrentPeriod =
      (PERIOD_PAYMENT_KINDS as readonly PaymentKind[]).includes(payment.kind) &&
      [MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE].includes(m.status) &&
      payment.periodStart?.getTime() === m.currentPeriodStart?.getTime();
    if (!paysCurrentPeriod) {
      await this.unwanted(tx, m, payment, now, effects, 'it pays for a period the membership no longer has');
      return;
    }
    const [paid] = await tx.execute<{ id: string }[]>(
      `select id from payment where membership_id = ? and period_start = ? and status in ('SUCCEEDED', 'REFUNDED') and kind <> 'PRORATION' and id <> ?`,
      [m.id, payment.periodStart, payment.id],
    );
    if (paid) {
      await this.unwanted(tx, m, payment, now, effects, `the period was already paid by payment ${paid.id}`);
      return;
    }
    await tx.flush();
    await recordEvent(tx, m, MembershipEventType.CHARGED, now, { paymentId: payment.id, kind: payment.kind, attempt: payment.attempt, ...amount });
    await this.receipt(tx, m, plan, payment, now);
    if (m.status === MembershipStatus.PAST_DUE) {
      m.status = MembershipStatus.ACTIVE;
      m.pastDueSince = null;
      m.graceEndsAt = null;
      m.failedAttempts = 0;
      await this.options.rights.resume(tx, m.id, now);
      await recordEvent(tx, m, MembershipEventType.RESUMED, now, { paymentId: payment.id, periodStart: m.currentPeriodStart!.toISOString() });
    }
  }

  /**
   * Moves the membership to `newPlan` now: a new period from `at` (the plan's billing period),
   * the bundle version the plan sells then, the current rights carried over (used units kept),
   * the new plan's other rights materialized, partners told.
   */
  async applyPlanChange(tx: EntityManager, m: Membership, newPlan: Plan, change: { at: Date; periodEnd: Date; paymentId: string }): Promise<void> {
    const version = await tx.findOne(BundleVersion, { bundle: newPlan.bundle.id, effectiveFrom: { $lte: change.at } }, { orderBy: { effectiveFrom: 'desc', version: 'desc' } });
    if (!version) throw new Error(`plan ${newPlan.code} sells no bundle version at ${change.at.toISOString()}`);
    const from = { planId: m.plan.id, periodStart: m.currentPeriodStart?.toISOString(), periodEnd: m.currentPeriodEnd?.toISOString() };
    m.plan = newPlan;
    m.bundleVersion = version;
    m.currentPeriodStart = change.at;
    m.currentPeriodEnd = change.periodEnd;
    m.nextPlan = null;
    m.remindedFor = null;
    await tx.flush();
    await this.options.rights.carryOver(tx, m.id, { at: change.at, newBundleVersionId: version.id, newPeriodEnd: change.periodEnd });
    await this.options.rights.refresh(tx, [m.id], change.at);
    await recordEvent(tx, m, MembershipEventType.PLAN_CHANGED, change.at, {
      from,
      to: { planCode: newPlan.code, bundleVersionId: version.id, periodStart: change.at.toISOString(), periodEnd: change.periodEnd.toISOString() },
      paymentId: change.paymentId,
    });
  }

  /** The member's receipt for a charge that went through, in their notifications. */
  private async receipt(tx: EntityManager, m: Membership, plan: Plan, payment: Payment, now: Date): Promise<void> {
    const figures = {
      paymentId: payment.id,
      kind: payment.kind,
      planCode: plan.code,
      price: { amount: payment.amount, currency: payment.currency },
      periodStart: payment.periodStart?.toISOString() ?? null,
      periodEnd: payment.periodEnd?.toISOString() ?? null,
    };
    await Notifications.send(tx, {
      memberId: m.member.id,
      type: 'membership.payment_receipt',
      at: now,
      ...lifecycleMessages.receipt(figures, this.options.timeZone),
      data: figures,
      dedupeKey: `receipt:${payment.id}`,
    });
  }

  /** A refused charge: the first period never starts, a renewal puts the membership in grace, a retry counts. */
  private async onFailure(tx: EntityManager, m: Membership, plan: Plan, payment: Payment, now: Date): Promise<void> {
    if (payment.kind === PaymentKind.INITIAL) {
      if (m.status === MembershipStatus.PENDING_PAYMENT) {
        m.status = MembershipStatus.PAYMENT_FAILED;
        m.endedAt = now;
      }
      return;
    }
    const current = payment.periodStart?.getTime() === m.currentPeriodStart?.getTime();
    if (!current || payment.kind === PaymentKind.PRORATION || payment.kind === PaymentKind.RECOVERY) return;
    if (m.status === MembershipStatus.ACTIVE) {
      m.status = MembershipStatus.PAST_DUE;
      m.pastDueSince = now;
      m.graceEndsAt = addDays(now, plan.graceDays);
      m.failedAttempts = 1;
      if (plan.graceAccess === 'SUSPENDED') await this.options.rights.suspend(tx, m.id, now);
      const figures = {
        paymentId: payment.id,
        price: { amount: payment.amount, currency: payment.currency },
        reason: payment.failureReason,
        graceEndsAt: m.graceEndsAt.toISOString(),
        rightsSuspended: plan.graceAccess === 'SUSPENDED',
      };
      await recordEvent(tx, m, MembershipEventType.PAST_DUE, now, figures);
      await Notifications.send(tx, {
        memberId: m.member.id,
        type: 'membership.past_due',
        at: now,
        ...lifecycleMessages.pastDue(figures, this.options.timeZone),
        data: figures,
        dedupeKey: `past-due:${m.id}:${m.currentPeriodStart!.toISOString()}`,
      });
    } else if (m.status === MembershipStatus.PAST_DUE) {
      m.failedAttempts = Math.max(m.failedAttempts, payment.attempt);
    }
  }

  private async unwanted(tx: EntityManager, m: Membership, payment: Payment, now: Date, effects: Effect[], why: string): Promise<void> {
    this.options.logger?.warn({ paymentId: payment.id, membershipId: m.id, why }, 'a charge succeeded for nothing; refunding it');
    this.queueRefund(tx, payment, payment.amount, 'UNWANTED_CHARGE', now, effects);
    await recordEvent(tx, m, MembershipEventType.REFUNDED, now, { paymentId: payment.id, amount: payment.amount, reason: 'UNWANTED_CHARGE', why });
  }

  // ---------------------------------------------------------------- refunds

  /** Records a refund to ask the provider for after the transaction commits. */
  queueRefund(tx: EntityManager, payment: Payment, amount: number, reason: string, now: Date, effects: Effect[]): PaymentRefund {
    const membershipId = payment.membership.id;
    const refund = tx.create(PaymentRefund, {
      payment,
      memberId: payment.memberId,
      amount,
      currency: payment.currency,
      status: RefundStatus.PENDING,
      reason,
      requestedAt: now,
      retryAt: new Date(now.getTime() + QUERY_DELAYS_MS[0]!),
    });
    payment.refundedAmount += amount;
    if (payment.refundedAmount >= payment.amount) payment.status = PaymentStatus.REFUNDED;
    openItems(tx, membershipId).refunds?.push(refund);
    effects.push({ kind: 'refund', refundId: refund.id });
    return refund;
  }

  /** Asks the provider for a recorded refund (idempotent by our refund id) and records its answer. */
  async sendRefund(refundId: string): Promise<RefundStatus> {
    const em = this.em.fork();
    const refund = await em.findOneOrFail(PaymentRefund, { id: refundId }, { populate: ['payment'] });
    if (refund.status !== RefundStatus.PENDING) return refund.status;
    const payment = refund.payment as Payment;
    const result = await this.options.payments.refund({
      refundId: refund.id,
      paymentId: payment.id,
      providerReference: payment.providerReference ?? null,
      amount: refund.amount,
      paidAmount: payment.amount,
      currency: refund.currency,
    });
    if (result.outcome === 'PENDING') {
      // Accepted: the provider is processing it; nothing more to send.
      await em.nativeUpdate(PaymentRefund, { id: refund.id }, { retryAt: null, providerReference: result.providerReference ?? null });
      return RefundStatus.PENDING;
    }
    const status = result.outcome === 'SUCCEEDED' ? RefundStatus.SUCCEEDED : RefundStatus.FAILED;
    await em.transactional(async (tx) => {
      const updated = await tx.nativeUpdate(
        PaymentRefund,
        { id: refund.id, status: RefundStatus.PENDING },
        { status, providerReference: result.providerReference ?? null, settledAt: this.realNow(), retryAt: null },
      );
      if (updated && status === RefundStatus.FAILED) {
        // Nothing was given back: the payment counts it as paid again.
        await tx.execute(
          `update payment set refunded_amount = refunded_amount - ?, status = case when status = 'REFUNDED' then 'SUCCEEDED'::payment_status else status end where id = ?`,
          [refund.amount, payment.id],
        );
      }
    });
    return status;
  }
}
