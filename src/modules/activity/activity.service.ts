import { MomentKind, Moments } from '../moments/index.js';
import type { LocalizedText } from '../../platform/localized.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { uniqueViolation } from '../../platform/sql.js';
import { loadLoyaltyProgram, lotExpiry, monthKey, monthStart, programDay, shiftMonthKey, type LoyaltyProgramSnapshot } from '../loyalty-program/index.js';
import { localParts } from '../../platform/zoned-time.js';
import { CampaignBook } from '../campaign/index.js';
import { PointsLedger, requestHash, type Counterparty, type EarnRequest } from '../points/index.js';
import { TierBook, type TierMove } from '../tier/index.js';
import { ActivityType } from './activity.entity.js';
import { ActivityError } from './activity.errors.js';
import { pointsToTakeBack, purchasePoints, shareRefunded, type PurchaseRate } from './earn.js';

/** What a channel reports. */
export interface ActivityInput {
  memberId: string;
  type: ActivityType;
  channel: string;
  externalId: string;
  amount?: { amount: number; currency: string } | null;
  refundOf?: string | null;
  occurredAt?: Date | null;
  /** A purchase: points the member pays part of it with (spent oldest first; given back by its refunds). */
  pointsUsed?: number | null;
}

/** An activity as it was recorded, with what it did. */
export interface ActivityView {
  id: string;
  memberId: string;
  type: ActivityType;
  channel: string;
  externalId: string;
  amount: number | null;
  currency: string | null;
  refundOf: string | null;
  occurredAt: Date;
  postedAt: Date;
  points: number;
  /** Purchases: points it was paid with; refunds: points given back. */
  pointsUsed: number;
  note: string | null;
  /** The tier move it caused, when it caused one (only on the call that recorded it). */
  tierMove?: TierMove | null;
}

/** Channels of partners' tills (`partner.<id>`): only a partner's own calls record in them. */
export const PARTNER_CHANNEL_PREFIX = 'partner.';
export const partnerChannel = (partnerId: string): string => `${PARTNER_CHANNEL_PREFIX}${partnerId}`;

/** Who reports an activity: one of our channels (an admin or channel credential), or a partner at its till. */
export type ActivitySource = { kind: 'CHANNEL' } | { kind: 'PARTNER'; partnerId: string };

/** What points were earned for, as the member is told. */
const EARNED_FOR: Partial<Record<ActivityType, LocalizedText>> = {
  [ActivityType.PURCHASE]: { en: 'your purchase', 'zh-CN': '您的消费' },
  [ActivityType.CHECK_IN]: { en: "today's check-in", 'zh-CN': '今日签到' },
  [ActivityType.REVIEW]: { en: 'your review', 'zh-CN': '您的评价' },
  [ActivityType.SHARE]: { en: 'sharing', 'zh-CN': '分享' },
  [ActivityType.PROFILE_COMPLETED]: { en: 'completing your profile', 'zh-CN': '完善资料' },
  [ActivityType.BIRTHDAY]: { en: 'your birthday', 'zh-CN': '生日' },
};

/** How far a channel's clock may run ahead of ours. */
const CLOCK_SKEW_MS = 60_000;
const MAX_ID_LENGTH = 128;
const CHANNEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_AMOUNT = 1_000_000_000;

interface ActivityRow {
  id: string;
  member_id: string;
  type: ActivityType;
  channel: string;
  external_id: string;
  amount: number | null;
  currency: string | null;
  refund_of_id: string | null;
  occurred_at: Date;
  posted_at: Date;
  points: number;
  note: string | null;
  multiplier_permille: number | null;
  rate_points: number | null;
  rate_per: number | null;
  refunded_amount: number;
  points_taken_back: number;
  lot_id: string | null;
  request_hash: string;
  points_used: number;
  points_restored: number;
  campaign_points: number;
  campaign_points_taken_back: number;
  spend_journal_id: string | null;
  refund_of_external_id: string | null;
}

