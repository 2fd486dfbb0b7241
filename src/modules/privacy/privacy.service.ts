import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, auditReason, type AuditContext } from '../audit/index.js';
import { revokeRights } from '../entitlement/index.js';
import { ERASED_ISSUER, MemberDirectory } from '../member/index.js';
import { LIVE_MEMBERSHIP_STATUSES } from '../membership/index.js';
import { forgetRewardKeys } from '../reward/index.js';
import { pgTextArray } from '../../platform/sql.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import type { MemberPseudonymizer } from '../keys/index.js';
import { buildDataExport, type DataExportView } from './data-export.js';

/** What a member must type to delete their account. */
export const DELETE_CONFIRMATION = 'DELETE';
/** The reason recorded when members delete their own account. */
export const SELF_SERVICE_REASON = 'deleted by the member';

const LIVE_MEMBERSHIPS = [...LIVE_MEMBERSHIP_STATUSES];

export interface PrivacyServiceOptions {
  pseudonyms: MemberPseudonymizer;
  /** Partners with a provisioning adapter: they are told to revoke the erased member's rights. */
  provisionedPartners: readonly string[];
  now?: () => Date;
}

/** The outcome of an erasure (also what a repeat answers, with `alreadyErased`). */
export interface ErasureView {
  memberId: string;
  erasedAt: Date;
  /** True when the member had been erased before this request: nothing changed. */
  alreadyErased: boolean;
  /** Live memberships (pending payment or active) ended now. */
  membershipsEnded: number;
  /** Live rights revoked now. */
  rightsRevoked: number;
  /** `right.revoke` events queued for partners. */
  revocationsQueued: number;
  /** Partner acknowledgements whose partner-side reference was removed. */
  partnerReferencesRemoved: number;
}

/**
 * A member's data rights (PIPL / GDPR): an export of everything held about them, and
 * erasure. Erasure keeps every row that ledgers, settlements and the audit chain rest on,
 * but cuts the link to the person: the identity-provider (`iss`, `sub`) is replaced, the
 * rest stays under the member id, which nothing links to anyone any more.
 */
