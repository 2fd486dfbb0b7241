import type { EntityManager } from '@mikro-orm/postgresql';
import { BundleBenefit } from '../bundle/bundle.entity.js';
import type { Membership } from '../membership/membership.entity.js';
import { AppError } from '../shared/errors.js';
import { isUuid } from '../shared/loader.js';
import { Entitlement, EntitlementStatus } from './entitlement.entity.js';
import { currentPeriod } from './entitlement-period.js';

export interface EntitlementServiceOptions {
  timeZone: string;
  now?: () => Date;
}

/** Materializes and reads entitlements: one member's right to one benefit for one period. */
export class EntitlementService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: EntitlementServiceOptions,
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Creates the entitlements of the current period for every benefit of the bundle
   * version the membership pinned. Idempotent: existing periods are left alone.
   * Call inside the transaction that activated the membership.
   */
  async materializeCurrentPeriod(em: EntityManager, membership: Membership): Promise<number> {
    const { currentPeriodStart: start, currentPeriodEnd: end } = membership;
    if (!start || !end) return 0;
    const now = this.now();
    const grants = await em.find(BundleBenefit, { bundleVersion: membership.bundleVersion.id }, { populate: ['benefit'] });
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const grant of grants) {
      const period = currentPeriod(grant.period, { start, end }, now, this.options.timeZone);
      if (!period) continue;
      rows.push(`(gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)`);
      values.push(
        membership.member.id,
        membership.id,
        grant.benefit.id,
        // Rights that live on the partner's side will wait in PENDING_PROVISION once
        // provisioning lands; today every right is usable as soon as it is materialized.
        EntitlementStatus.ACTIVE,
        period.start,
        period.end,
        grant.quota ?? null,
      );
    }
    if (rows.length === 0) return 0;
    const result = await em.execute<{ affectedRows?: number }>(
      `insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota)
       values ${rows.join(', ')}
       on conflict (membership_id, benefit_id, period_start) do nothing`,
      values,
      'run',
    );
    return result.affectedRows ?? 0;
  }

  /** The member's entitlements whose period contains now, in bundle order. */
  async listCurrent(memberId: string): Promise<Entitlement[]> {
    const now = this.now();
    return this.em.find(
      Entitlement,
      { member: memberId, periodStart: { $lte: now }, periodEnd: { $gt: now } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  /** One of the member's entitlements; someone else's is NOT_FOUND, exactly like an unknown id. */
  async getOwned(memberId: string, entitlementId: string): Promise<Entitlement> {
    const found = isUuid(entitlementId)
      ? await this.em.findOne(Entitlement, { id: entitlementId, member: memberId })
      : null;
    if (!found) throw AppError.notFound('Entitlement', entitlementId);
    return found;
  }

  /** Throws unless the entitlement can be used right now (status and period). */
  assertUsable(entitlement: Entitlement): void {
    const now = this.now();
    if (entitlement.status !== EntitlementStatus.ACTIVE) throw AppError.entitlementInactive(entitlement.status);
    if (now < entitlement.periodStart || now >= entitlement.periodEnd) throw AppError.entitlementInactive('EXPIRED');
  }
}

/** Units left in the period; null when unlimited. */
export function remainingOf(entitlement: Pick<Entitlement, 'quota' | 'used'>): number | null {
  return entitlement.quota == null ? null : Math.max(0, entitlement.quota - entitlement.used);
}
