import type { EntityManager } from '@mikro-orm/postgresql';
import { materializeCurrentPeriods } from './materialize.js';

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
export async function sweepEntitlementPeriods(
  em: EntityManager,
  options: { now: Date; timeZone: string; provisionedPartners: readonly string[] },
): Promise<PeriodSweepResult | null> {
  const { now, timeZone, provisionedPartners } = options;
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
    const materialized = await materializeCurrentPeriods(tx, { now, timeZone, provisionedPartners });
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
