import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type AppDependencies } from '../../platform/context.js';
import type { LocalizedText } from '../../platform/localized.js';
import { formatMoney } from '../../platform/money.js';
import {
  loadLoyaltyProgram,
  monthKey,
  nextEvaluation,
  shiftMonthKey,
  windowMonths,
  type LoyaltyProgramSnapshot,
  type QualifyingMetrics,
  type TierRung,
} from '../loyalty-program/index.js';
import { TierBook, sumWindow, type MonthlyFigures, type TierState } from './tier-book.js';

/** The member's tier as they see it. */
export interface MemberTierView {
  tier: TierRung;
  since: Date | null;
  /** Until when it is held if nothing more is bought (null: for good, the base tier). */
  heldUntil: Date | null;
}

/** A month's figures leaving the qualifying window at an evaluation. */
export interface WindowDrop {
  on: Date;
  spend: number;
}

export interface TierProgressView {
  memberId: string;
  asOf: Date;
  currency: string;
  current: MemberTierView;
  /** The window as it stands now (the months ending with the current one). */
  window: QualifyingMetrics;
  next: TierRung | null;
  /** Spend still needed for the next tier (null at the top). */
  spendToNext: number | null;
  /** Spend needed before `keepBy` to keep the tier past `heldUntil` (null: nothing needed). */
  spendToKeep: number | null;
  /** The last day to spend it (the day before `heldUntil`). */
  keepBy: Date | null;
  /** What leaves the window at the next evaluations. */
  leaving: WindowDrop[];
  explanation: LocalizedText;
}

/** How many evaluations ahead `heldUntil` and `leaving` look (a window's length and one more). */
const horizon = (program: LoyaltyProgramSnapshot) => program.rules.tiers.windowMonths + 1;

type Evaluation = { at: Date; from: string; to: string };
// The evaluations ahead of an instant (their instants and the months each window holds) are the
// same for every member whose next evaluation is the same: worked out once per first
// evaluation, rules and zone, not per member and request (time zone arithmetic on every `me`).
const schedules = new Map<string, readonly Evaluation[]>();
const MAX_SCHEDULES = 256;

/** The next {@link horizon} evaluations after `asOf`, with the window months each decides on. */
function evaluationsAfter(program: LoyaltyProgramSnapshot, asOf: Date, timeZone: string): readonly Evaluation[] {
  const { evaluationDayOfMonth: day, windowMonths: months } = program.rules.tiers;
  const first = nextEvaluation(asOf, day, timeZone);
  const key = `${timeZone}|${day}|${months}|${horizon(program)}|${first.getTime()}`;
  let schedule = schedules.get(key);
  if (!schedule) {
    const out: Evaluation[] = [];
    for (let at = first; out.length < horizon(program); at = nextEvaluation(at, day, timeZone)) {
      out.push({ at, ...windowMonths(at, months, timeZone, 'EVALUATION') });
    }
    if (schedules.size >= MAX_SCHEDULES) schedules.clear();
    schedules.set(key, (schedule = out));
  }
  return schedule;
}

