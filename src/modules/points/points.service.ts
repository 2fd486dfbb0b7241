import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type AppDependencies } from '../../platform/context.js';
import { loadLoyaltyProgram, type RewardOffer } from '../loyalty-program/index.js';
import { debtAccount, memberAccount } from './accounts.js';
import { whatPointsBuy } from './rewards-phrase.js';

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
}
