import { MomentKind, Moments } from '../moments/index.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import type { LocalizedText } from '../../platform/localized.js';
import { loadLoyaltyProgram, type LoyaltyProgramSnapshot } from '../loyalty-program/index.js';
import { Notifications } from '../notification/index.js';
import { expireDueLots } from './ledger.js';
import { phraseBasket, shortDate, whatPointsBuy } from './rewards-phrase.js';

/** A claimed lot stays invisible to other workers this long (a worker that dies leaves it for the next). */
const LEASE_MS = 5 * 60_000;

/** What a reminder says of points expiring on a day, in both locales. */
export function expiryReminderText(points: number, expiresAt: Date, program: LoyaltyProgramSnapshot, timeZone: string): { title: LocalizedText; body: LocalizedText } {
  const basket = whatPointsBuy(points, program.rewards);
  const en = `${points.toLocaleString('en')} points expire on ${shortDate(expiresAt, 'en', timeZone)}`;
  const zh = `${points.toLocaleString('zh-CN')} 积分将于${shortDate(expiresAt, 'zh-CN', timeZone)}过期`;
  return {
    title: { en: 'Points expiring soon', 'zh-CN': '积分即将过期' },
    body: {
      en: basket.length ? `${en} — enough for ${phraseBasket(basket, 'en')}.` : `${en}.`,
      'zh-CN': basket.length ? `${zh}，可兑换 ${phraseBasket(basket, 'zh-CN')}。` : `${zh}。`,
    },
  };
}

/**
 * Lots' due work: the expiry reminder (points expiring on one day told once per member, with what
 * they buy) and the expiry itself. Lots are claimed under `SKIP LOCKED` with a lease, then each
 * member's are handled under the member's ledger lock, so several workers never remind or expire
 * the same points twice.
 */
export const lotDueWork: DueWork = {
  name: 'points-lots',

  async nextDue(em: EntityManager, clockId: string | null): Promise<Date | null> {
    const [row] = await em.execute<{ due: Date | null }[]>(
      clockId
        ? `select min(due_at) as due from points_lot where test_clock_id = ? and due_at is not null`
        : `select min(due_at) as due from points_lot where test_clock_id is null and due_at is not null`,
      clockId ? [clockId] : [],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId, limit } = scope;
    const lease = new Date(now.getTime() + LEASE_MS);
    const claimed = await em.execute<{ id: string; member_id: string }[]>(
      clockId
        ? `update points_lot set due_at = ? where id in (
             select id from points_lot where test_clock_id = ? and due_at is not null and due_at <= ?
             order by due_at limit ? for update skip locked) returning id, member_id`
        : `update points_lot set due_at = ? where id in (
             select id from points_lot where test_clock_id is null and due_at is not null and due_at <= ?
             order by due_at limit ? for update skip locked) returning id, member_id`,
      clockId ? [lease, clockId, now, limit] : [lease, now, limit],
    );
    if (claimed.length === 0) return 0;
    const program = await loadLoyaltyProgram(em);
    const members = [...new Set(claimed.map((c) => c.member_id))].sort();
    for (let i = 0; i < members.length; i += MEMBERS_PER_TRANSACTION) {
      const batch = members.slice(i, i + MEMBERS_PER_TRANSACTION);
      try {
        await em.fork().transactional((tx) => runForMembers(tx, batch, now, program, scope.deps.timeZone));
      } catch (error) {
        // One member's failure must not hold back the rest: run them one at a time.
        if (batch.length === 1) throw error;
        for (const memberId of batch) await em.fork().transactional((tx) => runForMembers(tx, [memberId], now, program, scope.deps.timeZone));
      }
    }
    return claimed.length;
  },
};

/** Members whose lots one transaction handles. */
const MEMBERS_PER_TRANSACTION = 50;

/**
 * Expiry and reminders for a batch of members in one transaction: their due lots expired in
 * one statement (under their ledger locks, in id order), the points expiring within the
 * reminder window told once per member and day, and every lot of theirs moved on to its next
 * due instant (leases released).
 */
async function runForMembers(tx: EntityManager, memberIds: string[], now: Date, program: LoyaltyProgramSnapshot, timeZone: string): Promise<void> {
  const days = program.rules.expiryReminderDays;
  const members = `{${memberIds.join(',')}}`;
  await expireDueLots(tx, memberIds, now);
  if (days > 0) {
    const due = await tx.execute<{ member_id: string; expires_at: Date; points: string; clock_id: string | null }[]>(
      `select member_id, expires_at, sum(remaining) as points, min(test_clock_id::text) as clock_id from points_lot
        where member_id = any(?::uuid[]) and remaining > 0 and reminded_at is null and expires_at > ? and expires_at - make_interval(days => ?) <= ?
        group by member_id, expires_at order by member_id, expires_at`,
      [members, now, days, now],
    );
    for (const group of due) {
      const expiresAt = new Date(group.expires_at);
      const points = Number(group.points);
      await Notifications.send(tx, {
        memberId: group.member_id,
        type: 'points.expiring',
        at: now,
        ...expiryReminderText(points, expiresAt, program, timeZone),
        data: { points, expiresAt: expiresAt.toISOString(), buys: whatPointsBuy(points, program.rewards).map((b) => ({ reward: b.reward.code, count: b.count })) },
        dedupeKey: `points.expiring:${group.member_id}:${expiresAt.toISOString()}:${points}`,
      });
      const basket = whatPointsBuy(points, program.rewards);
      await Moments.record(tx, {
        memberId: group.member_id,
        kind: MomentKind.POINTS_EXPIRING,
        occurredAt: now,
        data: { points, expiresAt: expiresAt.toISOString(), ...(basket.length ? { buys: { en: phraseBasket(basket, 'en'), 'zh-CN': phraseBasket(basket, 'zh-CN') } } : {}) },
        dedupeKey: `POINTS_EXPIRING:${group.member_id}:${expiresAt.toISOString()}`,
        clockId: group.clock_id,
      });
      await tx.execute(`update points_lot set reminded_at = ? where member_id = ? and expires_at = ? and remaining > 0 and reminded_at is null`, [now, group.member_id, expiresAt]);
    }
  }
  await tx.execute(
    `update points_lot set due_at = case
        when remaining = 0 or expires_at is null then null
        when ? > 0 and reminded_at is null then expires_at - make_interval(days => ?)
        else expires_at end
      where member_id = any(?::uuid[]) and (due_at is not null or remaining > 0)`,
    [days, days, members],
  );
}
