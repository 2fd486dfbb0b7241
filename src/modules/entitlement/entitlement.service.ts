import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, auditReason, type AuditContext } from '../audit/index.js';
import { AppError } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { Entitlement, EntitlementStatus } from './entitlement.entity.js';
import { materializeCurrentPeriods } from './materialize.js';
import { revokeRights } from './revoke.js';
import { carryOverRights, expireEndedRights, resumeRights, suspendRights } from './membership-rights.js';
import { EntitlementError } from './entitlement.errors.js';
import { MembershipStatus } from '../membership/index.js';


export interface EntitlementServiceOptions {
  timeZone: string;
  /** Partners with a provisioning adapter. */
  provisionedPartners: readonly string[];
  now?: () => Date;
}

/** Materializes and reads entitlements: one member's right to one benefit for one period. */
export class EntitlementService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: EntitlementServiceOptions,
  ) {}

  /** Partners with a provisioning adapter. */
  get provisionedPartners(): readonly string[] {
    return this.options.provisionedPartners;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Rolls memberships' rights to `now` (in the caller's transaction): rights whose period is
   * over expire — announced as revoked at partners holding ACCESS when the membership `ended` —
   * and the current period's rights exist, with their provisioning events.
   */
  async refresh(em: EntityManager, membershipIds: readonly string[], now: Date, options: { ended?: boolean } = {}): Promise<void> {
    const { provisionedPartners, timeZone } = this.options;
    await expireEndedRights(em, membershipIds, now, { provisionedPartners, announce: options.ended ?? false });
    if (!options.ended) await materializeCurrentPeriods(em, { now, timeZone, provisionedPartners, membershipIds });
  }

  /**
   * Takes back now every current right of a membership that ended early (a refund, an unpaid
   * grace), queueing a revocation for each one held at a partner. Call inside the transaction that ended it.
   */
  async revokeMembershipRights(em: EntityManager, membershipId: string, now: Date): Promise<void> {
    await revokeRights(em, { membershipId }, { now, provisionedPartners: this.options.provisionedPartners });
  }

  /** Suspends a membership's current rights (unpaid, in a grace that suspends). */
  async suspend(em: EntityManager, membershipId: string, now: Date): Promise<void> {
    await suspendRights(em, membershipId, now, this.options);
  }

  /** A plan change at `at`: current rights move into the new period (used units carry over); see carryOverRights. */
  async carryOver(em: EntityManager, membershipId: string, change: { at: Date; newBundleVersionId: string; newPeriodEnd: Date }): Promise<void> {
    await carryOverRights(em, membershipId, { ...change, timeZone: this.options.timeZone, provisionedPartners: this.options.provisionedPartners });
  }

  /** Makes a membership's suspended rights usable again (paid). */
  async resume(em: EntityManager, membershipId: string, now: Date): Promise<void> {
    await resumeRights(em, membershipId, now, this.options);
  }

  /**
   * The member's entitlements whose period contains now: those of a live membership, in bundle
   * order, then what the loyalty program granted (rewards, tier benefits, campaign gifts) that
   * was not taken back; rights of a membership that ended early (a refund) are gone from "what
   * I have". The membership is joined on the member too (true of every row): on a member-sharded
   * database the statement names one member throughout (docs/citus.md). `now` defaults to the
   * request's clock. The member page's hot path: one
   * plain statement, read into views (no entity is built or tracked).
   */
  async listCurrent(memberId: string, now = this.now()): Promise<EntitlementView[]> {
    return entitlementViews(
      this.em,
      `left join membership m on m.id = e.membership_id and m.member_id = e.member_id
        where e.member_id = ? and e.period_start <= ? and e.period_end > ?
          and (m.status in (?, ?, ?) or (e.membership_id is null and e.status <> ?))
        order by e.source, e.created_at, e.id`,
      [memberId, now, now, MembershipStatus.TRIALING, MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE, EntitlementStatus.REVOKED],
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

  /**
   * Takes one right back now (admins, e.g. fraud): REVOKED here, a revocation queued for its
   * partner, its live tokens INVALID in the partner's status list, and an
   * `entitlement.revoke` audit row, in one transaction. Revoking a revoked right changes
   * nothing; a right that already ended cannot be revoked (ENTITLEMENT_INACTIVE).
   */
  async revoke(entitlementId: string, reason: string, audit: AuditContext): Promise<Entitlement> {
    const why = auditReason(reason);
    const found = isUuid(entitlementId) ? await this.em.findOne(Entitlement, { id: entitlementId }) : null;
    if (!found) throw AppError.notFound('Entitlement', entitlementId);
    const now = this.now();
    const revoked = await this.em.transactional(async (tx) => {
      const [right] = await revokeRights(tx, { entitlementIds: [found.id] }, { now, provisionedPartners: this.options.provisionedPartners });
      if (!right) return false;
      await AuditLog.append(tx, audit, {
        action: 'entitlement.revoke',
        subject: right.id,
        before: { entitlement: { id: right.id, status: right.previousStatus } },
        after: { entitlement: { id: right.id, status: EntitlementStatus.REVOKED }, reason: why },
      });
      return true;
    });
    const current = await this.em.findOneOrFail(Entitlement, { id: found.id }, { refresh: true });
    if (!revoked && current.status !== EntitlementStatus.REVOKED) throw EntitlementError.inactive(current.status === EntitlementStatus.ACTIVE ? 'EXPIRED' : current.status);
    return current;
  }

  /** Throws unless the entitlement can be used right now (status and period). */
  assertUsable(entitlement: Pick<Entitlement, 'status' | 'periodStart' | 'periodEnd'>): void {
    const now = this.now();
    if (entitlement.status !== EntitlementStatus.ACTIVE) throw EntitlementError.inactive(entitlement.status);
    if (now < entitlement.periodStart || now >= entitlement.periodEnd) throw EntitlementError.inactive('EXPIRED');
  }
}

/** An entitlement as the member page reads it: its columns, its references by id. */
export type EntitlementView = Pick<Entitlement, 'id' | 'source' | 'status' | 'periodStart' | 'periodEnd' | 'used' | 'createdAt'> & {
  member: { id: string };
  membership: { id: string } | null;
  benefit: { id: string };
  sourceRef: string | null;
  quota: number | null;
  activatedAt: Date | null;
  revokedAt: Date | null;
};

/** A row of {@link ENTITLEMENT_VIEW_COLUMNS}. */
export interface EntitlementRow {
  id: string;
  member_id: string;
  membership_id: string | null;
  source: Entitlement['source'];
  source_ref: string | null;
  benefit_id: string;
  status: EntitlementStatus;
  period_start: Date | string;
  period_end: Date | string;
  quota: number | null;
  used: number;
  activated_at: Date | string | null;
  revoked_at: Date | string | null;
  created_at: Date | string;
}

const dateOrNull = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** The columns of an entitlement as {@link EntitlementView} reads them, for a statement over `entitlement e`. */
export const ENTITLEMENT_VIEW_COLUMNS =
  'e.id, e.member_id, e.membership_id, e.source, e.source_ref, e.benefit_id, e.status, e.period_start, e.period_end, e.quota, e.used, e.activated_at, e.revoked_at, e.created_at';

/** Entitlements as views, in one plain statement: `from entitlement e` followed by `rest` (joins, where, order). */
export async function entitlementViews(em: EntityManager, rest: string, params: unknown[]): Promise<EntitlementView[]> {
  const rows = await em.execute<EntitlementRow[]>(`select ${ENTITLEMENT_VIEW_COLUMNS} from entitlement e ${rest}`, params);
  return rows.map(entitlementView);
}

export function entitlementView(row: EntitlementRow): EntitlementView {
  return {
    id: row.id,
    member: { id: row.member_id },
    membership: row.membership_id ? { id: row.membership_id } : null,
    source: row.source,
    sourceRef: row.source_ref,
    benefit: { id: row.benefit_id },
    status: row.status,
    periodStart: new Date(row.period_start),
    periodEnd: new Date(row.period_end),
    quota: row.quota,
    used: row.used,
    activatedAt: dateOrNull(row.activated_at),
    revokedAt: dateOrNull(row.revoked_at),
    createdAt: new Date(row.created_at),
  };
}

/** True when the entitlement can be used at `now`: ACTIVE and its period contains `now`. */
export function isUsableAt(entitlement: Pick<Entitlement, 'status' | 'periodStart' | 'periodEnd'>, now: Date): boolean {
  return entitlement.status === EntitlementStatus.ACTIVE && entitlement.periodStart <= now && now < entitlement.periodEnd;
}

/** Units left in the period; null when unlimited. */
export function remainingOf(entitlement: Pick<Entitlement, 'quota' | 'used'>): number | null {
  return entitlement.quota == null ? null : Math.max(0, entitlement.quota - entitlement.used);
}
