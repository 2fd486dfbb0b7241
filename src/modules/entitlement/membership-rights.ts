import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';

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
