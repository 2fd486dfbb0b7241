import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { ActivityType, partnerChannel, type ActivityService, type ActivityView } from '../activity/index.js';
import type { MemberPseudonymizer } from '../keys/index.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import { memberAccount, PointsLedger, type PointsService } from '../points/index.js';
import { SettlementService, type PointsSettlementView } from '../settlement/index.js';
import { TokenError, type MembershipCardTokens } from '../token/index.js';

const MAX_KEY_LENGTH = 128;
const MAX_DESCRIPTION = 200;
const MAX_BURN = 10_000_000;

export interface CoalitionDependencies extends Pick<AppDependencies, 'now' | 'memberClocks'> {
  cards: MembershipCardTokens;
  pseudonyms: MemberPseudonymizer;
  activities: ActivityService;
  points: PointsService;
}

export interface IssuedCardView {
  token: string;
  partnerId: string;
  expiresAt: Date;
}

/** What a partner learns from a scanned card: its own pseudonym for the member, their tier and points. */
export interface CardCheckView {
  member: string;
  tierCode: string;
  balance: number;
  expiresAt: Date;
}

export interface PartnerOrder {
  externalId: string;
  amount: { amount: number; currency: string };
  occurredAt?: Date | null;
}

export interface PartnerEarningView {
  member: string;
  activity: ActivityView;
  balance: number;
}

export interface PartnerBurnView {
  id: string;
  member: string;
  points: number;
  balance: number;
  at: Date;
}

/**
 * The coalition at partners' tills: a member shows a short-lived signed card (a QR code), the
 * partner reports a purchase on it (points at the program's rate for that partner, issued by the
 * partner, which buys them at the agreed price) or burns points for a reward at its till (we pay
 * it for them), and reports refunds of its own orders.
 */
