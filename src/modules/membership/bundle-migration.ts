import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { LIVE_MEMBERSHIP_STATUSES } from './membership.entity.js';

/**
 * Moves the live memberships pinned to an earlier version of a bundle to `toVersionId` (a
 * publication that migrates current members), in the caller's transaction; returns their ids.
 * Their rights follow through the entitlement module's `migrateRights`.
 */
export async function moveToBundleVersion(em: EntityManager, bundleId: string, toVersionId: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `update membership m set bundle_version_id = ?
       from bundle_version v
      where v.id = m.bundle_version_id and v.bundle_id = ? and m.bundle_version_id <> ?
        and m.status = any(?::membership_status[])
      returning m.id`,
    [toVersionId, bundleId, toVersionId, pgTextArray(LIVE_MEMBERSHIP_STATUSES)],
  );
  return rows.map((r) => r.id).sort();
}
