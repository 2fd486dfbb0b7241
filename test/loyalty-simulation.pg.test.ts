// A seeded, randomized simulation of the loyalty engine under real concurrency: purchases in
// our channels and at partners' tills, partial and whole refunds, check-ins and reviews, burns
// at partners, and the due work (expiry, reminders, tier evaluations) run by two runners at
// once, month after month on a test clock. Afterwards the ledger must balance and agree with
// itself, and every tier and qualifying figure must equal a recomputation from scratch.
//
// LOYALTY_SIM_SEED replays a run's stream of operations (which member does what, for how much;
// the seed is printed), the interleaving being concurrency's own; LOYALTY_SIM_ACTIVITIES sets its size
// (CI runs 3,000; `npm run test:simulation` runs 100,000).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/platform/errors.js';
import { DEMO_TIER_BENEFITS, DEMO_TIERS } from '../src/seed/demo-loyalty.js';
import { startTestApp, type TestApp } from './support/app.js';

const SEED = Number(process.env.LOYALTY_SIM_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ACTIVITIES = Number(process.env.LOYALTY_SIM_ACTIVITIES ?? 3_000);
const MEMBERS = Math.max(40, Math.round(ACTIVITIES / 60));
const MONTHS = 18;
const CONCURRENCY = 8;
const PARTNERS = ['brewbar', 'sparkwash'];
const REWARDS = ['COFFEE_REWARD', 'CAR_WASH_REWARD', 'MILES_1000'];
const SHANGHAI_MS = 8 * 3_600_000;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** mulberry32: a small seeded PRNG, so a failing run replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 00:00 in Shanghai on the first of month `index` months after January 2027. */
const monthStart = (index: number) => new Date(Date.UTC(2027, index, 1) - SHANGHAI_MS);
/** `YYYY-MM` of an instant in Shanghai (no daylight saving there). */
const monthOf = (instant: Date) => new Date(instant.getTime() + SHANGHAI_MS).toISOString().slice(0, 7);
const shiftMonth = (key: string, by: number) => {
  const [y, m] = key.split('-').map(Number) as [number, number];
  const index = y * 12 + m - 1 + by;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
};

async function setClock(clockId: string, at: Date): Promise<void> {
  await t.db.query(`update test_clock set frozen_time = $1 where id = $2`, [at, clockId]);
}

/** Everything due on the clock at `at`, by two runners at once. */
async function runDueTwice(clockId: string, at: Date): Promise<void> {
  const runner = t.app.deps.dueWork!;
  await Promise.all([runner.runDue(clockId, at), runner.runDue(clockId, at)]);
}

interface Outcome {
  accepted: number;
  refused: Record<string, number>;
  burned: Record<string, number>;
  /** Reward redemptions given back. */
  canceled: number;
}

describe(`loyalty simulation (LOYALTY_SIM_SEED=${SEED} LOYALTY_SIM_ACTIVITIES=${ACTIVITIES})`, () => {
  it('keeps the ledger balanced, no balance below zero, every balance the sum of its entries, every tier and settlement equal to a recomputation', { timeout: 3_600_000 }, async () => {
    console.log(`loyalty simulation: LOYALTY_SIM_SEED=${SEED} LOYALTY_SIM_ACTIVITIES=${ACTIVITIES} members=${MEMBERS}`);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

    // Members on one test clock, joined at its start.
    const start = new Date(monthStart(0).getTime() + 2 * 3_600_000);
    const services = t.app.services();
    const clock = await services.testClocks.create(start, 'simulation');
    const members: string[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const [row] = await t.db.query<{ id: string }>(`insert into member (id, issuer, subject) values (gen_random_uuid(), 'urn:sim', $1) returning id`, [`sim-${SEED}-${i}`]);
      await services.testClocks.attach(clock.id, row!.id);
      members.push(row!.id);
    }

    const purchases = new Map<string, Array<{ channel: string; externalId: string; left: number }>>();
    const rewards = new Map<string, string[]>();
    const outcome: Outcome = { accepted: 0, refused: {}, burned: {}, canceled: 0 };
    const refuse = (error: unknown) => {
      if (!(error instanceof AppError)) throw error;
      outcome.refused[error.code] = (outcome.refused[error.code] ?? 0) + 1;
    };

    /** One random operation for one member, as a channel or a partner would send it. */
    const operation = async (memberId: string, opSeed: number): Promise<void> => {
      // Each operation draws from its own generator, seeded from the run's in queue order, so the
      // stream of operations replays whatever order concurrency runs them in.
      const random = prng(opSeed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const s = t.app.services();
      const roll = random();
      const yuan = random() < 0.03 ? 1_500 + Math.floor(random() * 7_000) : 10 + Math.floor(random() * 400);
      const amount = { amount: yuan * 100 + Math.floor(random() * 100), currency: 'CNY' };
      try {
        if (roll < 0.4) {
          const channel = pick(['app', 'online-shop', 'store-pos', 'mini-program']);
          const externalId = randomUUID();
          await s.activities.record({ memberId, type: 'PURCHASE' as never, channel, externalId, amount });
          purchases.get(memberId)?.push({ channel, externalId, left: amount.amount }) ?? purchases.set(memberId, [{ channel, externalId, left: amount.amount }]);
        } else if (roll < 0.58) {
          const partnerId = pick(PARTNERS);
          const card = await s.coalition.issueCard(memberId, partnerId);
          const externalId = randomUUID();
          await s.coalition.earn(partnerId, card.token, { externalId, amount });
          const channel = `partner.${partnerId}`;
          purchases.get(memberId)?.push({ channel, externalId, left: amount.amount }) ?? purchases.set(memberId, [{ channel, externalId, left: amount.amount }]);
        } else if (roll < 0.7) {
          const mine = (purchases.get(memberId) ?? []).filter((p) => p.left > 0);
          if (mine.length === 0) return;
          const purchase = pick(mine);
          const refund = random() < 0.5 ? purchase.left : Math.max(1, Math.floor(purchase.left * random()));
          purchase.left -= refund;
          const input = { externalId: randomUUID(), refundOf: purchase.externalId, amount: { amount: refund, currency: 'CNY' } };
          if (purchase.channel.startsWith('partner.')) await t.app.services().coalition.refund(purchase.channel.slice('partner.'.length), input);
          else await s.activities.record({ memberId, type: 'REFUND' as never, channel: purchase.channel, ...input });
        } else if (roll < 0.8) {
          await s.activities.record({ memberId, type: 'CHECK_IN' as never, channel: 'app', externalId: randomUUID() });
        } else if (roll < 0.88) {
          await s.activities.record({ memberId, type: 'REVIEW' as never, channel: 'app', externalId: randomUUID() });
        } else if (roll < 0.94) {
          const partnerId = pick(PARTNERS);
          const card = await s.coalition.issueCard(memberId, partnerId);
          const burn = await s.coalition.burn(partnerId, card.token, { points: 50 + Math.floor(random() * 1_500), idempotencyKey: randomUUID() });
          outcome.burned[partnerId] = (outcome.burned[partnerId] ?? 0) + burn.points;
        } else if (roll < 0.985 || !rewards.get(memberId)?.length) {
          // A reward from the catalog, delivered as a right.
          const { redemption } = await s.rewards.redeem(memberId, pick(REWARDS), randomUUID());
          rewards.get(memberId)?.push(redemption.id) ?? rewards.set(memberId, [redemption.id]);
        } else {
          // …and one given back (taken off the list first: each is given back once).
          const mine = rewards.get(memberId)!;
          const [redemptionId] = mine.splice(Math.floor(random() * mine.length), 1);
          await s.rewards.cancel(memberId, redemptionId!);
          outcome.canceled++;
        }
        outcome.accepted++;
      } catch (error) {
        refuse(error);
      }
    };

    // Members stop at some month (churn), so evaluations move tiers down as their windows empty.
    const lastMonth = new Map(members.map((m) => [m, random() < 0.5 ? 2 + Math.floor(random() * 8) : MONTHS]));
    const perMonth = Math.ceil(ACTIVITIES / MONTHS);
    let done = 0;
    for (let month = 0; month < MONTHS; month++) {
      // The month's evaluations and expiries at 00:00 on the 1st, by two runners at once…
      const first = monthStart(month);
      if (month > 0) {
        await setClock(clock.id, first);
        await runDueTwice(clock.id, first);
      }
      // …then the month's activity on the 10th, with two runners working through what falls due meanwhile.
      const at = new Date(first.getTime() + 9 * 86_400_000 + 2 * 3_600_000);
      await setClock(clock.id, at);
      const active = members.filter((m) => lastMonth.get(m)! > month);
      const queue = Array.from({ length: perMonth }, () => ({ memberId: pick(active), seed: Math.floor(random() * 2 ** 31) }));
      let next = 0;
      const runners = runDueTwice(clock.id, at);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < queue.length) {
            const op = queue[next++]!;
            await operation(op.memberId, op.seed);
          }
        }),
      );
      await runners;
      await runDueTwice(clock.id, at);
      done += perMonth;
      if (month % 6 === 5) console.log(`loyalty simulation: month ${month + 1}/${MONTHS}, ${done} operations, refused ${JSON.stringify(outcome.refused)}`);
    }

    // Only what a concurrent world makes unavoidable is refused.
    for (const code of Object.keys(outcome.refused)) expect(['INSUFFICIENT_POINTS', 'REFUND_EXCEEDS_PURCHASE', 'PURCHASE_NOT_FOUND', 'NOT_FOUND', 'REWARD_UNAVAILABLE', 'REWARD_NOT_CANCELABLE']).toContain(code);

    // 1. Every accepted operation is there, once.
    const [{ n: activityCount }] = (await t.db.query<{ n: string }>(`select count(*) as n from activity a join member m on m.id = a.member_id where m.issuer = 'urn:sim'`)) as [{ n: string }];
    const burns = await t.db.query<{ n: string }>(`select count(*) as n from points_journal j join member m on m.id = j.member_id where m.issuer = 'urn:sim' and j.kind = 'SPEND'`);
    const givenBack = await t.db.query<{ n: string }>(
      `select count(*) as n from reward_redemption r join member m on m.id = r.member_id where m.issuer = 'urn:sim' and r.status = 'CANCELED'`,
    );
    expect(Number(givenBack[0]!.n)).toBe(outcome.canceled);
    expect(Number(activityCount) + Number(burns[0]!.n) + outcome.canceled).toBe(outcome.accepted);
    // Every reward redeemed and not given back holds a right of its own; every one given back, a revoked one.
    const rights = await t.db.query<{ status: string; right_status: string | null; n: string }>(
      `select r.status, e.status as right_status, count(*) as n from reward_redemption r join member m on m.id = r.member_id
         left join entitlement e on e.id = r.entitlement_id and e.source = 'REWARD' and e.source_ref = r.id::text
        where m.issuer = 'urn:sim' group by 1, 2 order by 1, 2`,
    );
    for (const row of rights) expect(row.status === 'CANCELED' ? row.right_status === 'REVOKED' : ['ACTIVE', 'PENDING_PROVISION', 'EXPIRED'].includes(row.right_status ?? ''), JSON.stringify(row)).toBe(true);

    // 2. Double entry: every account's balance is the sum of its transfers; member balances are never negative, debts never positive.
    const accounts = await t.db.query<{ id: string; kind: string; balance: string; from_transfers: string | null }>(
      `select a.id, a.kind, a.balance,
              (select coalesce(sum(case when t.credit_account_id = a.id then t.amount else -t.amount end), 0)
                 from points_transfer t where t.credit_account_id = a.id or t.debit_account_id = a.id) as from_transfers
         from points_account a`,
    );
    let total = 0;
    for (const account of accounts) {
      total += Number(account.from_transfers);
      if (account.kind === 'MEMBER' || account.kind === 'MEMBER_DEBT') expect(Number(account.balance), account.id).toBe(Number(account.from_transfers));
      if (account.kind === 'MEMBER') expect(Number(account.balance), account.id).toBeGreaterThanOrEqual(0);
      if (account.kind === 'MEMBER_DEBT') expect(Number(account.balance), account.id).toBeLessThanOrEqual(0);
    }
    expect(total, 'debits equal credits').toBe(0);

    // 3. A member's balance is what their lots hold, and each lot holds what its transfers left in it.
    const lotsOff = await t.db.query(
      `select l.id from points_lot l
        where l.remaining <> (select coalesce(sum(case when t.credit_account_id = 'member:' || l.member_id then t.amount else -t.amount end), 0)
                                from points_transfer t where t.lot_id = l.id and ('member:' || l.member_id) in (t.credit_account_id, t.debit_account_id))`,
    );
    expect(lotsOff, 'lots whose remaining differs from their transfers').toEqual([]);
    const balancesOff = await t.db.query(
      `select a.id from points_account a where a.kind = 'MEMBER'
         and a.balance <> (select coalesce(sum(l.remaining), 0) from points_lot l where 'member:' || l.member_id = a.id)`,
    );
    expect(balancesOff, 'member balances that differ from their lots').toEqual([]);
    // Nothing past its expiry is left spendable.
    const clockNow = new Date(monthStart(MONTHS - 1).getTime() + 9 * 86_400_000 + 2 * 3_600_000);
    expect(await t.db.query(`select id from points_lot where remaining > 0 and expires_at <= $1`, [clockNow])).toEqual([]);

    // 4. Settlement equals the ledger: what each partner's till issued (net of refunds) and what was burned there.
    for (const partnerId of PARTNERS) {
      const settlement = await t.app.services().coalition.pointsSettlement(partnerId, new Date('2026-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'));
      const [fromActivities] = await t.db.query<{ points: string | null }>(`select sum(points) as points from activity where channel = $1`, [`partner.${partnerId}`]);
      expect(settlement.issued, `${partnerId} issued`).toBe(Number(fromActivities!.points ?? 0));
      expect(settlement.burned, `${partnerId} burned`).toBe(outcome.burned[partnerId] ?? 0);
    }

    // 5. Tiers and qualifying months, recomputed from scratch.
    const activities = await t.db.query<{ id: string; refund_of_id: string | null; member_id: string; type: string; amount: number | null; points: number; occurred_at: Date; posted_at: Date; seq: string; multiplier_permille: number | null }>(
      `select a.id, a.refund_of_id, a.member_id, a.type, a.amount, a.points, a.occurred_at, a.posted_at, a.seq, a.multiplier_permille
         from activity a join member m on m.id = a.member_id where m.issuer = 'urn:sim' order by a.member_id, a.posted_at, a.seq`,
    );
    const byMember = new Map<string, typeof activities>();
    for (const a of activities) byMember.get(a.member_id)?.push(a) ?? byMember.set(a.member_id, [a]);
    const tiers = new Map((await t.db.query<{ member_id: string; tier_code: string }>(`select member_id, tier_code from member_tier`)).map((r) => [r.member_id, r.tier_code]));
    const months = await t.db.query<{ member_id: string; month: string; spend: string; orders: number; points_earned: number }>(
      `select member_id, to_char(month, 'YYYY-MM') as month, spend, orders, points_earned from tier_qualifying_month`,
    );
    const evaluations = Array.from({ length: MONTHS - 1 }, (_, i) => monthStart(i + 1));
    let checked = 0;
    for (const memberId of members) {
      const expected = recompute(byMember.get(memberId) ?? [], evaluations);
      expect(tiers.get(memberId) ?? 'MEMBER', `tier of ${memberId}`).toBe(expected.tier);
      for (const purchase of expected.multipliers) expect(purchase.actual, `multiplier of a purchase of ${memberId}`).toBe(purchase.expected);
      const stored = new Map(months.filter((m) => m.member_id === memberId).map((m) => [m.month, { spend: Number(m.spend), orders: m.orders, pointsEarned: m.points_earned }]));
      for (const [month, figures] of expected.months) expect(stored.get(month) ?? { spend: 0, orders: 0, pointsEarned: 0 }, `${memberId} ${month}`).toEqual(figures);
      checked++;
    }
    expect(checked).toBe(MEMBERS);

    // 6. What each tier unlocks is held as it holds: this month's live TIER rights are exactly the
    // demo's benefits of the member's tier and those below it (Gold a car wash, Diamond also coffees).
    const live = await t.db.query<{ member_id: string; code: string; source_ref: string }>(
      `select e.member_id, b.code, e.source_ref from entitlement e join benefit b on b.id = e.benefit_id join member m on m.id = e.member_id
        where m.issuer = 'urn:sim' and e.source = 'TIER' and e.status in ('ACTIVE', 'PENDING_PROVISION') and e.period_start <= $1 and e.period_end > $1`,
      [(await services.testClocks.get(clock.id)).frozenTime],
    );
    for (const memberId of members) {
      const rank = DEMO_TIERS.find((tier) => tier.code === (tiers.get(memberId) ?? 'MEMBER'))!.rank;
      const expected = DEMO_TIER_BENEFITS.filter((b) => DEMO_TIERS.find((tier) => tier.code === b.tier)!.rank <= rank).map((b) => `${b.benefitCode} from ${b.tier}`).sort();
      const held = live.filter((r) => r.member_id === memberId).map((r) => `${r.code} from ${r.source_ref}`).sort();
      expect(held, `rights ${memberId} holds at ${tiers.get(memberId)}`).toEqual(expected);
    }
    console.log(`loyalty simulation: ${outcome.accepted} accepted, refused ${JSON.stringify(outcome.refused)}, tiers ${JSON.stringify(countBy([...tiers.values()]))}`);
  });
});

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/**
 * The demo program's tier rules, written again from DESIGN.md alone: a member's tier after
 * their activities (in the order they were applied) and the monthly evaluations, the
 * multiplier each purchase should have earned at, and their qualifying months.
 */
