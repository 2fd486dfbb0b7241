import type { EntityManager } from '@mikro-orm/postgresql';
import { Entitlement, EntitlementStatus } from './entitlement.entity.js';
import { remainingOf } from './entitlement.service.js';
import { EntitlementError } from './entitlement.errors.js';

/**
 * Takes `units` of an entitlement's quota in one conditional UPDATE (never exceeded,
 * whatever the concurrency) and returns the new `used`; when nothing could be taken, says
 * why with the coded error (inactive, outside its period, quota exhausted). Call inside the
 * transaction that records the use, so a later failure gives the units back.
 */
export async function takeQuota(em: EntityManager, entitlementId: string, units: number, now: Date): Promise<number> {
  const taken = await em.execute<{ used: number }[]>(
    `update entitlement set used = used + ?
     where id = ? and status = ? and period_start <= ? and period_end > ?
       and (quota is null or used + ? <= quota)
     returning used`,
    [units, entitlementId, EntitlementStatus.ACTIVE, now, now, units],
  );
  if (taken.length > 0) return taken[0]!.used;
  const current = await em.findOneOrFail(Entitlement, { id: entitlementId }, { refresh: true });
  if (current.status !== EntitlementStatus.ACTIVE) throw EntitlementError.inactive(current.status);
  if (now < current.periodStart || now >= current.periodEnd) throw EntitlementError.inactive('EXPIRED');
  throw EntitlementError.quotaExhausted(remainingOf(current) ?? 0, units);
}
