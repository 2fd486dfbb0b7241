import { MomentKind, Moments } from '../moments/index.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { addMonths } from '../../platform/zoned-time.js';
import {
  monthKey,
  nextEvaluation,
  windowMonths,
  type LoyaltyProgramSnapshot,
  type QualifyingMetrics,
  type TierRung,
} from '../loyalty-program/index.js';
import { TierChangeReason } from './tier.entity.js';
import { syncTierRights, type TierRightsOptions } from './tier-rights.js';

/** A member's tier state as the book holds it under the member's lock. */
export interface TierState {
  memberId: string;
  tierCode: string;
  since: Date;
  lastDowngradeAt: Date | null;
  clockId: string | null;
}

export interface TierMove {
  from: string;
  to: string;
  reason: TierChangeReason;
  at: Date;
}

const ZERO: QualifyingMetrics = { spend: 0, orders: 0, pointsEarned: 0 };

/** Qualifying figures per month key. */
export type MonthlyFigures = ReadonlyMap<string, QualifyingMetrics>;

/** The sum of the months `from`..`to` (month keys, inclusive). */
export function sumWindow(months: MonthlyFigures, from: string, to: string): QualifyingMetrics {
  const total = { ...ZERO };
  for (const [key, m] of months) {
    if (key < from || key > to) continue;
    total.spend += m.spend;
    total.orders += m.orders;
    total.pointsEarned += m.pointsEarned;
  }
  return total;
}

/**
 * Tiers of one member inside the caller's transaction: the member's loyalty lock, the monthly
 * qualifying figures, upgrades, refund reverts, evaluations, and the history of every move.
 * The only code that writes `member_tier`, `tier_change` and `tier_qualifying_month`.
 */
export class TierBook {
  private readonly timeZone: string;

  constructor(
    private readonly tx: EntityManager,
    private readonly program: LoyaltyProgramSnapshot,
    /** The program time zone, and the partners told of the rights a tier unlocks. */
    private readonly options: TierRightsOptions,
  ) {
    this.timeZone = options.timeZone;
  }

  /** Opens (at the base tier, when new) and locks the member's tier row: their loyalty lock. */
  async lock(memberId: string, clockId: string | null, now: Date): Promise<TierState> {
    await this.tx.execute(
      `insert into member_tier (member_id, tier_code, since, test_clock_id) values (?, ?, ?, ?) on conflict (member_id) do nothing`,
      [memberId, this.program.baseTier.code, now, clockId],
    );
    const [row] = await this.tx.execute<{ tier_code: string; since: Date; last_downgrade_at: Date | null; test_clock_id: string | null }[]>(
      `select tier_code, since, last_downgrade_at, test_clock_id from member_tier where member_id = ? for update`,
      [memberId],
    );
    return { memberId, tierCode: row!.tier_code, since: new Date(row!.since), lastDowngradeAt: row!.last_downgrade_at ? new Date(row!.last_downgrade_at) : null, clockId: row!.test_clock_id };
  }

  /** Adds to the month of `occurredAt` (negative spend for a refund). */
  async addQualifying(memberId: string, occurredAt: Date, add: Partial<QualifyingMetrics>): Promise<void> {
    await this.tx.execute(
      `insert into tier_qualifying_month (member_id, month, spend, orders, points_earned) values (?, ?, ?, ?, ?)
       on conflict (member_id, month) do update set spend = tier_qualifying_month.spend + excluded.spend,
         orders = tier_qualifying_month.orders + excluded.orders, points_earned = tier_qualifying_month.points_earned + excluded.points_earned`,
      [memberId, monthKey(occurredAt, this.timeZone), add.spend ?? 0, add.orders ?? 0, add.pointsEarned ?? 0],
    );
  }

  /** The member's monthly figures from `from` on. */
  async months(memberId: string, from: string): Promise<Map<string, QualifyingMetrics>> {
    const rows = await this.tx.execute<{ month: string; spend: string; orders: number; points_earned: number }[]>(
      `select to_char(month, 'YYYY-MM-DD') as month, spend, orders, points_earned from tier_qualifying_month where member_id = ? and month >= ?::date`,
      [memberId, from],
    );
    return new Map(rows.map((r) => [r.month, { spend: Number(r.spend), orders: r.orders, pointsEarned: r.points_earned }]));
  }