export class PrivacyService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: PrivacyServiceOptions,
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Everything held about the member, as one JSON document read from one snapshot; each
   * export is recorded as `member.data_export` (who asked, the document's SHA-256).
   * NOT_FOUND for an unknown member.
   */
  async exportData(memberId: string, audit: AuditContext): Promise<DataExportView> {
    memberId = memberId.toLowerCase();
    const generatedAt = this.now();
    const exported = isUuid(memberId)
      ? await this.em.transactional(
          (tx) => buildDataExport(tx, memberId, { pseudonyms: this.options.pseudonyms, generatedAt }),
          { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
        )
      : null;
    if (!exported) throw AppError.notFound('Member', memberId);
    // Its own transaction: an append must see the latest chain, which a snapshot would not.
    await this.em.transactional(async (tx) => {
      await AuditLog.append(tx, audit, {
        action: 'member.data_export',
        subject: memberId,
        before: null,
        after: { schemaVersion: exported.schemaVersion, sha256: exported.sha256, byteLength: exported.byteLength, counts: exported.counts },
      });
    });
    return exported;
  }

  /** The member deletes their own account: `confirm` must be exactly "DELETE". */
  async deleteOwnAccount(memberId: string, confirm: string, audit: AuditContext): Promise<ErasureView> {
    new InputValidator().check(confirm === DELETE_CONFIRMATION, 'confirm', `must be exactly "${DELETE_CONFIRMATION}" to delete the account`).throwIfInvalid();
    return this.erase(memberId, SELF_SERVICE_REASON, audit);
  }

  /**
   * Erases a member, in one transaction with its `member.erase` audit row: live rights are
   * revoked (partners are told through the outbox), live memberships end now without a
   * refund, the identity-provider link and the idempotency keys the member's app chose are
   * replaced, partner references about their rights are removed; redemptions, payments,
   * vouchers, tokens and the audit log stay, under the member id. Idempotent: a repeat,
   * concurrent or later, changes nothing and answers `alreadyErased`.
   *
   * @throws AppError `NOT_FOUND` (unknown member), `BAD_USER_INPUT` (empty or overlong
   *   reason, or one naming the member's sign-in subject).
   */
  async erase(memberId: string, reason: string, audit: AuditContext): Promise<ErasureView> {
    const why = auditReason(reason);
    if (!isUuid(memberId)) throw AppError.notFound('Member', memberId);
    // As stored: an id given in upper case names the same member, and caches key on this form.
    memberId = memberId.toLowerCase();
    const now = this.now();
    const result = await this.em.transactional(async (tx) => {
      // The lock serializes erasures of one member, and new memberships for it wait on it.
      const [member] = await tx.execute<{ id: string; subject: string; erased_at: Date | null }[]>(
        `select id, subject, erased_at from member where id = ? for update`,
        [memberId],
      );
      if (!member) throw AppError.notFound('Member', memberId);
      if (member.erased_at) return this.alreadyErased(memberId, new Date(member.erased_at));
      // The reason lands in the audit log, which is never edited: it must not identify the person.
      new InputValidator()
        .check(member.subject.length < 4 || !why.includes(member.subject), 'reason', "must not contain the member's sign-in subject; give a ticket reference")
        .throwIfInvalid();

      const ended = await tx.execute<{ id: string }[]>(
        `update membership set status = 'CANCELED', canceled_at = ?, ended_at = ?, next_due_at = null, auto_renew = false,
           current_period_end = case when current_period_end is not null then least(current_period_end, ?) end
         where member_id = ? and status = any(?::membership_status[])
         returning id`,
        [now, now, now, memberId, pgTextArray(LIVE_MEMBERSHIPS)],
      );
      // Keys the member's app chose may carry anything: replaced, still unique per member.
      await tx.execute(`update membership set idempotency_key = 'erased:' || id where member_id = ?`, [memberId]);
      await forgetRewardKeys(tx, memberId);
      const entitlementIds = (await tx.execute<{ id: string }[]>(`select id from entitlement where member_id = ?`, [memberId])).map((r) => r.id);
      const revoked = entitlementIds.length
        ? await revokeRights(tx, { entitlementIds }, { now, provisionedPartners: this.options.provisionedPartners })
        : [];
      // A partner's reference (a miles booking, say) would tie these rights to an account at the partner.
      const references = entitlementIds.length
        ? await tx.execute<{ id: string }[]>(
            `update inbound_partner_event set body = body - 'reference'
             where (body ->> 'entitlementId') = any(?::text[]) and body ->> 'reference' is not null
             returning id`,
            [pgTextArray(entitlementIds)],
          )
        : [];
      await tx.execute(`update member set issuer = ?, subject = id::text, erased_at = ? where id = ?`, [ERASED_ISSUER, now, memberId]);

      const view: ErasureView = {
        memberId,
        erasedAt: now,
        alreadyErased: false,
        membershipsEnded: ended.length,
        rightsRevoked: revoked.length,
        revocationsQueued: revoked.filter((r) => this.options.provisionedPartners.includes(r.partnerId)).length,
        partnerReferencesRemoved: references.length,
      };
      // Ids, counts and the reason only: the audit log must never hold personal data.
      await AuditLog.append(tx, audit, {
        action: 'member.erase',
        subject: memberId,
        before: { erasedAt: null },
        after: {
          erasedAt: now,
          reason: why,
          membershipsEnded: view.membershipsEnded,
          rightsRevoked: view.rightsRevoked,
          revocationsQueued: view.revocationsQueued,
          partnerReferencesRemoved: view.partnerReferencesRemoved,
        },
      });
      return view;
    });
    // This process stops mapping the person's sign-in to the erased member at once.
    MemberDirectory.forget(memberId);
    return result;
  }

  private alreadyErased(memberId: string, erasedAt: Date): ErasureView {
    return { memberId, erasedAt, alreadyErased: true, membershipsEnded: 0, rightsRevoked: 0, revocationsQueued: 0, partnerReferencesRemoved: 0 };
  }
}
