import { MomentKind, Moments } from '../moments/index.js';
import type { LocalizedText } from '../../platform/localized.js';
import { pgTextArray, type Statement } from '../../platform/sql.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Entitlement, EntitlementStatus } from './entitlement.entity.js';
import { ENTITLEMENT_VIEW_COLUMNS, remainingOf } from './entitlement.service.js';
import { EntitlementError } from './entitlement.errors.js';

/**
 * Takes `units` of an entitlement's quota in one conditional UPDATE (never exceeded,
 * whatever the concurrency) and returns the new `used`; when nothing could be taken, says
 * why with the coded error (inactive, outside its period, quota exhausted). Call inside the
 * transaction that records the use, so a later failure gives the units back. The statement
 * names the right's member as well as its id (a router query on Citus, docs/citus.md).
 */
export async function takeQuota(em: EntityManager, right: { id: string; memberId: string }, units: number, now: Date): Promise<number> {
  const statement = takeQuotaStatement(right, units, now);
  const taken = await em.execute<{ used: number }[]>(statement.sql, statement.params);
  if (taken.length > 0) return taken[0]!.used;
  throw await quotaRefusal(em, right, units, now);
}

/**
 * {@link takeQuota}'s UPDATE, for a transaction that sends its statements in batches: one row
 * when the units were taken (the right as this UPDATE left it, an {@link EntitlementRow}: its
 * `used` and what `entitlementView` makes of it), none when not (then {@link quotaRefusal}
 * says why).
 */
export function takeQuotaStatement(right: { id: string; memberId: string }, units: number, now: Date): Statement {
  return {
    sql: `update entitlement e set used = e.used + ?
     where member_id = ? and id = ? and status = ? and period_start <= ? and period_end > ?
       and (quota is null or used + ? <= quota)
     returning ${ENTITLEMENT_VIEW_COLUMNS}`,
    params: [units, right.memberId, right.id, EntitlementStatus.ACTIVE, now, now, units],
  };
}

/** Why {@link takeQuotaStatement} took nothing, read afresh: the coded error to throw. */
export async function quotaRefusal(em: EntityManager, right: { id: string; memberId: string }, units: number, now: Date): Promise<Error> {
  const current = await em.findOneOrFail(Entitlement, { id: right.id, member: right.memberId }, { refresh: true });
  if (current.status !== EntitlementStatus.ACTIVE) return EntitlementError.inactive(current.status);
  if (now < current.periodStart || now >= current.periodEnd) return EntitlementError.inactive('EXPIRED');
  return EntitlementError.quotaExhausted(remainingOf(current) ?? 0, units);
}

/**
 * Gives `units` back to an entitlement (a voided redemption), in the caller's transaction;
 * returns the new `used`. Never below zero: an entitlement with fewer units used than given
 * back is a broken invariant, and throws. Names the right's member as well as its id.
 */
export async function returnUnits(em: EntityManager, right: { id: string; memberId: string }, units: number): Promise<number> {
  const restored = await em.execute<{ used: number }[]>('update entitlement set used = used - ? where member_id = ? and id = ? and used >= ? returning used', [
    units,
    right.memberId,
    right.id,
    units,
  ]);
  if (restored.length === 0) throw new Error(`entitlement ${right.id} has fewer units used than the ${units} given back`);
  return restored[0]!.used;
}

/**
 * Applies a partner's verdict on a right waiting for it: PENDING_PROVISION becomes ACTIVE
 * (the partner holds it) or REVOKED (it rejected it). Only a right still pending changes;
 * with `partnerId`, only a right of that partner's benefits. True when it changed.
 */
export async function acknowledgeProvisioning(
  em: EntityManager,
  entitlementId: string,
  verdict: EntitlementStatus.ACTIVE | EntitlementStatus.REVOKED,
  options: { partnerId?: string } = {},
): Promise<boolean> {
  return (await acknowledgeProvisioningAll(em, [entitlementId], verdict, options)) > 0;
}

/**
 * {@link acknowledgeProvisioning} for many rights in one UPDATE (a batch the outbox delivered);
 * returns how many changed.
 */
export async function acknowledgeProvisioningAll(
  em: EntityManager,
  entitlementIds: readonly string[],
  verdict: EntitlementStatus.ACTIVE | EntitlementStatus.REVOKED,
  options: { partnerId?: string } = {},
): Promise<number> {
  if (entitlementIds.length === 0) return 0;
  const rows = await em.execute<
    { id: string; member_id: string; benefit_code: string; benefit_name: LocalizedText; partner_name: LocalizedText; clock_id: string | null; clock_time: Date | string | null }[]
  >(
    `with changed as (
       update entitlement e set status = ?, activated_at = case when ? = 'ACTIVE' then e.period_start end
       from benefit b, partner p
       where e.id = any(?::uuid[]) and b.id = e.benefit_id and p.id = b.partner_id
         and (?::text is null or b.partner_id = ?) and e.status = 'PENDING_PROVISION'
       returning e.id, e.member_id, b.code as benefit_code, b.name as benefit_name, p.name as partner_name,
         coalesce(e.test_clock_id, (select m.test_clock_id from membership m where m.id = e.membership_id)) as clock_id)
     select changed.*, tc.frozen_time as clock_time from changed left join test_clock tc on tc.id = changed.clock_id`,
    [verdict, verdict, pgTextArray(entitlementIds), options.partnerId ?? null, options.partnerId ?? null],
  );
  if (verdict !== EntitlementStatus.ACTIVE) return rows.length;
  // The members hear of it (a ritual moment): the right is usable at the partner from now on.
  const now = new Date();
  await Moments.recordMany(
    em,
    rows.map((row) => ({
      memberId: row.member_id,
      kind: MomentKind.BENEFIT_ACTIVATED,
      occurredAt: row.clock_time ? new Date(row.clock_time) : now,
      data: { benefitCode: row.benefit_code, benefitName: row.benefit_name, partnerName: row.partner_name },
      dedupeKey: `BENEFIT_ACTIVATED:${row.id}`,
      clockId: row.clock_id,
    })),
  );
  return rows.length;
}