  /** The window that decides at `at`: a purchase's (the months ending with the current one) or an evaluation's (the months before). */
  async window(memberId: string, at: Date, kind: 'EVALUATION' | 'CURRENT'): Promise<QualifyingMetrics> {
    const { from, to } = windowMonths(at, this.program.rules.tiers.windowMonths, this.timeZone, kind);
    return sumWindow(await this.months(memberId, from), from, to);
  }

  /** The rank of the tier the member holds. */
  rankOf(state: TierState): number {
    return this.program.tier(state.tierCode).rank;
  }

  /** The tier multiplier a purchase at this state earns with (thousandths). */
  multiplierOf(state: TierState): number {
    return this.program.tier(state.tierCode).multiplierPermille;
  }

  private async move(state: TierState, to: TierRung, reason: TierChangeReason, at: Date, spend: number, activityId: string | null): Promise<TierMove> {
    const move: TierMove = { from: state.tierCode, to: to.code, reason, at };
    const downgrade = to.rank < this.program.tier(state.tierCode).rank;
    await this.tx.execute(
      `insert into tier_change (id, member_id, from_tier, to_tier, reason, at, qualifying_spend, activity_id) values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`,
      [state.memberId, state.tierCode, to.code, reason, at, spend, activityId],
    );
    await this.announce([{ ...move, memberId: state.memberId, clockId: state.clockId }]);
    state.tierCode = to.code;
    state.since = at;
    if (downgrade && reason === TierChangeReason.EVALUATION_DOWNGRADE) state.lastDowngradeAt = at;
    await syncTierRights(this.tx, this.program, [state], at, this.options);
    return move;
  }

  /** After a purchase: an upgrade at once when the program upgrades at once and the window reaches a higher tier. */
  async afterPurchase(state: TierState, now: Date, activityId: string | null): Promise<TierMove | null> {
    if (this.program.rules.tiers.upgrade !== 'IMMEDIATE') return null;
    const metrics = await this.window(state.memberId, now, 'CURRENT');
    const matching = this.program.matching(metrics);
    if (matching.rank <= this.program.tier(state.tierCode).rank) return null;
    return this.move(state, matching, TierChangeReason.UPGRADE, now, metrics.spend, activityId);
  }

  /**
   * After a refund: when the window no longer meets the tier and that tier was reached by an
   * upgrade within the last window, the member goes back at once to the tier the remaining
   * window meets, never below the tier held just before that upgrade (walking back through
   * each recent upgrade the window no longer carries).
   */
  async afterRefund(state: TierState, now: Date, activityId: string): Promise<TierMove | null> {
    if (!this.program.rules.tiers.refundRevertsUpgrade) return null;
    const metrics = await this.window(state.memberId, now, 'CURRENT');
    let current = this.program.tier(state.tierCode);
    if (this.program.meets(current, metrics)) return null;
    const since = addMonths(now, -this.program.rules.tiers.windowMonths, this.timeZone);
    const upgrades = await this.tx.execute<{ from_tier: string; to_tier: string }[]>(
      `select from_tier, to_tier from tier_change where member_id = ? and reason in ('UPGRADE', 'EVALUATION_UPGRADE') and at >= ? order by at desc, created_at desc`,
      [state.memberId, since],
    );
    const matching = this.program.matching(metrics);
    for (const upgrade of upgrades) {
      if (this.program.meets(current, metrics)) break;
      if (upgrade.to_tier !== current.code) continue;
      current = this.program.higher(matching, this.program.tier(upgrade.from_tier));
    }
    if (current.code === state.tierCode) return null;
    return this.move(state, current, TierChangeReason.REFUND_REVERT, now, metrics.spend, activityId);
  }

  /** Whether a downgrade may happen at `at` (the minimum interval since the last one). */
  downgradeAllowed(state: Pick<TierState, 'lastDowngradeAt'>, at: Date): boolean {
    const gap = this.program.rules.tiers.minMonthsBetweenDowngrades;
    return !state.lastDowngradeAt || gap === 0 || addMonths(state.lastDowngradeAt, gap, this.timeZone) <= at;
  }

  /** Where an evaluation at `at` with `metrics` moves a member at `state` (null: nowhere). */
  evaluationTarget(state: Pick<TierState, 'tierCode' | 'since' | 'lastDowngradeAt'>, metrics: QualifyingMetrics, at: Date): { tier: TierRung; reason: TierChangeReason } | null {
    const rules = this.program.rules.tiers;
    const current = this.program.tier(state.tierCode);
    const matching = this.program.matching(metrics);
    if (matching.rank > current.rank) return { tier: matching, reason: TierChangeReason.EVALUATION_UPGRADE };
    if (matching.rank === current.rank) return null;
    if (rules.mode === 'ONLY_UP' && addMonths(state.since, rules.onlyUpMonths, this.timeZone) > at) return null;
    if (!this.downgradeAllowed(state, at)) return null;
    const target = rules.downgrade === 'ONE_STEP' ? this.program.higher(this.program.below(current.code), matching) : matching;
    return { tier: target, reason: TierChangeReason.EVALUATION_DOWNGRADE };
  }

