import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';
import { EntitlementStatus } from './entitlement.entity.js';

/** Which rights to take back: a membership's current ones, or named entitlements. */
export type RevocationScope = { membershipId: string } | { entitlementIds: readonly string[] };

/** One right taken back by {@link revokeRights}. */
export interface RevokedRight {
  id: string;
  partnerId: string;
  previousStatus: EntitlementStatus;
}

const LIVE_STATUSES = [EntitlementStatus.ACTIVE, EntitlementStatus.PENDING_PROVISION, EntitlementStatus.SUSPENDED];

/**
 * Takes rights back now (refund, fraud, erasure): every live right in `scope` whose period
 * has not ended becomes REVOKED, and a `right.revoke` event is queued for each one held at a
 * partner with a provisioning adapter, in one statement. Call inside the transaction that
 * decides it; the database flips the status-list bits of the rights' live tokens in the
 * same transaction. Rights already ended or revoked are left as they are.
 */
export async function revokeRights(
  em: EntityManager,
  scope: RevocationScope,
  options: { now: Date; provisionedPartners: readonly string[] },
): Promise<RevokedRight[]> {
  const [filter, parameter] =
    'membershipId' in scope
      ? ['e.membership_id = ?', scope.membershipId]
      : ['e.id = any(?::uuid[])', pgTextArray(scope.entitlementIds)];
  const announce = Outbox.queueForRightsCte('revoked', 'right.revoke', options.provisionedPartners);
  const rows = await em.execute<{ id: string; partner_id: string; previous_status: EntitlementStatus }[]>(
    `with target as (
       select e.id, e.status from entitlement e
       where ${filter} and e.period_end > ? and e.status = any(?::entitlement_status[])
       for update),
     revoked as (
       update entitlement e set status = 'REVOKED', revoked_at = ? from target
       where e.id = target.id
       returning e.id, e.benefit_id, target.status as previous_status),
     queued as (${announce.sql})
     select r.id, b.partner_id, r.previous_status
     from revoked r join benefit b on b.id = r.benefit_id
     order by r.id`,
    [parameter, options.now, pgTextArray(LIVE_STATUSES), options.now, ...announce.params],
  );
  return rows.map((row) => ({ id: row.id, partnerId: row.partner_id, previousStatus: row.previous_status }));
}