export class CoalitionService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: CoalitionDependencies,
  ) {}

  async issueCard(memberId: string, partnerId: string): Promise<IssuedCardView> {
    const [partner] = await this.em.execute<{ id: string }[]>(`select id from partner where id = ?`, [partnerId]);
    if (!partner) throw AppError.notFound('Partner', partnerId);
    const { token, claims, kid } = await this.deps.cards.sign(partnerId, this.deps.pseudonyms.forPartner(memberId, partnerId));
    const expiresAt = new Date(claims.exp * 1000);
    await this.em.execute(`insert into membership_card (jti, member_id, partner_id, kid, expires_at) values (?, ?, ?, ?, ?)`, [claims.jti, memberId, partnerId, kid, expiresAt]);
    return { token, partnerId, expiresAt };
  }

  /** The member behind a card shown to `partnerId`: TOKEN_INVALID for another partner's, a forged or an unknown card, TOKEN_EXPIRED after its lifetime. */
  private async holder(partnerId: string, card: string): Promise<{ memberId: string; subject: string; expiresAt: Date }> {
    const claims = await this.deps.cards.verify(card, partnerId);
    const [row] = await this.em.execute<{ member_id: string; erased_at: Date | null }[]>(
      `select c.member_id, m.erased_at from membership_card c join member m on m.id = c.member_id where c.jti = ? and c.partner_id = ?`,
      [claims.jti, partnerId],
    );
    if (!row || row.erased_at || this.deps.pseudonyms.forPartner(row.member_id, partnerId) !== claims.sub) throw TokenError.invalidCard('it was not issued for this partner');
    return { memberId: row.member_id, subject: claims.sub, expiresAt: new Date(claims.exp * 1000) };
  }

  async checkCard(partnerId: string, card: string): Promise<CardCheckView & { memberId: string }> {
    const holder = await this.holder(partnerId, card);
    const account = await this.deps.points.account(holder.memberId);
    const [tier] = await this.em.execute<{ tier_code: string }[]>(`select tier_code from member_tier where member_id = ?`, [holder.memberId]);
    const program = await loadLoyaltyProgram(this.em);
    return { memberId: holder.memberId, member: holder.subject, tierCode: tier?.tier_code ?? program.baseTier.code, balance: account.balance, expiresAt: holder.expiresAt };
  }

  /** A purchase at the partner's till, on the member's card. */
  async earn(partnerId: string, card: string, order: PartnerOrder): Promise<PartnerEarningView> {
    const holder = await this.holder(partnerId, card);
    const activity = await this.deps.activities.record(
      { memberId: holder.memberId, type: ActivityType.PURCHASE, channel: partnerChannel(partnerId), externalId: order.externalId, amount: order.amount, occurredAt: order.occurredAt ?? null },
      { kind: 'PARTNER', partnerId },
    );
    return { member: holder.subject, activity, balance: (await this.deps.points.account(holder.memberId)).balance };
  }

  /** A refund of one of the partner's own orders (no card: the order says whose it was). */
  async refund(partnerId: string, refund: { externalId: string; refundOf: string; amount: { amount: number; currency: string }; occurredAt?: Date | null }): Promise<PartnerEarningView> {
    const [order] = await this.em.execute<{ member_id: string }[]>(`select member_id from activity where channel = ? and external_id = ? and type = 'PURCHASE'`, [
      partnerChannel(partnerId),
      refund.refundOf.trim(),
    ]);
    if (!order) throw AppError.notFound('Order', refund.refundOf);
    const activity = await this.deps.activities.record(
      { memberId: order.member_id, type: ActivityType.REFUND, channel: partnerChannel(partnerId), externalId: refund.externalId, amount: refund.amount, refundOf: refund.refundOf, occurredAt: refund.occurredAt ?? null },
      { kind: 'PARTNER', partnerId },
    );
    return { member: this.deps.pseudonyms.forPartner(order.member_id, partnerId), activity, balance: (await this.deps.points.account(order.member_id)).balance };
  }

  /** Points burned at the partner's till (oldest lots first); INSUFFICIENT_POINTS when the member has too few. */
  async burn(partnerId: string, card: string, request: { points: number; idempotencyKey: string; description?: string | null }): Promise<PartnerBurnView> {
    new InputValidator()
      .check(Number.isInteger(request.points) && request.points > 0 && request.points <= MAX_BURN, 'points', `must be a whole number from 1 to ${MAX_BURN}`)
      .check(request.idempotencyKey.length >= 1 && request.idempotencyKey.length <= MAX_KEY_LENGTH, 'idempotencyKey', `must be 1-${MAX_KEY_LENGTH} characters`)
      .check((request.description ?? '').length <= MAX_DESCRIPTION, 'description', `must be at most ${MAX_DESCRIPTION} characters`)
      .throwIfInvalid();
    const holder = await this.holder(partnerId, card);
    const program = await loadLoyaltyProgram(this.em);
    const now = await memberNow(this.deps, this.em, holder.memberId);
    return this.em.fork().transactional(async (tx) => {
      const ledger = new PointsLedger(tx, program.rules.expiryReminderDays);
      await ledger.lock(holder.memberId, now);
      const spent = await ledger.spend({
        memberId: holder.memberId,
        idempotencyKey: `burn:${partnerId}:${request.idempotencyKey}`,
        at: now,
        points: request.points,
        to: { kind: 'PARTNER', partnerId },
        memo: { type: 'BURN', partnerId, ...(request.description ? { description: request.description } : {}) },
      });
      const [journal] = await tx.execute<{ effective_at: Date; points: number }[]>(`select effective_at, points from points_journal where id = ?`, [spent.journalId]);
      const [account] = await tx.execute<{ balance: string }[]>(`select balance from points_account where id = ?`, [memberAccount(holder.memberId)]);
      return { id: spent.journalId, member: holder.subject, points: journal!.points, balance: Number(account!.balance), at: new Date(journal!.effective_at) };
    });
  }

  /** The partner's coalition points in [from, to) and what each side owes for them (its settlement's `points`, computed by the settlement module). */
  pointsSettlement(partnerId: string, from: Date, to: Date): Promise<PointsSettlementView> {
    return new SettlementService(this.em).pointsSettlement(partnerId, from, to);
  }
}