function recompute(
  activities: ReadonlyArray<{ id: string; refund_of_id: string | null; type: string; amount: number | null; points: number; occurred_at: Date; posted_at: Date; multiplier_permille: number | null }>,
  evaluations: readonly Date[],
) {
  const ladder = DEMO_TIERS;
  const rank = (code: string) => ladder.findIndex((t) => t.code === code);
  const matching = (spend: number) => [...ladder].reverse().find((t) => t.minSpend === null || spend >= t.minSpend)!.code;
  const spendByMonth = new Map<string, number>();
  const months = new Map<string, { spend: number; orders: number; pointsEarned: number }>();
  const windowSpend = (from: string, to: string) => [...spendByMonth].filter(([m]) => m >= from && m <= to).reduce((s, [, v]) => s + v, 0);
  let tier = 'MEMBER';
  let lastDowngrade: Date | null = null;
  const upgrades: Array<{ from: string; to: string; at: Date }> = [];
  const multipliers: Array<{ expected: number; actual: number | null }> = [];
  const purchasesLeft = new Map<string, number>();

  const events = [
    ...activities.map((a, order) => ({ at: new Date(a.posted_at), order, activity: a })),
    ...evaluations.map((at) => ({ at, order: -1, activity: null })),
  ].sort((x, y) => x.at.getTime() - y.at.getTime() || x.order - y.order);

  for (const event of events) {
    const a = event.activity;
    if (!a) {
      // Evaluation at 00:00 on the 1st: only a member above MEMBER can move; the 12 months before.
      if (rank(tier) === 0) continue;
      const current = monthOf(event.at);
      const spend = windowSpend(shiftMonth(current, -12), shiftMonth(current, -1));
      const target = matching(spend);
      if (rank(target) >= rank(tier)) {
        if (rank(target) > rank(tier)) {
          upgrades.push({ from: tier, to: target, at: event.at });
          tier = target;
        }
        continue;
      }
      const sixMonthsAfter = lastDowngrade ? new Date(Date.UTC(lastDowngrade.getUTCFullYear(), lastDowngrade.getUTCMonth() + 6, lastDowngrade.getUTCDate(), lastDowngrade.getUTCHours())) : null;
      if (sixMonthsAfter && sixMonthsAfter > event.at) continue;
      tier = ladder[Math.max(rank(target), rank(tier) - 1)]!.code;
      lastDowngrade = event.at;
      continue;
    }
    const month = monthOf(new Date(a.occurred_at));
    const figures = months.get(month) ?? { spend: 0, orders: 0, pointsEarned: 0 };
    months.set(month, figures);
    const current = monthOf(event.at);
    const windowNow = () => windowSpend(shiftMonth(current, -11), current);
    if (a.type === 'PURCHASE') {
      multipliers.push({ expected: ladder[rank(tier)]!.multiplierPermille, actual: a.multiplier_permille });
      spendByMonth.set(month, (spendByMonth.get(month) ?? 0) + a.amount!);
      figures.spend += a.amount!;
      figures.orders += 1;
      figures.pointsEarned += a.points;
      purchasesLeft.set(a.id, a.amount!);
      const target = matching(windowNow());
      if (rank(target) > rank(tier)) {
        upgrades.push({ from: tier, to: target, at: event.at });
        tier = target;
      }
    } else if (a.type === 'REFUND') {
      spendByMonth.set(month, (spendByMonth.get(month) ?? 0) - a.amount!);
      figures.spend -= a.amount!;
      figures.pointsEarned += a.points;
      // A purchase refunded whole is an order no more (in the month of the refund that completed it).
      const left = purchasesLeft.get(a.refund_of_id!)! - a.amount!;
      purchasesLeft.set(a.refund_of_id!, left);
      if (left === 0) figures.orders -= 1;
      const spend = windowNow();
      const meets = (code: string) => {
        const min = ladder[rank(code)]!.minSpend;
        return min === null || spend >= min;
      };
      if (!meets(tier)) {
        const yearAgo = new Date(event.at);
        yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
        for (const u of [...upgrades].reverse().filter((u) => u.at >= yearAgo)) {
          if (meets(tier)) break;
          if (u.to !== tier) continue;
          tier = ladder[Math.max(rank(matching(spend)), rank(u.from))]!.code;
        }
      }
    } else {
      figures.pointsEarned += a.points;
    }
  }
  return { tier, multipliers, months };
}
