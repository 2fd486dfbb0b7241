import type { EntityManager } from '@mikro-orm/postgresql';
import { pointsLiability } from '../points/index.js';
import { rightValuesSql } from '../savings/index.js';

/** How a refresh was started. */
export type FiguresTrigger = 'SCHEDULE' | 'ON_DEMAND';

/** What one refresh did. */
export interface FiguresRunSummary {
  id: string;
  asOf: Date;
  trigger: FiguresTrigger;
  durationMs: number;
  /** Milliseconds per step, in the order they ran. */
  steps: Record<string, number>;
}

/** The figures that hold at the run's instant only, kept with the run. */
export interface FiguresSnapshot {
  liability: {
    outstanding: number;
    members: number;
    debts: number;
    byExpiry: Array<{ month: string | null; points: number; members: number }>;
    byIssuer: Array<{ issuer: string; points: number }>;
  };
  tiers: Array<{ code: string; members: number }>;
  /** Live rights (pending, active or suspended at the instant) by benefit and source. */
  liveRights: Array<{ benefitId: string; source: string; rights: number; members: number }>;
  /** Members with a live right of each partner's benefits (a member counts once per partner). */
  partnerMembers: Array<{ partnerId: string; members: number; paidMembers: number }>;
  /** Per plan, its paid periods that are over and the points the program issued their members within them. */
  planPoints: Array<{ planId: string; periods: number; points: number }>;
}

/** Serializes refreshes: one rebuild at a time, whichever process starts it. */
const REFRESH_LOCK = `hashtext('program-figures:refresh')`;

/**
 * Rebuilds the program's figures as of `asOf` from the real tables, in one transaction: every
 * figures table is emptied and refilled, so readers see the previous run until this one commits
 * and every dashboard states the same instant. Steps are timed one by one (what each figure costs
 * computed straight from the raw tables). With `wait: false`, returns null at once when another
 * refresh holds the lock (the scheduled job); otherwise waits for it and runs after it (with
 * `onlyIfNone`, only when no refresh ever ran: null otherwise).
 *
 * Days and months are the program's (`timeZone`); money figures count the program `currency` only.
 */