/** Members' tiers as they read them: the tier, until when it is held, and what it takes to move. */
export class TierService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'memberClocks' | 'timeZone' | 'provisionedPartners'>,
  ) {}

  /** What `tier` and `tierProgress` of one member in one request share: read once. */
  private readonly loaded = new Map<string, ReturnType<TierService['read']>>();

  private load(memberId: string): ReturnType<TierService['read']> {
    let loading = this.loaded.get(memberId);
    if (!loading) this.loaded.set(memberId, (loading = this.read(memberId)));
    return loading;
  }

  private async read(memberId: string): Promise<{ program: LoyaltyProgramSnapshot; state: TierState; since: Date | null; months: MonthlyFigures; asOf: Date }> {
    const [program, asOf] = await Promise.all([loadLoyaltyProgram(this.em), memberNow(this.deps, this.em, memberId)]);
    const from = shiftMonthKey(monthKey(asOf, this.deps.timeZone), -program.rules.tiers.windowMonths - 1);
    // Both at once (one round trip: see same-tick-reads.ts); a member without a tier has no months either.
    const [[row], months] = await Promise.all([
      this.em.execute<{ tier_code: string; since: Date; last_downgrade_at: Date | null; test_clock_id: string | null }[]>(
        `select tier_code, since, last_downgrade_at, test_clock_id from member_tier where member_id = ?`,
        [memberId],
      ),
      new TierBook(this.em, program, this.deps).months(memberId, from),
    ]);
    const state: TierState = row
      ? { memberId, tierCode: row.tier_code, since: new Date(row.since), lastDowngradeAt: row.last_downgrade_at ? new Date(row.last_downgrade_at) : null, clockId: row.test_clock_id }
      : { memberId, tierCode: program.baseTier.code, since: asOf, lastDowngradeAt: null, clockId: null };
    return { program, state, since: row ? state.since : null, months: row ? months : new Map(), asOf };
  }

  /** The evaluations ahead of `asOf`, each with the window it decides on. */
  private evaluations(program: LoyaltyProgramSnapshot, months: MonthlyFigures, asOf: Date): Array<{ at: Date; window: QualifyingMetrics }> {
    return evaluationsAfter(program, asOf, this.deps.timeZone).map(({ at, from, to }) => ({ at: new Date(at), window: sumWindow(months, from, to) }));
  }

  private heldUntil(program: LoyaltyProgramSnapshot, state: TierState, months: MonthlyFigures, asOf: Date): Date | null {
    if (program.tier(state.tierCode).rank === 0) return null;
    const book = new TierBook(this.em, program, this.deps);
    for (const evaluation of this.evaluations(program, months, asOf)) {
      const target = book.evaluationTarget(state, evaluation.window, evaluation.at);
      if (target && target.tier.rank < program.tier(state.tierCode).rank) return evaluation.at;
    }
    return null;
  }

  async tier(memberId: string): Promise<MemberTierView> {
    const { program, state, since, months, asOf } = await this.load(memberId);
    return { tier: program.tier(state.tierCode), since, heldUntil: this.heldUntil(program, state, months, asOf) };
  }

  async progress(memberId: string): Promise<TierProgressView> {
    const { program, state, since, months, asOf } = await this.load(memberId);
    const tz = this.deps.timeZone;
    const current = program.tier(state.tierCode);
    const heldUntil = this.heldUntil(program, state, months, asOf);
    const { from, to } = windowMonths(asOf, program.rules.tiers.windowMonths, tz, 'CURRENT');
    const window = sumWindow(months, from, to);
    const next = program.above(current.code);
    const spendToNext = next?.minSpend != null ? Math.max(0, next.minSpend - window.spend) : null;
    let spendToKeep: number | null = null;
    let keepBy: Date | null = null;
    if (heldUntil && current.minSpend != null) {
      const at = this.evaluations(program, months, asOf).find((e) => e.at.getTime() === heldUntil.getTime())!;
      spendToKeep = Math.max(0, current.minSpend - at.window.spend);
      keepBy = new Date(heldUntil.getTime() - 86_400_000);
    }
    const leaving: WindowDrop[] = [];
    let previous = window.spend;
    for (const evaluation of this.evaluations(program, months, asOf)) {
      // What the window loses at this evaluation (a month gained meanwhile is not counted: none is, without new spend).
      const lost = previous - evaluation.window.spend;
      if (lost > 0) leaving.push({ on: evaluation.at, spend: lost });
      previous = evaluation.window.spend;
    }
    const currency = program.rules.currency;
    return {
      memberId,
      asOf,
      currency,
      current: { tier: current, since, heldUntil },
      window,
      next,
      spendToNext,
      spendToKeep,
      keepBy,
      leaving,
      explanation: explain({ current, next, spendToNext, spendToKeep, keepBy, heldUntil, currency, timeZone: tz }),
    };
  }
}

function day(instant: Date, locale: 'en' | 'zh-CN', timeZone: string): string {
  return new Intl.DateTimeFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(instant);
}

/** "Spend ¥1,200 more by 31 Mar 2028 to keep GOLD. Spend ¥6,000 more to reach DIAMOND." and its zh-CN. */
function explain(p: {
  current: TierRung;
  next: TierRung | null;
  spendToNext: number | null;
  spendToKeep: number | null;
  keepBy: Date | null;
  heldUntil: Date | null;
  currency: string;
  timeZone: string;
}): LocalizedText {
  const money = (amount: number) => formatMoney({ amount, currency: p.currency });
  const en: string[] = [];
  const zh: string[] = [];
  const name = (t: TierRung, locale: 'en' | 'zh-CN') => t.name[locale] ?? t.name.en ?? t.code;
  if (p.heldUntil && p.keepBy && p.spendToKeep !== null) {
    if (p.spendToKeep > 0) {
      en.push(`Spend ${money(p.spendToKeep)} more by ${day(p.keepBy, 'en', p.timeZone)} to keep ${name(p.current, 'en')}.`);
      zh.push(`在${day(p.keepBy, 'zh-CN', p.timeZone)}前再消费${money(p.spendToKeep)}即可保级${name(p.current, 'zh-CN')}。`);
    } else {
      en.push(`${name(p.current, 'en')} is held until ${day(p.heldUntil, 'en', p.timeZone)}.`);
      zh.push(`${name(p.current, 'zh-CN')}有效期至${day(p.heldUntil, 'zh-CN', p.timeZone)}。`);
    }
  } else {
    en.push(`You are ${name(p.current, 'en')}.`);
    zh.push(`您当前是${name(p.current, 'zh-CN')}。`);
  }
  if (p.next && p.spendToNext !== null && p.spendToNext > 0) {
    en.push(`Spend ${money(p.spendToNext)} more to reach ${name(p.next, 'en')}.`);
    zh.push(`再消费${money(p.spendToNext)}即可升级为${name(p.next, 'zh-CN')}。`);
  } else if (!p.next) {
    en.push('This is the highest tier.');
    zh.push('已是最高等级。');
  }
  return { en: en.join(' '), 'zh-CN': zh.join('') };
}
