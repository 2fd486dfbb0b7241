import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';
import { materializeCurrentPeriods } from './materialize.js';
import { revokeRights } from './revoke.js';

/** Partners with a provisioning adapter: the ones told what changed. */
export interface RightsOptions {
  provisionedPartners: readonly string[];
}

/**
 * Rights of these memberships whose period is over at `now` become EXPIRED (their live tokens
 * flip in the status list, by the entitlement's trigger). With `announce`, an ACCESS right
 * held at a partner is revoked there too (the membership ended; a renewal's new period
 * announces itself by activation instead). Returns how many expired.
 */
export async function expireEndedRights(
  em: EntityManager,
  membershipIds: readonly string[],
  now: Date,
  options: RightsOptions & { announce: boolean },
): Promise<number> {
  if (membershipIds.length === 0) return 0;
  const announce = Outbox.queueForRightsCte('ended_access', 'right.revoke', options.announce ? options.provisionedPartners : []);
  const [row] = await em.execute<{ count: number }[]>(
    `with expired as (
       update entitlement e set status = 'EXPIRED'
       where e.membership_id = any(?::uuid[]) and e.status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and e.period_end <= ?
       returning e.id, e.benefit_id),
     ended_access as (select x.id, x.benefit_id from expired x join benefit b on b.id = x.benefit_id where b.kind = 'ACCESS'),
     queued as (${announce.sql})
     select count(*)::int as count from expired`,
    [pgTextArray(membershipIds), now, ...announce.params],
  );
  return row?.count ?? 0;
}

/**
 * A PAST_DUE membership whose plan suspends rights in grace: its current ACTIVE rights become
 * SUSPENDED (tokens out are refused) and ACCESS held at partners is revoked there until the
 * member pays. Returns how many were suspended.
 */
export async function suspendRights(em: EntityManager, membershipId: string, now: Date, options: RightsOptions): Promise<number> {
  const announce = Outbox.queueForRightsCte('suspended_access', 'right.revoke', options.provisionedPartners);
  const [row] = await em.execute<{ count: number }[]>(
    `with suspended as (
       update entitlement e set status = 'SUSPENDED'
       where e.membership_id = ? and e.status = 'ACTIVE' and e.period_end > ?
       returning e.id, e.benefit_id),
     suspended_access as (select s.id, s.benefit_id from suspended s join benefit b on b.id = s.benefit_id where b.kind = 'ACCESS'),
     queued as (${announce.sql})
     select count(*)::int as count from suspended`,
    [membershipId, now, ...announce.params],
  );
  return row?.count ?? 0;
}

/**
 * The member paid: SUSPENDED rights of the membership whose period is not over are ACTIVE
 * again, and ACCESS is granted again at its partner. Tokens refused during the suspension stay
 * refused (the member gets new ones). Returns how many resumed.
 */
export async function resumeRights(em: EntityManager, membershipId: string, now: Date, options: RightsOptions): Promise<number> {
  const announce = Outbox.queueForRightsCte('resumed_access', 'right.activate', options.provisionedPartners);
  const [row] = await em.execute<{ count: number }[]>(
    `with resumed as (
       update entitlement e set status = 'ACTIVE', activated_at = coalesce(e.activated_at, ?)
       where e.membership_id = ? and e.status = 'SUSPENDED' and e.period_end > ?
       returning e.id, e.benefit_id),
     resumed_access as (select r.id, r.benefit_id from resumed r join benefit b on b.id = r.benefit_id where b.kind = 'ACCESS'),
     queued as (${announce.sql})
     select count(*)::int as count from resumed`,
    [now, membershipId, now, ...announce.params],
  );
  return row?.count ?? 0;
}

/**
 * A plan change now (`at`): the membership's current rights move into its new period in place.
 * A benefit the new bundle version also grants keeps its row, its units used and its status —
 * used units carry over, so a period never gives a second full quota — and gets the new
 * period (a membership-term right to `newPeriodEnd`, a calendar-month one to the month's end)
 * and the new quota (never below what was used); ACCESS held at a partner is announced again
 * (its end moved). A benefit the new version does not grant is revoked (and its partner told).
 * Call in the transaction that changes the membership's period, before materializing what the
 * new version adds.
 */