  /**
   * What the scheduled evaluation at `at` (00:00 program time on the evaluation day), run at
   * `now` (later when a worker was late), does to a member with these monthly figures: the moves,
   * applied to `state`. A tier that changed at or after `at` was decided on newer figures and is
   * left alone; after a downgrade, purchases made since `at` still upgrade at once, as they would
   * have had the evaluation run on time. Pure: the batch path and the single one share it.
   */
  planEvaluation(state: TierState, months: MonthlyFigures, at: Date, now: Date = at): Array<TierMove & { spend: number }> {
    if (state.since >= at) return [];
    const rules = this.program.rules.tiers;
    const evaluationWindow = windowMonths(at, rules.windowMonths, this.timeZone, 'EVALUATION');
    const metrics = sumWindow(months, evaluationWindow.from, evaluationWindow.to);
    const target = this.evaluationTarget(state, metrics, at);
    if (!target) return [];
    const moves: Array<TierMove & { spend: number }> = [this.apply(state, target.tier, target.reason, at, metrics.spend)];
    if (now > at && target.reason === TierChangeReason.EVALUATION_DOWNGRADE && rules.upgrade === 'IMMEDIATE') {
      const currentWindow = windowMonths(now, rules.windowMonths, this.timeZone, 'CURRENT');
      const current = sumWindow(months, currentWindow.from, currentWindow.to);
      const matching = this.program.matching(current);
      if (matching.rank > this.program.tier(state.tierCode).rank) moves.push(this.apply(state, matching, TierChangeReason.UPGRADE, now, current.spend));
    }
    return moves;
  }

  /** Applies a move to the state in memory. */
  private apply(state: TierState, to: TierRung, reason: TierChangeReason, at: Date, spend: number): TierMove & { spend: number } {
    const move = { from: state.tierCode, to: to.code, reason, at, spend };
    if (to.rank < this.program.tier(state.tierCode).rank && reason === TierChangeReason.EVALUATION_DOWNGRADE) state.lastDowngradeAt = at;
    state.tierCode = to.code;
    state.since = at;
    return move;
  }

  /** Writes moves to the history, in one statement, and tells the members. */
  async record(moves: ReadonlyArray<TierMove & { memberId: string; spend: number; clockId: string | null }>): Promise<void> {
    if (moves.length === 0) return;
    await this.tx.execute(
      `insert into tier_change (id, member_id, from_tier, to_tier, reason, at, qualifying_spend) values ${moves.map(() => '(gen_random_uuid(), ?, ?, ?, ?, ?, ?)').join(', ')}`,
      moves.flatMap((m) => [m.memberId, m.from, m.to, m.reason, m.at, m.spend]),
    );
    await this.announce(moves);
  }

  /** A ritual moment per move: TIER_UP or TIER_DOWN, with the new tier's name. */
  private async announce(moves: ReadonlyArray<TierMove & { memberId: string; clockId: string | null }>): Promise<void> {
    for (const m of moves) {
      const up = this.program.tier(m.to).rank > this.program.tier(m.from).rank;
      await Moments.record(this.tx, {
        memberId: m.memberId,
        kind: up ? MomentKind.TIER_UP : MomentKind.TIER_DOWN,
        occurredAt: m.at,
        data: { from: m.from, to: m.to, toName: this.program.tier(m.to).name },
        dedupeKey: `TIER:${m.memberId}:${m.at.toISOString()}:${m.to}`,
        clockId: m.clockId,
      });
    }
  }

