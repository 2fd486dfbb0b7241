import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { groupLoader } from '../../platform/loader.js';
import type { ClaimedVoucher } from './voucher.service.js';

export function voucherLoaders(em: EntityManager) {
  return {
    /** Codes claimed per entitlement, newest first. */
    vouchersByEntitlement: groupLoader(
      async (ids: readonly string[]) => {
        const rows = await em.execute<{ code: string; partner_id: string; entitlement_id: string; claimed_at: Date }[]>(
          `select code, partner_id, entitlement_id, claimed_at from voucher_code
           where entitlement_id = any(?::uuid[]) order by claimed_at desc`,
          [pgTextArray(ids)],
        );
        return rows.map((r): ClaimedVoucher => ({ code: r.code, partnerId: r.partner_id, entitlementId: r.entitlement_id, claimedAt: new Date(r.claimed_at) }));
      },
      (v) => v.entitlementId,
    ),
  };
}
