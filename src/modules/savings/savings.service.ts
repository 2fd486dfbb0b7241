import type { EntityManager } from '@mikro-orm/postgresql';
import type { Membership, MembershipValue } from '../membership/index.js';
import { rightValuesSql } from './value-sql.js';

interface Money {
  amount: number;
  currency: string;
}

/** What a membership gave its member against what it cost ("you saved ¥356 on a ¥198 membership"). */
export interface SavingsView {
  /** Member-facing value received in the current period, up to now. */
  thisPeriod: Money;
  /** Since the member first joined (every membership of theirs). */
  sinceJoined: Money;
  /** Fees paid since joining, refunds deducted. */
  feesPaid: Money;
}

/**
 * "Total saved": the member-facing value of what memberships gave (`benefit.member_value_*`),
 * computed from what happened — QUOTA uses redeemed and not voided, VOUCHER codes claimed,
 * days of ACCESS the member held (from its period's start, or its acknowledgement, to its end,
 * its revocation or now), CONVERSION units credited (acknowledged by the partner) — against
 * the fees paid. Benefits without a member value, or valued in another currency than the
 * plan's, count nothing. Reads only; one statement per figure.
 */
/** What savings read of a membership (the entity or the member page's view). */
type SavingsMembership = Pick<Membership, 'id' | 'currentPeriodStart'> & { member: { id: string }; plan: { id: string } };

export class SavingsService implements MembershipValue {
  constructor(
    private readonly em: EntityManager,
    private readonly options: { now?: () => Date } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async forMembership(membership: SavingsMembership, now = this.now()): Promise<SavingsView> {
    const currency = await this.currencyOf(this.em, membership);
    const [thisPeriod, sinceJoined, feesPaid] = await Promise.all([
      this.thisPeriod(this.em, membership, now, currency),
      this.valueReceived(this.em, { memberId: membership.member.id, membershipId: null, from: null, now, currency }),
      this.feesPaid(membership.member.id, currency),
    ]);
    return { thisPeriod, sinceJoined: { amount: sinceJoined, currency }, feesPaid: { amount: feesPaid, currency } };
  }

  /** The value received in the membership's current period up to `now` (the renewal reminder states it; refunds may deduct it). */
  async thisPeriod(em: EntityManager, membership: SavingsMembership, now: Date, known?: string): Promise<Money> {
    const currency = known ?? (await this.currencyOf(em, membership));
    if (!membership.currentPeriodStart) return { amount: 0, currency };
    const amount = await this.valueReceived(em, { memberId: membership.member.id, membershipId: membership.id, from: membership.currentPeriodStart, now, currency });
    return { amount, currency };
  }

  private async currencyOf(em: EntityManager, membership: SavingsMembership): Promise<string> {
    const [row] = await em.execute<{ currency: string }[]>(`select currency from plan where id = ?`, [membership.plan.id]);
    return row?.currency.trim() ?? 'CNY';
  }

  private async valueReceived(
    em: EntityManager,
    scope: { memberId: string; membershipId: string | null; from: Date | null; now: Date; currency: string },
  ): Promise<number> {
    const { memberId, membershipId, from, now, currency } = scope;
    // One window, closed at `now` (what happened at this very instant counts).
    const [row] = await em.execute<{ total: string | number }[]>(
      `select coalesce(sum(value), 0) as total from (${rightValuesSql(
        `select 'one'::text as key, ?::uuid as member_id, ?::uuid as membership_id, ?::timestamptz as from_at, ?::timestamptz as to_at, true as to_inclusive, ?::text as currency`,
      )}) v`,
      [memberId, membershipId, from, now, currency],
    );
    return Number(row?.total ?? 0);
  }

  private async feesPaid(memberId: string, currency: string): Promise<number> {
    const [row] = await this.em.execute<{ total: string | number }[]>(
      `select coalesce(sum(p.amount - p.refunded_amount), 0) as total
       from payment p join membership m on m.id = p.membership_id
       where m.member_id = ? and p.currency = ? and p.status in ('SUCCEEDED', 'REFUNDED')`,
      [memberId, currency],
    );
    return Number(row?.total ?? 0);
  }
}