  /**
   * Scheduled evaluations of many members in the caller's transaction: their rows locked in id
   * order (two runners never deadlock), their months read in one statement, the moves and the
   * new states written in one statement each. `claims` are the members and the instants their
   * evaluations were due at.
   */
  async evaluateMany(claims: ReadonlyArray<{ memberId: string; at: Date }>, now: Date): Promise<number> {
    if (claims.length === 0) return 0;
    const ids = [...new Set(claims.map((c) => c.memberId))].sort();
    const rows = await this.tx.execute<{ member_id: string; tier_code: string; since: Date; last_downgrade_at: Date | null; test_clock_id: string | null }[]>(
      `select member_id, tier_code, since, last_downgrade_at, test_clock_id from member_tier where member_id = any(?::uuid[]) order by member_id for update`,
      [`{${ids.join(',')}}`],
    );
    const earliest = claims.reduce((min, c) => (c.at < min ? c.at : min), now);
    const { from } = windowMonths(earliest, this.program.rules.tiers.windowMonths, this.timeZone, 'EVALUATION');
    const figures = await this.tx.execute<{ member_id: string; month: string; spend: string; orders: number; points_earned: number }[]>(
      `select member_id, to_char(month, 'YYYY-MM-DD') as month, spend, orders, points_earned from tier_qualifying_month where member_id = any(?::uuid[]) and month >= ?::date`,
      [`{${ids.join(',')}}`, from],
    );
    const monthsOf = new Map<string, Map<string, QualifyingMetrics>>();
    for (const f of figures) {
      let months = monthsOf.get(f.member_id);
      if (!months) monthsOf.set(f.member_id, (months = new Map()));
      months.set(f.month, { spend: Number(f.spend), orders: f.orders, pointsEarned: f.points_earned });
    }
    const dueAt = new Map(claims.map((c) => [c.memberId, c.at]));
    const moves: Array<TierMove & { memberId: string; spend: number; clockId: string | null }> = [];
    const states: TierState[] = [];
    const dueAfter = new Map<string, Date>();
    for (const row of rows) {
      const state: TierState = {
        memberId: row.member_id,
        tierCode: row.tier_code,
        since: new Date(row.since),
        lastDowngradeAt: row.last_downgrade_at ? new Date(row.last_downgrade_at) : null,
        clockId: row.test_clock_id,
      };
      const at = dueAt.get(row.member_id)!;
      for (const move of this.planEvaluation(state, monthsOf.get(row.member_id) ?? new Map(), at, now)) moves.push({ ...move, memberId: row.member_id, clockId: row.test_clock_id });
      states.push(state);
      dueAfter.set(row.member_id, at);
    }
    await this.record(moves);
    await this.saveMany(states, dueAfter);
    // The rights tiers unlock follow the moves (the month's roll is the rights' own due work).
    const moved = new Set(moves.map((m) => m.memberId));
    await syncTierRights(this.tx, this.program, states.filter((s) => moved.has(s.memberId)), now, this.options);
    return rows.length;
  }

  /** Writes states, each with its first evaluation after the instant given for it, in one statement. */
  async saveMany(states: readonly TierState[], after: ReadonlyMap<string, Date>): Promise<void> {
    if (states.length === 0) return;
    const rules = this.program.rules.tiers;
    const values = states.map((state) => {
      const canMove = rules.upgrade === 'AT_EVALUATION' || this.program.tier(state.tierCode).rank > 0;
      return [state.memberId, state.tierCode, state.since, state.lastDowngradeAt, canMove ? nextEvaluation(after.get(state.memberId)!, rules.evaluationDayOfMonth, this.timeZone) : null];
    });
    await this.tx.execute(
      `update member_tier t set tier_code = v.tier_code, since = v.since, last_downgrade_at = v.last_downgrade_at, evaluation_due_at = v.due
         from (values ${values.map(() => '(?::uuid, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)').join(', ')}) as v(member_id, tier_code, since, last_downgrade_at, due)
        where t.member_id = v.member_id`,
      values.flat(),
    );
  }

  /**
   * Writes the state with the first evaluation after `after` that may move the member (none when
   * none can). An activity keeps an earlier evaluation still to run (`keepEarlier`), so it never
   * skips one that is due.
   */
  async save(state: TierState, after: Date, keepEarlier = false): Promise<void> {
    const rules = this.program.rules.tiers;
    const canMove = rules.upgrade === 'AT_EVALUATION' || this.program.tier(state.tierCode).rank > 0;
    const due = canMove ? nextEvaluation(after, rules.evaluationDayOfMonth, this.timeZone) : null;
    await this.tx.execute(
      `update member_tier set tier_code = ?, since = ?, last_downgrade_at = ?, evaluation_due_at = ${keepEarlier ? 'least(evaluation_due_at, ?::timestamptz)' : '?'} where member_id = ?`,
      [state.tierCode, state.since, state.lastDowngradeAt, due, state.memberId],
    );
  }
}
