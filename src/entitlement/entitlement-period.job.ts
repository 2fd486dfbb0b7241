import type { EntityManager } from '@mikro-orm/postgresql';
import { EntitlementStatus } from './entitlement.entity.js';

export interface PeriodSweepResult {
  /** Entitlements created for a period that started since the last sweep. */
  materialized: number;
  /** Entitlements whose period ended. */
  expired: number;
  /** Memberships that reached the end of a period they were cancelled for. */
  ended: number;
}

/**
 * Rolls entitlement periods forward: materializes the current period of every benefit of
 * every active membership (a new calendar month of coffees), expires entitlements whose
 * period is over, and ends memberships cancelled at period end. Idempotent; safe to run
 * from several replicas at once (an advisory lock lets one sweep at a time).
 */
export async function sweepEntitlementPeriods(em: EntityManager, now: Date, timeZone: string): Promise<PeriodSweepResult | null> {
  return em.transactional(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }[]>(`select pg_try_advisory_xact_lock(hashtext('entitlement-period-sweep')) as locked`);
    if (!lock?.locked) return null;
    const [{ count: ended } = { count: 0 }] = await tx.execute<{ count: number }[]>(
      `with ended as (
         update membership set status = 'CANCELED'
         where status = 'ACTIVE' and cancel_at_period_end and current_period_end <= ?
         returning id)
       select count(*)::int as count from ended`,
      [now],
    );
    const [{ count: materialized } = { count: 0 }] = await tx.execute<{ count: number }[]>(
      `with month as (
         select (date_trunc('month', ?::timestamptz at time zone ?) at time zone ?) as start,
                ((date_trunc('month', ?::timestamptz at time zone ?) + interval '1 month') at time zone ?) as "end"
       ), inserted as (
         insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota)
         select gen_random_uuid(), m.member_id, m.id, bb.benefit_id, ?,
                case bb.period when 'MEMBERSHIP_TERM' then m.current_period_start
                               else greatest(m.current_period_start, month.start) end,
                case bb.period when 'MEMBERSHIP_TERM' then m.current_period_end
                               else least(m.current_period_end, month."end") end,
                bb.quota
         from membership m
         join bundle_benefit bb on bb.bundle_version_id = m.bundle_version_id
         cross join month
         where m.status = 'ACTIVE' and m.current_period_start <= ? and m.current_period_end > ?
         on conflict (membership_id, benefit_id, period_start) do nothing
         returning 1)
       select count(*)::int as count from inserted`,
      [now, timeZone, timeZone, now, timeZone, timeZone, EntitlementStatus.ACTIVE, now, now],
    );
    const [{ count: expired } = { count: 0 }] = await tx.execute<{ count: number }[]>(
      `with expired as (
         update entitlement set status = 'EXPIRED'
         where status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and period_end <= ?
         returning 1)
       select count(*)::int as count from expired`,
      [now],
    );
    return { materialized, expired, ended };
  });
}
