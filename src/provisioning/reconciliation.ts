import type { MikroORM } from '@mikro-orm/postgresql';
import type { PartnerProvisioning, PartnerRightStatus } from '../../partners/adapter.js';

export type ReconciliationAction =
  /** The partner holds it but its acknowledgement never reached us. */
  | 'MARKED_ACTIVE'
  /** The partner rejected or dropped a right still pending here. */
  | 'MARKED_REVOKED'
  /** The partner does not hold a right we grant: provisioned again. */
  | 'REPROVISIONED'
  /** The partner still honours a right we revoked: revoked there again. */
  | 'REVOKED_AT_PARTNER';

export interface ReconciliationFix {
  entitlementId: string;
  ours: string;
  theirs: PartnerRightStatus;
  action: ReconciliationAction;
}

export interface ReconciliationReport {
  partnerId: string;
  checked: number;
  fixed: ReconciliationFix[];
  /** Rights whose partner status could not be read (the partner was down, say). */
  unreadable: number;
}

interface Candidate {
  id: string;
  status: string;
}

/**
 * Compares a partner's view of the current rights of its benefits with ours and repairs
 * drift. We are the system of record: a right we grant that the partner lacks is
 * provisioned again, one we revoked is revoked there again; a missed acknowledgement or
 * rejection is applied here. Rights with a delivery still in flight are left alone.
 * Every fix goes through the outbox or one guarded UPDATE, so running twice is harmless.
 */
export async function reconcilePartner(
  orm: MikroORM,
  partnerId: string,
  partner: PartnerProvisioning,
  options: { now?: Date; concurrency?: number; limit?: number } = {},
): Promise<ReconciliationReport> {
  const now = options.now ?? new Date();
  const em = orm.em.fork();
  const candidates = await em.execute<Candidate[]>(
    `select e.id, e.status from entitlement e join benefit b on b.id = e.benefit_id
     where b.partner_id = ? and e.period_start <= ? and e.period_end > ?
       and e.status in ('PENDING_PROVISION', 'ACTIVE', 'REVOKED')
       and not exists (select 1 from outbox_event o where o.entitlement_id = e.id and o.delivered_at is null and o.dead_at is null)
     order by e.created_at
     limit ?`,
    [partnerId, now, now, options.limit ?? 10_000],
  );
  const report: ReconciliationReport = { partnerId, checked: 0, fixed: [], unreadable: 0 };
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const candidate = candidates[next++]!;
      let theirs: PartnerRightStatus;
      try {
        theirs = (await partner.status(candidate.id)).status;
      } catch {
        report.unreadable++;
        continue;
      }
      report.checked++;
      const action = decide(candidate.status, theirs);
      if (action && (await apply(orm, partnerId, candidate, action))) {
        report.fixed.push({ entitlementId: candidate.id, ours: candidate.status, theirs, action });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, candidates.length) }, worker));
  return report;
}

function decide(ours: string, theirs: PartnerRightStatus): ReconciliationAction | null {
  switch (ours) {
    case 'PENDING_PROVISION':
      if (theirs === 'ACTIVE') return 'MARKED_ACTIVE';
      if (theirs === 'REVOKED') return 'MARKED_REVOKED';
      if (theirs === 'UNKNOWN') return 'REPROVISIONED';
      return null;
    case 'ACTIVE':
      return theirs === 'UNKNOWN' || theirs === 'REVOKED' ? 'REPROVISIONED' : null;
    case 'REVOKED':
      return theirs === 'ACTIVE' || theirs === 'PENDING' ? 'REVOKED_AT_PARTNER' : null;
    default:
      return null;
  }
}

async function apply(orm: MikroORM, partnerId: string, candidate: Candidate, action: ReconciliationAction): Promise<boolean> {
  const em = orm.em.fork();
  switch (action) {
    case 'MARKED_ACTIVE':
    case 'MARKED_REVOKED': {
      const rows = await em.execute<{ id: string }[]>(
        `update entitlement set status = ? where id = ? and status = 'PENDING_PROVISION' returning id`,
        [action === 'MARKED_ACTIVE' ? 'ACTIVE' : 'REVOKED', candidate.id],
      );
      return rows.length > 0;
    }
    case 'REPROVISIONED':
    case 'REVOKED_AT_PARTNER':
      await em.execute(
        `insert into outbox_event (id, partner_id, type, entitlement_id) values (gen_random_uuid(), ?, ?, ?)`,
        [partnerId, action === 'REPROVISIONED' ? 'right.activate' : 'right.revoke', candidate.id],
      );
      return true;
  }
}