const COLUMNS = `id, member_id, type, channel, external_id, amount, currency, refund_of_id, occurred_at, posted_at, points, note,
  multiplier_permille, rate_points, rate_per, refunded_amount, points_taken_back, lot_id, request_hash, points_used, points_restored, spend_journal_id,
  campaign_points, campaign_points_taken_back,
  (select p.external_id from activity p where p.id = activity.refund_of_id) as refund_of_external_id`;

/**
 * Members' activities from every channel and what they earn: purchases (points at the rate for
 * the channel × the tier held before the purchase), refunds (points taken back from the
 * purchase's own lot first, spend out of the tier window, a recent upgrade reverted), check-ins,
 * reviews and the other actions (fixed points within their daily limits). One member's
 * activities run one at a time under their loyalty lock (the tier row), which also holds the
 * ledger; the same channel id twice is one activity.
 */
export class ActivityService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'memberClocks' | 'timeZone' | 'memberSegments' | 'provisionedPartners'>,
  ) {}

  async record(input: ActivityInput, source: ActivitySource = { kind: 'CHANNEL' }): Promise<ActivityView> {
    const channel = input.channel.trim();
    const externalId = input.externalId.trim();
    const hash = requestHash([input.memberId, input.type, channel, externalId, input.amount ?? null, input.refundOf ?? null, input.occurredAt?.toISOString() ?? null, input.pointsUsed ?? 0]);
    const program = await loadLoyaltyProgram(this.em);
    this.validateShape({ ...input, channel, externalId }, program, source);
    try {
      return await this.em.fork().transactional((tx) => this.recordIn(tx, { ...input, channel, externalId }, hash, program, source));
    } catch (error) {
      // Another member's activity took this channel id at the same moment.
      if (uniqueViolation(error) === undefined) throw error;
      const existing = await this.find(this.em.fork(), channel, externalId);
      if (existing && existing.request_hash === hash) return view(existing);
      throw AppError.idempotencyConflict();
    }
  }

  /** Problems of the input alone, all reported together (nothing read yet). */
  private validateShape(input: ActivityInput, program: LoyaltyProgramSnapshot, source: ActivitySource): void {
    const money = input.type === ActivityType.PURCHASE || input.type === ActivityType.REFUND;
    const v = new InputValidator()
      .check(isUuid(input.memberId), 'memberId', 'must be a member id')
      .check(CHANNEL.test(input.channel), 'channel', 'must be 1-64 lowercase letters, digits, dots, dashes or underscores (app, online-shop, store-pos, mini-program)')
      .check(
        source.kind === 'PARTNER' ? input.channel === partnerChannel(source.partnerId) : !input.channel.startsWith(PARTNER_CHANNEL_PREFIX),
        'channel',
        `"${PARTNER_CHANNEL_PREFIX}…" channels are partners' tills: a partner reports there with a membership card`,
      )
      .check(input.externalId.length >= 1 && input.externalId.length <= MAX_ID_LENGTH, 'externalId', `must be 1-${MAX_ID_LENGTH} characters: the channel's own id of the activity`);
    if (money) {
      const amount = input.amount;
      v.check(!!amount, 'amount', `is required for a ${input.type.toLowerCase()}`);
      if (amount) {
        v.check(Number.isInteger(amount.amount) && amount.amount > 0, 'amount.amount', 'must be a positive whole number of minor units')
          .check(amount.amount <= MAX_AMOUNT, 'amount.amount', `must be at most ${MAX_AMOUNT}`)
          .check(amount.currency === program.rules.currency, 'amount.currency', `must be ${program.rules.currency}, the currency the program uses`);
      }
    } else {
      v.check(!input.amount, 'amount', `only purchases and refunds carry an amount, not a ${input.type.toLowerCase()}`);
    }
    if (input.pointsUsed != null && input.pointsUsed !== 0) {
      v.check(input.type === ActivityType.PURCHASE, 'pointsUsed', 'only a purchase is paid with points')
        .check(Number.isInteger(input.pointsUsed) && input.pointsUsed > 0 && input.pointsUsed <= MAX_AMOUNT, 'pointsUsed', 'must be a positive whole number of points')
        .check(source.kind === 'CHANNEL', 'pointsUsed', "points are burned at a partner's till with burnPoints");
    }
    if (input.type === ActivityType.REFUND) v.check(!!input.refundOf?.trim(), 'refundOf', "is required for a refund: the externalId of the purchase it reverses");
    else v.check(!input.refundOf, 'refundOf', 'only a refund names a purchase');
    if (input.occurredAt) v.check(!Number.isNaN(input.occurredAt.getTime()), 'occurredAt', 'must be a valid instant');
    v.throwIfInvalid();
  }

  private async find(em: EntityManager, channel: string, externalId: string): Promise<ActivityRow | null> {
    const [row] = await em.execute<ActivityRow[]>(`select ${COLUMNS} from activity where channel = ? and external_id = ?`, [channel, externalId]);
    return row ?? null;
  }

  private async recordIn(tx: EntityManager, input: ActivityInput, hash: string, program: LoyaltyProgramSnapshot, source: ActivitySource): Promise<ActivityView> {
    const issuer: Counterparty = source.kind === 'PARTNER' ? { kind: 'PARTNER', partnerId: source.partnerId } : { kind: 'PROGRAM' };
    const [member] = await tx.execute<{ created_at: Date }[]>(`select created_at from member where id = ? and erased_at is null`, [input.memberId]);
    if (!member) throw AppError.notFound('Member', input.memberId);
    const clock = await this.deps.memberClocks?.of(tx, input.memberId);
    const now = clock?.now ?? this.deps.now?.() ?? new Date();
    const joinedAt = clock?.joinedAt ?? new Date(member.created_at);
    const tz = this.deps.timeZone;

    const book = new TierBook(tx, program, { timeZone: tz, provisionedPartners: this.deps.provisionedPartners });
    const state = await book.lock(input.memberId, clock?.clockId ?? null, now);
    // Under the member's lock: the same channel id again is the first activity (or a conflict).
    const existing = await this.find(tx, input.channel, input.externalId);
    if (existing) {
      if (existing.request_hash !== hash) throw AppError.idempotencyConflict();
      return view(existing);
    }

    const occurredAt = input.occurredAt ?? now;
    const skew = clock ? 0 : CLOCK_SKEW_MS;
    new InputValidator()
      .check(occurredAt.getTime() <= now.getTime() + skew, 'occurredAt', `must not be in the future (now is ${now.toISOString()})`)
      .check(occurredAt >= joinedAt, 'occurredAt', `must not be before the member joined (${joinedAt.toISOString()})`)
      .throwIfInvalid();

    const ledger = new PointsLedger(tx, program.rules.expiryReminderDays);
    await ledger.lock(input.memberId, now);
    const base = { memberId: input.memberId, type: input.type, channel: input.channel, externalId: input.externalId, occurredAt, postedAt: now, hash };
    let recorded: ActivityRow;
    let tierMove: TierMove | null = null;

    if (input.type === ActivityType.PURCHASE) {
      const amount = input.amount!.amount;
      const rules = program.rules.earn.purchase;
      const rate: PurchaseRate = rules.byChannel[input.channel] ?? { points: rules.points, per: rules.per };
      const birthdayMultiplier = program.rules.earn.birthdayMonthMultiplier;
      const inBirthdayMonth = birthdayMultiplier > 1 && (await this.birthdayMonth(tx, input.memberId)) === localParts(occurredAt, tz).month;
      const multiplier = Math.round((rules.tierMultiplier ? book.multiplierOf(state) : 1000) * (inBirthdayMonth ? birthdayMultiplier : 1));
      let points = purchasePoints(amount, rate, multiplier, rules.rounding);
      let note: string | null = inBirthdayMonth ? `×${birthdayMultiplier} in your birthday month` : null;
      for (const [cap, period, label] of [
        [rules.dailyCap, programDay(occurredAt, tz), 'a day'],
        [rules.monthlyCap, { start: monthStart(monthKey(occurredAt, tz), tz), end: monthStart(shiftMonthKey(monthKey(occurredAt, tz), 1), tz) }, 'a month'],
      ] as const) {
        if (cap === null) continue;
        const room = Math.max(0, cap - (await this.pointsBetween(tx, input.memberId, ActivityType.PURCHASE, period)));
        if (points > room) {
          points = room;
          note = `Purchases earn at most ${cap} points ${label}`;
        }
      }
      recorded = await this.insert(tx, { ...base, amount, currency: input.amount!.currency, points, note, multiplier, rate });
      // Member-only campaigns add theirs (a member day's double points), each grant naming its campaign.
      const grants = await new CampaignBook(tx, this.deps).grant({
        memberId: input.memberId,
        activityId: recorded.id,
        tierRank: book.rankOf(state),
        channel: input.channel,
        occurredAt,
        amount,
        basePoints: points,
      });
      const campaignPoints = grants.reduce((sum, g) => sum + g.points, 0);
      if (campaignPoints > 0) {
        points += campaignPoints;
        await tx.execute(`update activity set points = ?, campaign_points = ? where id = ?`, [points, campaignPoints, recorded.id]);
        recorded.points = points;
        recorded.campaign_points = campaignPoints;
      }
      const lotId = await this.earnLot(tx, ledger, recorded, {
        from: issuer,
        // Campaigns are the program's: on a partner's purchase the program issues their points.
        sponsored: issuer.kind === 'PARTNER' && recorded.campaign_points > 0 ? { points: recorded.campaign_points, by: { kind: 'PROGRAM' } } : null,
        expiresAt: lotExpiry(occurredAt, program.rules.expiry, tz),
        clockId: clock?.clockId ?? null,
      });
      if (input.pointsUsed) {
        // Paid partly with points the member held before this purchase (its own points are not yet theirs to spend on it).
        const spent = await ledger.spend({
          memberId: input.memberId,
          idempotencyKey: `activity:${recorded.id}:points-used`,
          at: now,
          points: input.pointsUsed,
          to: { kind: 'PROGRAM' },
          activityId: recorded.id,
          memo: { type: 'ORDER', channel: input.channel, externalId: input.externalId },
          excludeLot: lotId,
        });
        await tx.execute(`update activity set points_used = ?, spend_journal_id = ? where id = ?`, [input.pointsUsed, spent.journalId, recorded.id]);
      }
      await book.addQualifying(input.memberId, occurredAt, { spend: amount, orders: 1, pointsEarned: points });
      tierMove = await book.afterPurchase(state, now, recorded.id);
    } else if (input.type === ActivityType.REFUND) {
      const purchase = await tx.execute<ActivityRow[]>(
        `select ${COLUMNS} from activity where member_id = ? and channel = ? and external_id = ? and type = 'PURCHASE' for update`,
        [input.memberId, input.channel, input.refundOf!.trim()],
      ).then((rows) => rows[0]);
      if (!purchase) throw ActivityError.purchaseNotFound(input.channel, input.refundOf!.trim());
      const amount = input.amount!.amount;
      const refundable = purchase.amount! - purchase.refunded_amount;
      if (amount > refundable) throw ActivityError.refundExceedsPurchase(refundable);
      new InputValidator().check(occurredAt >= new Date(purchase.occurred_at), 'occurredAt', `must not be before the purchase it refunds (${new Date(purchase.occurred_at).toISOString()})`).throwIfInvalid();
      // What the purchase earned itself comes back at its rate; what campaigns added, in proportion.
      const campaignBack = shareRefunded(purchase.campaign_points, purchase.refunded_amount + amount, purchase.amount!, purchase.campaign_points_taken_back);
      const takeBack = campaignBack + pointsToTakeBack({
        earned: purchase.points - purchase.campaign_points,
        takenBack: purchase.points_taken_back - purchase.campaign_points_taken_back,
        amount: purchase.amount!,
        refunded: purchase.refunded_amount,
        refund: amount,
        rate: { points: purchase.rate_points ?? 0, per: purchase.rate_per ?? 100 },
        multiplierPermille: purchase.multiplier_permille ?? 1000,
        rounding: program.rules.earn.purchase.rounding,
      });
      recorded = await this.insert(tx, { ...base, amount, currency: input.amount!.currency, points: -takeBack, note: null, refundOf: purchase.id });
      // A partner's purchase: its own points go back to it, the campaigns' to the program.
      const parts: Array<{ points: number; issuedBy: Counterparty; key: string }> =
        issuer.kind === 'PARTNER' && campaignBack > 0
          ? [
              { points: campaignBack, issuedBy: { kind: 'PROGRAM' }, key: `activity:${recorded.id}:campaign` },
              { points: takeBack - campaignBack, issuedBy: issuer, key: `activity:${recorded.id}` },
            ]
          : [{ points: takeBack, issuedBy: issuer, key: `activity:${recorded.id}` }];
      for (const part of parts) {
        if (part.points <= 0) continue;
        await ledger.takeBack({
          memberId: input.memberId,
          idempotencyKey: part.key,
          at: now,
          points: part.points,
          ownLotId: purchase.lot_id,
          reverses: null,
          shortfall: program.rules.refundPolicy === 'OWN_LOT_THEN_OLDEST_THEN_DEBT' ? 'DEBT' : 'FORGIVE',
          issuedBy: part.issuedBy,
          activityId: recorded.id,
          memo: { type: input.type, channel: input.channel, refundOf: purchase.external_id },
        });
      }
      const whole = purchase.refunded_amount + amount === purchase.amount;
      // Points the order was paid with come back in proportion (all of them with the last refund), into their own lots.
      const restore = purchase.spend_journal_id ? shareRefunded(purchase.points_used, purchase.refunded_amount + amount, purchase.amount!, purchase.points_restored) : 0;
      if (restore > 0) {
        await ledger.restore({
          memberId: input.memberId,
          idempotencyKey: `activity:${recorded.id}:restore`,
          at: now,
          points: restore,
          spendJournalId: purchase.spend_journal_id!,
          activityId: recorded.id,
          memo: { type: input.type, channel: input.channel, refundOf: purchase.external_id },
        });
      }
      await tx.execute(
        `update activity set refunded_amount = refunded_amount + ?, points_taken_back = points_taken_back + ?, points_restored = points_restored + ?, campaign_points_taken_back = campaign_points_taken_back + ? where id = ?`,
        [amount, takeBack, restore, campaignBack, purchase.id],
      );
      if (restore > 0) {
        await tx.execute(`update activity set points_restored = ? where id = ?`, [restore, recorded.id]);
        recorded.points_restored = restore;
      }
      await book.addQualifying(input.memberId, occurredAt, { spend: -amount, orders: whole ? -1 : 0, pointsEarned: -takeBack });
      tierMove = await book.afterRefund(state, now, recorded.id);
    } else {
      const rule = program.rules.earn.actions[input.type];
      let points = rule?.points ?? 0;
      let note: string | null = rule ? null : `The program gives no points for a ${input.type.toLowerCase().replace('_', ' ')}`;
      if (rule && points > 0 && rule.once && (await this.countOf(tx, input.memberId, input.type, null)) > 0) {
        points = 0;
        note = `A ${input.type.toLowerCase().replace('_', ' ')} earns points once`;
      } else if (rule && points > 0 && rule.perDay !== null) {
        const today = await this.countOf(tx, input.memberId, input.type, occurredAt, true);
        if (today >= rule.perDay) {
          points = 0;
          note = `At most ${rule.perDay} ${input.type.toLowerCase().replace('_', '-')}${rule.perDay === 1 ? '' : 's'} a day earn points`;
        }
      }
      if (rule?.streak && points > 0) {
        const run = 1 + (await this.streakBefore(tx, input.memberId, input.type, occurredAt, rule.streak.days));
        if (run % rule.streak.days === 0) {
          points += rule.streak.bonus;
          note = `${rule.streak.days}-day streak: +${rule.streak.bonus}`;
        }
      }
      recorded = await this.insert(tx, { ...base, amount: null, currency: null, points, note });
      if (points > 0) {
        await this.earnLot(tx, ledger, recorded, { from: { kind: 'PROGRAM' }, sponsored: null, expiresAt: lotExpiry(occurredAt, program.rules.expiry, tz), clockId: clock?.clockId ?? null });
        await book.addQualifying(input.memberId, occurredAt, { pointsEarned: points });
      }
    }
    await book.save(state, now, true);
    if (recorded.points > 0) {
      // A ritual moment: points credited, with the balance they make.
      await Moments.record(tx, {
        memberId: input.memberId,
        kind: MomentKind.POINTS_EARNED,
        occurredAt: now,
        data: { points: recorded.points, balance: (await ledger.lock(input.memberId, now)).balance, reason: EARNED_FOR[input.type] },
        dedupeKey: `POINTS_EARNED:${recorded.id}`,
        clockId: clock?.clockId ?? null,
      });
    }
    return { ...view(recorded), tierMove };
  }

  /** Credits an activity's points as a lot (its expiry from when it happened) and records the lot on it. */
  private async earnLot(
    tx: EntityManager,
    ledger: PointsLedger,
    recorded: ActivityRow,
    lot: { from: Counterparty; sponsored: EarnRequest['sponsored']; expiresAt: Date | null; clockId: string | null },
  ): Promise<string | null> {
    const earned = await ledger.earn({
      memberId: recorded.member_id,
      idempotencyKey: `activity:${recorded.id}`,
      at: new Date(recorded.occurred_at),
      postedAt: new Date(recorded.posted_at),
      points: recorded.points,
      activityId: recorded.id,
      memo: { type: recorded.type, channel: recorded.channel },
      ...lot,
    });
    await tx.execute(`update activity set lot_id = ? where id = ?`, [earned.lotId, recorded.id]);
    recorded.lot_id = earned.lotId;
    return earned.lotId;
  }

  /** Activities of a type on the program day of `at` that earned points (or all of them ever, `at` null). */
  private async countOf(tx: EntityManager, memberId: string, type: ActivityType, at: Date | null, earningOnly = false): Promise<number> {
    if (!at) {
      const [row] = await tx.execute<{ n: string }[]>(`select count(*) as n from activity where member_id = ? and type = ? and points > 0`, [memberId, type]);
      return Number(row!.n);
    }
    const day = programDay(at, this.deps.timeZone);
    const [row] = await tx.execute<{ n: string }[]>(
      `select count(*) as n from activity where member_id = ? and type = ? and occurred_at >= ? and occurred_at < ?${earningOnly ? ' and points > 0' : ''}`,
      [memberId, type, day.start, day.end],
    );
    return Number(row!.n);
  }

  /** Points activities of a type earned in [start, end) (by when they happened). */
  private async pointsBetween(tx: EntityManager, memberId: string, type: ActivityType, period: { start: Date; end: Date }): Promise<number> {
    const [row] = await tx.execute<{ n: string | null }[]>(
      `select sum(points) as n from activity where member_id = ? and type = ? and occurred_at >= ? and occurred_at < ?`,
      [memberId, type, period.start, period.end],
    );
    return Number(row!.n ?? 0);
  }

  /**
   * How many program days in a row, ending the day before `at`'s, the member had an activity of
   * this type that earned (looking back at most `days`): days are the program's, never the server's.
   */
  private async streakBefore(tx: EntityManager, memberId: string, type: ActivityType, at: Date, days: number): Promise<number> {
    const today = programDay(at, this.deps.timeZone);
    const rows = await tx.execute<{ day: string }[]>(
      `select distinct to_char(occurred_at at time zone ?, 'YYYY-MM-DD') as day from activity
        where member_id = ? and type = ? and points > 0 and occurred_at >= ? and occurred_at < ?`,
      [this.deps.timeZone, memberId, type, new Date(today.start.getTime() - days * 86_400_000 - 86_400_000), today.start],
    );
    const earned = new Set(rows.map((r) => r.day));
    let run = 0;
    for (let back = 1; back <= days; back++) {
      const p = localParts(new Date(today.start.getTime() - back * 86_400_000 + 3_600_000), this.deps.timeZone);
      const key = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
      if (!earned.has(key)) break;
      run++;
    }
    return run;
  }

  /** The member's birthday month, when they set one. */
  private async birthdayMonth(tx: EntityManager, memberId: string): Promise<number | null> {
    const [row] = await tx.execute<{ month: number }[]>(`select month from member_birthday where member_id = ?`, [memberId]);
    return row?.month ?? null;
  }

  /** The member sets their birthday (once): months with a birthday may earn more. */
  async setBirthday(memberId: string, month: number, day: number): Promise<{ month: number; day: number }> {
    const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
    new InputValidator()
      .check(Number.isInteger(month) && month >= 1 && month <= 12, 'month', 'must be from 1 to 12')
      .check(Number.isInteger(day) && day >= 1 && day <= longest, 'day', longest ? `must be from 1 to ${longest}` : 'must be a day of the month')
      .throwIfInvalid();
    const rows = await this.em.execute<{ member_id: string }[]>(
      `insert into member_birthday (member_id, month, day) values (?, ?, ?) on conflict (member_id) do nothing returning member_id`,
      [memberId, month, day],
    );
    if (rows.length === 0) throw ActivityError.birthdayAlreadySet();
    return { month, day };
  }

  async birthday(memberId: string): Promise<{ month: number; day: number } | null> {
    const [row] = await this.em.execute<{ month: number; day: number }[]>(`select month, day from member_birthday where member_id = ?`, [memberId]);
    return row ?? null;
  }

  private async insert(
    tx: EntityManager,
    a: {
      memberId: string;
      type: ActivityType;
      channel: string;
      externalId: string;
      occurredAt: Date;
      postedAt: Date;
      hash: string;
      amount: number | null;
      currency: string | null;
      points: number;
      note: string | null;
      multiplier?: number;
      rate?: PurchaseRate;
      refundOf?: string;
    },
  ): Promise<ActivityRow> {
    const [row] = await tx.execute<ActivityRow[]>(
      `insert into activity (id, member_id, type, channel, external_id, amount, currency, refund_of_id, occurred_at, posted_at, points, note, multiplier_permille, rate_points, rate_per, request_hash, seq)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nextval('activity_seq')) returning ${COLUMNS}`,
      [
        a.memberId,
        a.type,
        a.channel,
        a.externalId,
        a.amount,
        a.currency,
        a.refundOf ?? null,
        a.occurredAt,
        a.postedAt,
        a.points,
        a.note,
        a.multiplier ?? null,
        a.rate?.points ?? null,
        a.rate?.per ?? null,
        a.hash,
      ],
    );
    return row!;
  }
}

function view(row: ActivityRow): ActivityView {
  return {
    id: row.id,
    memberId: row.member_id,
    type: row.type,
    channel: row.channel,
    externalId: row.external_id,
    amount: row.amount,
    currency: row.currency,
    refundOf: row.refund_of_external_id,
    occurredAt: new Date(row.occurred_at),
    postedAt: new Date(row.posted_at),
    points: row.points,
    pointsUsed: row.type === ActivityType.REFUND ? row.points_restored : row.points_used,
    note: row.note,
  };
}