export async function carryOverRights(
  em: EntityManager,
  membershipId: string,
  change: { at: Date; newBundleVersionId: string; newPeriodEnd: Date; timeZone: string } & RightsOptions,
): Promise<void> {
  const { at, newBundleVersionId, newPeriodEnd, timeZone } = change;
  const announce = Outbox.queueForRightsCte('moved_access', 'right.activate', change.provisionedPartners);
  await em.execute(
    `with month_end as (
       select ((date_trunc('month', ?::timestamptz at time zone ?) + interval '1 month') at time zone ?) as "end"
     ), moved as (
       update entitlement e
       set period_start = ?::timestamptz,
           period_end = case bb.period when 'MEMBERSHIP_TERM' then ?::timestamptz else least(?::timestamptz, (select "end" from month_end)) end,
           quota = case when bb.quota is null then null else greatest(bb.quota, e.used) end
       from bundle_benefit bb
       where e.membership_id = ? and bb.bundle_version_id = ? and bb.benefit_id = e.benefit_id
         and e.status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and e.period_start <= ? and e.period_end > ?
       returning e.id, e.benefit_id
     ), moved_access as (select m.id, m.benefit_id from moved m join benefit b on b.id = m.benefit_id where b.kind = 'ACCESS'),
     queued as (${announce.sql})
     select count(*)::int as count from moved`,
    [at, timeZone, timeZone, at, newPeriodEnd, newPeriodEnd, membershipId, newBundleVersionId, at, at, ...announce.params],
  );
  const dropped = await em.execute<{ id: string }[]>(
    `select e.id from entitlement e
     where e.membership_id = ? and e.status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and e.period_start <= ? and e.period_end > ?
       and not exists (select 1 from bundle_benefit bb where bb.bundle_version_id = ? and bb.benefit_id = e.benefit_id)`,
    [membershipId, at, at, newBundleVersionId],
  );
  if (dropped.length) await revokeRights(em, { entitlementIds: dropped.map((r) => r.id) }, { now: at, provisionedPartners: change.provisionedPartners });
}

/**
 * Memberships just moved to another version of their bundle (a publication that migrates current
 * members at its effective date), in the caller's transaction: a right the new version still
 * grants keeps its row, its period and its units used, with the new quota (never below what was
 * used); one it no longer grants is revoked now (its partner told); what it adds is granted for
 * the current period, with its provisioning events.
 */
export async function migrateRights(
  em: EntityManager,
  membershipIds: readonly string[],
  change: { at: Date; timeZone: string } & RightsOptions,
): Promise<void> {
  if (membershipIds.length === 0) return;
  const ids = pgTextArray(membershipIds);
  await em.execute(
    `update entitlement e set quota = case when bb.quota is null then null else greatest(bb.quota, e.used) end
       from membership m, bundle_benefit bb
      where e.membership_id = m.id and m.id = any(?::uuid[]) and bb.bundle_version_id = m.bundle_version_id and bb.benefit_id = e.benefit_id
        and e.status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and e.period_end > ?
        and e.quota is distinct from (case when bb.quota is null then null else greatest(bb.quota, e.used) end)`,
    [ids, change.at],
  );
  const dropped = await em.execute<{ id: string }[]>(
    `select e.id from entitlement e join membership m on m.id = e.membership_id
      where m.id = any(?::uuid[]) and e.status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and e.period_end > ?
        and not exists (select 1 from bundle_benefit bb where bb.bundle_version_id = m.bundle_version_id and bb.benefit_id = e.benefit_id)`,
    [ids, change.at],
  );
  if (dropped.length) await revokeRights(em, { entitlementIds: dropped.map((r) => r.id) }, { now: change.at, provisionedPartners: change.provisionedPartners });
  await materializeCurrentPeriods(em, { now: change.at, timeZone: change.timeZone, provisionedPartners: change.provisionedPartners, membershipIds });
}