export async function refreshFigures(
  em: EntityManager,
  options: { asOf: Date; timeZone: string; trigger: FiguresTrigger; wait?: boolean; onlyIfNone?: boolean },
): Promise<FiguresRunSummary | null> {
  const { asOf, timeZone: tz, trigger } = options;
  return em.transactional(async (tx) => {
    if (options.wait === false) {
      const [got] = await tx.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(${REFRESH_LOCK}) as locked`);
      if (!got?.locked) return null;
    } else {
      await tx.execute(`select pg_advisory_xact_lock(${REFRESH_LOCK})`);
    }
    // First reads of an empty database wait for one another: the first computes, the rest read it.
    if (options.onlyIfNone && (await tx.execute(`select 1 from figures_run limit 1`)).length > 0) return null;
    // Big scans of a few simple shapes: JIT compilation costs more than it saves here.
    await tx.execute(`set local jit = off; set local work_mem = '64MB'`);
    const started = performance.now();
    const steps: Record<string, number> = {};
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const at = performance.now();
      const result = await work();
      steps[name] = Math.round(performance.now() - at);
      return result;
    };
    const [program] = await tx.execute<{ currency: string | null }[]>(`select rules->>'currency' as currency from loyalty_program order by id limit 1`);
    const currency = program?.currency ?? 'CNY';

    await step('clear', () => tx.execute(`delete from figures_day; delete from figures_cohort; delete from figures_period_value; delete from figures_benefit; delete from figures_points_month; delete from figures_tier_move`));

    // Paid periods: a period payment (or a plan change's) that went through and was not wholly
    // refunded. Its effective end is the first of its end, its membership's end (a refund ends it at
    // once) and the start of the membership's next period (a plan change now cuts it short).
    await step('paidPeriods', async () => {
      await tx.execute(
        `create temp table fig_periods on commit drop as
         with paid as (
           select p.id, m.member_id, p.membership_id, coalesce(p.plan_id, m.plan_id) as plan_id, p.period_start, p.period_end,
                  p.amount - p.refunded_amount as fee, m.ended_at
             from payment p join membership m on m.id = p.membership_id
            where p.status in ('SUCCEEDED', 'REFUNDED') and p.period_start is not null and p.period_end is not null
              and p.amount > p.refunded_amount and p.period_start <= ?
         )
         select paid.*, trim(pl.currency) as currency,
                greatest(paid.period_start, least(paid.period_end, coalesce(paid.ended_at, 'infinity'::timestamptz),
                  coalesce(lead(paid.period_start) over (partition by paid.membership_id order by paid.period_start, paid.id), 'infinity'::timestamptz))) as effective_end
           from paid join plan pl on pl.id = paid.plan_id`,
        [asOf],
      );
      await tx.execute(`create index on fig_periods (membership_id, period_start); create index on fig_periods (member_id, period_start); analyze fig_periods`);
    });

    await step('members', () =>
      tx.execute(
        `insert into figures_day (day, new_members)
         select (created_at at time zone ?)::date, count(*) from member where created_at <= ? group by 1`,
        [tz, asOf],
      ),
    );

    // A member's paid coverage: their paid periods merged where they touch or overlap, so a member
    // counts once however many periods (renewals, plan changes) they chain.
    await step('paidMembers', () =>
      tx.execute(
        `with firsts as (select member_id, min(period_start) as at from fig_periods group by member_id),
              ordered as (
                select member_id, period_start, effective_end,
                       max(effective_end) over (partition by member_id order by period_start, effective_end rows between unbounded preceding and 1 preceding) as covered_to
                  from fig_periods where effective_end > period_start
              ),
              flagged as (
                select member_id, period_start, effective_end,
                       sum(case when covered_to is null or period_start > covered_to then 1 else 0 end)
                         over (partition by member_id order by period_start, effective_end rows between unbounded preceding and current row) as island
                  from ordered
              ),
              islands as (select member_id, min(period_start) as s, max(effective_end) as e from flagged group by member_id, island),
              moves as (
                select (at at time zone ?)::date as day, 1 as first, 0 as starts, 0 as ends from firsts
                union all select (s at time zone ?)::date, 0, 1, 0 from islands
                union all select (e at time zone ?)::date, 0, 0, 1 from islands where e <= ?
              )
         insert into figures_day (day, new_paid_members, paid_starts, paid_ends)
         select day, sum(first), sum(starts), sum(ends) from moves group by day
         on conflict (day) do update set new_paid_members = excluded.new_paid_members, paid_starts = excluded.paid_starts, paid_ends = excluded.paid_ends`,
        [tz, tz, tz, asOf],
      ),
    );

    // A period came due when it ran to its end; it renewed when a paid period of the same
    // membership starts there; it is pending while its membership neither renewed nor ended.
    await step('renewals', () =>
      tx.execute(
        `with due as (
           select p.period_end, p.ended_at,
                  exists (select 1 from fig_periods q where q.membership_id = p.membership_id and q.period_start = p.period_end) as renewed
             from fig_periods p where p.effective_end = p.period_end and p.period_end <= ?
         )
         insert into figures_day (day, periods_due, periods_renewed, periods_pending)
         select (period_end at time zone ?)::date, count(*), count(*) filter (where renewed),
                count(*) filter (where not renewed and (ended_at is null or ended_at > ?))
           from due group by 1
         on conflict (day) do update set periods_due = excluded.periods_due, periods_renewed = excluded.periods_renewed, periods_pending = excluded.periods_pending`,
        [asOf, tz, asOf],
      ),
    );

    // A membership that had a paid period ended; its member bought again when a paid period of
    // another membership of theirs starts at or after that end.
    await step('repurchases', () =>
      tx.execute(
        `with ended as (
           select m.ended_at,
                  exists (select 1 from fig_periods q where q.member_id = m.member_id and q.membership_id <> m.id and q.period_start >= m.ended_at) as again
             from membership m
            where m.ended_at <= ? and exists (select 1 from fig_periods p where p.membership_id = m.id)
         )
         insert into figures_day (day, memberships_ended, ended_repurchased)
         select (ended_at at time zone ?)::date, count(*), count(*) filter (where again) from ended group by 1
         on conflict (day) do update set memberships_ended = excluded.memberships_ended, ended_repurchased = excluded.ended_repurchased`,
        [asOf, tz],
      ),
    );

    await step('orders', () =>
      tx.execute(
        `insert into figures_day (day, orders, order_gross, order_refunded)
         select (occurred_at at time zone ?)::date, count(*), sum(amount), sum(refunded_amount)
           from activity where type = 'PURCHASE' and currency = ? and occurred_at <= ? group by 1
         on conflict (day) do update set orders = excluded.orders, order_gross = excluded.order_gross, order_refunded = excluded.order_refunded`,
        [tz, currency, asOf],
      ),
    );

    await step('cohorts', () =>
      tx.execute(
        `insert into figures_cohort (month, members, converted, converted_within30days)
         select date_trunc('month', m.created_at at time zone ?)::date, count(*), count(f.at),
                count(*) filter (where f.at < m.created_at + interval '30 days')
           from member m left join (select member_id, min(period_start) as at from fig_periods group by member_id) f on f.member_id = m.id
          where m.created_at <= ? group by 1`,
        [tz, asOf],
      ),
    );

    // What each paid period gave, by the savings module's own valuation (rightValuesSql), within
    // the period up to its effective end or now.
    await step('value', async () => {
      // The valuation's filters hide how many rights meet each period from the planner, which then
      // picks index lookups per right; over every paid period, hash joins are what it needs.
      await tx.execute(`set local enable_nestloop = off`);
      await tx.execute(
        `create temp table fig_values on commit drop as ${rightValuesSql(
          `select p.id::text as key, p.member_id, p.membership_id, p.period_start as from_at, least(p.effective_end, ?::timestamptz) as to_at,
                  false as to_inclusive, p.currency from fig_periods p`,
        )}`,
        [asOf],
      );
      await tx.execute(`set local enable_nestloop = on`);
      await tx.execute(
        `insert into figures_period_value (month, plan_id, band, periods, fees, value)
         select date_trunc('month', p.period_start at time zone ?)::date, p.plan_id,
                case when v.value = 0 then 0 when v.value * 2 < p.fee then 1 when v.value < p.fee then 2 when v.value < 2 * p.fee then 3 else 4 end,
                count(*), sum(p.fee), sum(v.value)
           from fig_periods p
           left join (select key, sum(value) as value from fig_values group by key) x on x.key = p.id::text
           cross join lateral (select coalesce(x.value, 0) as value) v
          group by 1, 2, 3`,
        [tz],
      );
    });

    // Membership rights by the month their period started: units granted and used (per kind:
    // ACCESS one unit, used once the partner acknowledged it; CONVERSION its quota, credited once
    // acknowledged; QUOTA and VOUCHER their quota and what was taken of it, net of voids), and the
    // value they gave within paid periods.
    await step('benefits', () =>
      tx.execute(
        `with valued as (select entitlement_id, sum(value) as value from fig_values group by entitlement_id)
         insert into figures_benefit (month, benefit_id, quota, rights, units_granted, units_used, value, completed_rights, completed_granted, completed_used)
         select date_trunc('month', e.period_start at time zone ?)::date, e.benefit_id, coalesce(e.quota, 0),
                count(*), sum(u.granted), sum(u.used), coalesce(sum(v.value), 0),
                count(*) filter (where e.period_end <= ?), coalesce(sum(u.granted) filter (where e.period_end <= ?), 0), coalesce(sum(u.used) filter (where e.period_end <= ?), 0)
           from entitlement e join benefit b on b.id = e.benefit_id
           left join valued v on v.entitlement_id = e.id
           cross join lateral (select
               case b.kind when 'ACCESS' then 1 else coalesce(e.quota, 0) end as granted,
               case b.kind when 'ACCESS' then (e.activated_at is not null)::int
                           when 'CONVERSION' then case when e.activated_at is not null then coalesce(e.quota, 0) else 0 end
                           else e.used end as used) u
          where e.source = 'MEMBERSHIP' and e.period_start <= ?
          group by 1, 2, 3`,
        [tz, asOf, asOf, asOf, asOf],
      ),
    );

    // Points issued, by issuer account: the program's (`issued`; its take-backs go to `reversed`)
    // and each partner's till (`partner-issued:<id>`, credited back by take-backs), net.
    await step('pointsIssued', () =>
      tx.execute(
        `with issuers as (select id, kind from points_account where kind in ('ISSUED', 'PARTNER_ISSUED', 'REVERSED')),
              moves as (
                select t.journal_id, t.debit_account_id as issuer, t.amount::bigint as points
                  from points_transfer t join issuers a on a.id = t.debit_account_id and a.kind <> 'REVERSED'
                union all
                select t.journal_id, case when a.kind = 'REVERSED' then 'issued' else a.id end, -t.amount::bigint
                  from points_transfer t join issuers a on a.id = t.credit_account_id and a.kind in ('PARTNER_ISSUED', 'REVERSED')
              )
         insert into figures_points_month (month, issuer, points)
         select date_trunc('month', j.effective_at at time zone ?)::date, m.issuer, sum(m.points)
           from moves m join points_journal j on j.id = m.journal_id
          where j.kind in ('EARN', 'REVERSAL') and j.effective_at <= ?
          group by 1, 2`,
        [tz, asOf],
      ),
    );

    const liability = await step('pointsLiability', () => pointsLiability(tx, asOf, tz));

    const tiers = await step('tiers', async () => {
      await tx.execute(
        `insert into figures_tier_move (month, from_tier, to_tier, reason, moves)
         select date_trunc('month', at at time zone ?)::date, from_tier, to_tier, reason::text, count(*) from tier_change where at <= ? group by 1, 2, 3, 4`,
        [tz, asOf],
      );
      return tx.execute<{ code: string; members: string }[]>(
        `select coalesce(mt.tier_code, (select code from loyalty_tier order by rank limit 1)) as code, count(*) as members
           from member m left join member_tier mt on mt.member_id = m.id
          where m.erased_at is null and m.created_at <= ?
          group by 1 having coalesce(mt.tier_code, (select code from loyalty_tier order by rank limit 1)) is not null`,
        [asOf],
      );
    });

    const live = await step('liveRights', async () => {
      const rows = await tx.execute<{ benefit_id: string | null; source: string | null; partner_id: string | null; rights: string; members: string; paid_members: string }[]>(
        `select e.benefit_id, e.source::text as source, case when grouping(b.partner_id) = 0 then b.partner_id end as partner_id,
                count(*) as rights, count(distinct e.member_id) as members, count(distinct e.member_id) filter (where e.source = 'MEMBERSHIP') as paid_members
           from entitlement e join benefit b on b.id = e.benefit_id
          where e.status in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED') and e.period_start <= ? and e.period_end > ?
          group by grouping sets ((e.benefit_id, e.source), (b.partner_id))`,
        [asOf, asOf],
      );
      return rows;
    });

    const planPoints = await step('planPoints', () =>
      tx.execute<{ plan_id: string; periods: string; points: string }[]>(
        `with earned as (
           select j.member_id, j.effective_at, t.amount
             from points_journal j join points_transfer t on t.journal_id = j.id
            where j.kind = 'EARN' and t.debit_account_id = 'issued' and j.effective_at <= ?
         )
         select p.plan_id, count(distinct p.id) as periods, coalesce(sum(e.amount), 0) as points
           from fig_periods p left join earned e on e.member_id = p.member_id and e.effective_at >= p.period_start and e.effective_at < p.effective_end
          where p.effective_end <= ?
          group by p.plan_id`,
        [asOf, asOf],
      ),
    );

    const snapshot: FiguresSnapshot = {
      liability: {
        outstanding: liability.outstanding,
        members: liability.members,
        debts: liability.debts,
        byExpiry: liability.byExpiry.map((r) => ({ month: r.month?.toISOString() ?? null, points: r.points, members: r.members })),
        byIssuer: liability.byIssuer,
      },
      tiers: tiers.map((r) => ({ code: r.code, members: Number(r.members) })),
      liveRights: live.filter((r) => r.benefit_id).map((r) => ({ benefitId: r.benefit_id!, source: r.source!, rights: Number(r.rights), members: Number(r.members) })),
      partnerMembers: live.filter((r) => r.partner_id).map((r) => ({ partnerId: r.partner_id!, members: Number(r.members), paidMembers: Number(r.paid_members) })),
      planPoints: planPoints.map((r) => ({ planId: r.plan_id, periods: Number(r.periods), points: Number(r.points) })),
    };
    const durationMs = Math.round(performance.now() - started);
    const [run] = await tx.execute<{ id: string }[]>(
      `insert into figures_run (id, as_of, time_zone, currency, trigger, duration_ms, steps, snapshot) values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?) returning id`,
      [asOf, tz, currency, trigger, durationMs, JSON.stringify(steps), JSON.stringify(snapshot)],
    );
    return { id: run!.id, asOf, trigger, durationMs, steps };
  });
}
