import type { LocalizedText } from '../../platform/localized.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type AppDependencies } from '../../platform/context.js';
import { loadLoyaltyProgram, type RewardOffer } from '../loyalty-program/index.js';
import { debtAccount, memberAccount } from './accounts.js';
import { whatPointsBuy } from './rewards-phrase.js';
import { pointsLiability, type PointsLiability } from './liability.js';

/** A lot as members see it. */
export interface PointsLotView {
  id: string;
  earned: number;
  remaining: number;
  earnedAt: Date;
  expiresAt: Date | null;
}

/** Points that expire together, and what they would buy. */
export interface PointsExpiryView {
  points: number;
  expiresAt: Date;
  buys: Array<{ reward: RewardOffer; count: number }>;
}

export interface PointsAccountView {
  memberId: string;
  /** The member's "now" the figures are as of. */
  asOf: Date;
  balance: number;
  debt: number;
  lots: PointsLotView[];
}

/** Members' points as they read them: balance, debt, every lot with its own expiry, what expires when. */
export class PointsService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'memberClocks'>,
  ) {}

  /**
   * The member's account as of their now. Lots past their expiry count as expired even before
   * the expiry job has run, so a balance never shows points that can no longer be spent.
   */
  async account(memberId: string): Promise<PointsAccountView> {
    const asOf = await memberNow(this.deps, this.em, memberId);
    const [accounts, lots] = await Promise.all([
      this.em.execute<{ id: string; balance: string }[]>(`select id, balance from points_account where id in (?, ?)`, [memberAccount(memberId), debtAccount(memberId)]),
      this.em.execute<{ id: string; earned: number; remaining: number; earned_at: Date; expires_at: Date | null }[]>(
        `select id, earned, remaining, earned_at, expires_at from points_lot
          where member_id = ? and remaining > 0 order by expires_at nulls last, earned_at, id`,
        [memberId],
      ),
    ]);
    const live = lots
      .map((l) => ({ ...l, earned_at: new Date(l.earned_at), expires_at: l.expires_at ? new Date(l.expires_at) : null }))
      .filter((l) => !l.expires_at || l.expires_at > asOf);
    return {
      memberId,
      asOf,
      balance: live.reduce((sum, l) => sum + l.remaining, 0),
      debt: -Number(accounts.find((a) => a.id === debtAccount(memberId))?.balance ?? 0),
      lots: live.map((l) => ({ id: l.id, earned: l.earned, remaining: l.remaining, earnedAt: l.earned_at, expiresAt: l.expires_at })),
    };
  }

  /** The member's points grouped by the day they expire, soonest first, each with what it buys. */
  async expiring(account: PointsAccountView, withinDays: number): Promise<PointsExpiryView[]> {
    const program = await loadLoyaltyProgram(this.em);
    const until = account.asOf.getTime() + withinDays * 86_400_000;
    const byDay = new Map<number, number>();
    for (const lot of account.lots) {
      if (!lot.expiresAt || lot.expiresAt.getTime() > until) continue;
      byDay.set(lot.expiresAt.getTime(), (byDay.get(lot.expiresAt.getTime()) ?? 0) + lot.remaining);
    }
    return [...byDay.entries()]
      .sort(([a], [b]) => a - b)
      .map(([at, points]) => ({ points, expiresAt: new Date(at), buys: whatPointsBuy(points, program.rewards) }));
  }

  /** The points liability now (admins): outstanding, by expiry month and by issuer. */
  liability(timeZone: string): Promise<PointsLiability> {
    return pointsLiability(this.em, this.deps.now?.() ?? new Date(), timeZone);
  }

  /**
   * The member's postings, newest first (with the activity each accounts for, read from the
   * activity module's table): what each earned or cost them and why (the activity, the
   * refund, the reward, the expiry), so "why did I get or lose these points" always has an answer.
   */
  async history(memberId: string, first: number): Promise<PointsHistoryEntry[]> {
    const rows = await this.em.execute<{ id: string; kind: string; points: number; effective_at: Date; memo: Record<string, unknown> | null; net: string | null; activity_type: string | null; channel: string | null; external_id: string | null }[]>(
      `select j.id, j.kind, j.points, j.effective_at, j.memo,
              (select sum(case when t.credit_account_id = ? then t.amount when t.debit_account_id = ? then -t.amount else 0 end) from points_transfer t where t.journal_id = j.id) as net,
              a.type as activity_type, a.channel, a.external_id
         from points_journal j left join activity a on a.id = j.activity_id
        where j.member_id = ? order by j.effective_at desc, j.created_at desc limit ?`,
      [memberAccount(memberId), memberAccount(memberId), memberId, first],
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      at: new Date(r.effective_at),
      change: Number(r.net ?? 0),
      debt: Number(r.memo?.debt ?? 0),
      activityType: r.activity_type,
      channel: r.channel,
      externalId: r.external_id,
      description: typeof r.memo?.description === 'string' ? r.memo.description : null,
      partnerId: typeof r.memo?.partnerId === 'string' ? r.memo.partnerId : null,
      rewardName: r.memo?.rewardName && typeof r.memo.rewardName === 'object' ? (r.memo.rewardName as LocalizedText) : null,
    }));
  }
}

/** One posting as the member reads it. */
export interface PointsHistoryEntry {
  id: string;
  /** EARN, REVERSAL, SPEND, RESTORE, EXPIRY. */
  kind: string;
  at: Date;
  /** What it did to the member's balance (negative: points out). */
  change: number;
  /** What it added to the member's debt (a refund of points already spent). */
  debt: number;
  activityType: string | null;
  channel: string | null;
  externalId: string | null;
  description: string | null;
  /** A burn at a partner's till: the partner. */
  partnerId: string | null;
  /** A reward bought (or given back): its name. */
  rewardName: LocalizedText | null;
}
