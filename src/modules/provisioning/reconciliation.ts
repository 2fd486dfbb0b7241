import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, SYSTEM_AUDIT, type AuditContext } from '../audit/index.js';
import type { PartnerProvisioning, PartnerRightStatus } from '../../../partners/sdk/index.js';
import { acknowledgeProvisioning, EntitlementStatus } from '../entitlement/index.js';
import { Outbox } from '../outbox/index.js';

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
 * Every fix goes through the outbox or one guarded UPDATE, so running twice is harmless;
 * each is audited (`reconciliation.fix`) in its own transaction, and the run as a whole
 * (`reconciliation.run`, with its counts) once it is over, when someone asked for it or it
 * found something (the scheduled run every 5 minutes otherwise leaves no row).
 */
export async function reconcilePartner(
  fork: () => EntityManager,
  partnerId: string,
  partner: PartnerProvisioning,
  options: { now?: Date; concurrency?: number; limit?: number; audit?: AuditContext } = {},
): Promise<ReconciliationReport> {
  const now = options.now ?? new Date();
  const audit = options.audit ?? SYSTEM_AUDIT;
  const em = fork();
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
      if (!action) continue;
      const fix: ReconciliationFix = { entitlementId: candidate.id, ours: candidate.status, theirs, action };
      const applied = await fork().transactional(async (tx) => {
        if (!(await apply(tx, partnerId, candidate, action))) return false;
        await AuditLog.append(tx, audit, {
          action: 'reconciliation.fix',
          subject: candidate.id,
          before: { entitlement: { id: candidate.id, status: candidate.status }, partnerStatus: theirs },
          after: { partnerId, action },
        });
        return true;
      });
      if (applied) report.fixed.push(fix);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, candidates.length) }, worker));
  // A run someone asked for is recorded; the scheduled one only when it found something.
  if (audit.actor !== SYSTEM_AUDIT.actor || report.fixed.length > 0 || report.unreadable > 0) {
    await fork().transactional((tx) =>
      AuditLog.append(tx, audit, {
        action: 'reconciliation.run',
        subject: partnerId,
        after: { checked: report.checked, fixed: report.fixed.length, unreadable: report.unreadable },
      }),
    );
  }
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

async function apply(em: EntityManager, partnerId: string, candidate: Candidate, action: ReconciliationAction): Promise<boolean> {
  switch (action) {
    case 'MARKED_ACTIVE':
    case 'MARKED_REVOKED':
      return acknowledgeProvisioning(em, candidate.id, action === 'MARKED_ACTIVE' ? EntitlementStatus.ACTIVE : EntitlementStatus.REVOKED);
    case 'REPROVISIONED':
    case 'REVOKED_AT_PARTNER':
      await Outbox.queue(em, { partnerId, type: action === 'REPROVISIONED' ? 'right.activate' : 'right.revoke', entitlementId: candidate.id });
      return true;
  }
}
