import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditContext } from '../audit/index.js';
import { Entitlement, EntitlementStatus } from '../entitlement/index.js';
import { Member } from '../member/index.js';
import { Membership } from '../membership/index.js';
import type { MemberClock, MemberClocks } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { auditedQuery, MAX_LOOKUP_QUERY_LENGTH, MAX_LOOKUP_RESULTS, MEMBER_LOOKUP_KEYS, memberLookupStatement, MemberLookupKey } from './member-lookup.js';

/** Options of {@link SupportService}. */
export interface SupportServiceOptions {
  /** Members' test clocks (absent in production: everyone is on real time). */
  memberClocks?: MemberClocks;
  now?: () => Date;
}

/** A member as a lookup or a profile found them, before their fields are asked for. */
export interface SupportMemberView {
  id: string;
  createdAt: Date;
  erasedAt: Date | null;
  /** What the query matched them by; `[MEMBER_ID]` for a profile. */
  matchedBy: MemberLookupKey[];
}

/** How many of a member's rights are in each status (every period, not just the current one). */
export interface EntitlementCounts {
  total: number;
  pendingProvision: number;
  active: number;
  suspended: number;
  revoked: number;
  expired: number;
}

/**
 * Support's view of members: find one by what a member or a partner can tell (an id, a sign-in
 * subject), then read what the member sees and what support acts on. Reading a member's data is
 * a privacy-relevant act: every lookup and profile is audited (`member.lookup` with the query,
 * `member.profile` with the member), in the transaction that reads.
 */
export class SupportService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: SupportServiceOptions = {},
  ) {}

  /**
   * Members matching `query` by any {@link MemberLookupKey}, newest first, at most `first`.
   * Something that matches nothing is an empty list, whatever it looks like.
   *
   * @throws AppError `BAD_USER_INPUT`: an empty or overlong query, one with a NUL character, `first` outside 1–50.
   */
  async lookup(query: string, first: number, audit: AuditContext): Promise<SupportMemberView[]> {
    const q = query.trim();
    new InputValidator()
      .check(q.length > 0, 'query', 'must not be empty: a member, membership or entitlement id, or a sign-in subject')
      .check(q.length <= MAX_LOOKUP_QUERY_LENGTH, 'query', `must be at most ${MAX_LOOKUP_QUERY_LENGTH} characters`)
      // PostgreSQL text cannot hold NUL: refused here, not an internal error there.
      .check(!q.includes('\u0000'), 'query', 'must not contain NUL characters')
      .check(Number.isInteger(first) && first >= 1 && first <= MAX_LOOKUP_RESULTS, 'first', `must be between 1 and ${MAX_LOOKUP_RESULTS}`)
      .throwIfInvalid();
    const { sql, params } = memberLookupStatement(q, first);
    const recorded = auditedQuery(q);
    return this.em.transactional(async (tx) => {
      const rows = await tx.execute<Array<{ id: string; created_at: Date; erased_at: Date | null; keys: string[] }>>(sql, params);
      await AuditLog.append(tx, audit, {
        action: 'member.lookup',
        subject: recorded.query ?? `sha256:${recorded.querySha256}`,
        before: null,
        // The query and how many it matched, never who: the results are the member data itself.
        after: { ...recorded, first, matches: rows.length },
      });
      return rows.map((row) => ({
        id: row.id,
        createdAt: new Date(row.created_at),
        erasedAt: row.erased_at ? new Date(row.erased_at) : null,
        matchedBy: MEMBER_LOOKUP_KEYS.filter((key) => row.keys.includes(key)),
      }));
    });
  }

  /**
   * One member, by id, erased or not; audited as `member.profile`.
   *
   * @throws AppError `NOT_FOUND` for an unknown member (an id that is no uuid included).
   */
  async profile(memberId: string, audit: AuditContext): Promise<SupportMemberView> {
    if (!isUuid(memberId)) throw AppError.notFound('Member', memberId);
    const id = memberId.toLowerCase();
    return this.em.transactional(async (tx) => {
      const member = await tx.findOne(Member, { id });
      if (!member) throw AppError.notFound('Member', memberId);
      await AuditLog.append(tx, audit, { action: 'member.profile', subject: id, before: null, after: null });
      return { id, createdAt: member.createdAt, erasedAt: member.erasedAt ?? null, matchedBy: [MemberLookupKey.MEMBER_ID] };
    });
  }

  /** The member's test clock; null on real time. */
  clockOf(memberId: string): Promise<MemberClock | null> {
    return this.options.memberClocks?.of(this.em, memberId) ?? Promise.resolve(null);
  }

  /** The member's "now": their test clock's time, or the process clock. */
  async nowOf(memberId: string): Promise<Date> {
    return (await this.clockOf(memberId))?.now ?? this.options.now?.() ?? new Date();
  }

  /** Every membership of the member, newest first, ended ones included. */
  memberships(memberId: string): Promise<Membership[]> {
    return this.em.find(Membership, { member: memberId }, { orderBy: { createdAt: 'desc', id: 'asc' } });
  }

  /** The member's rights of every period and status, latest period end first, at most `first`. */
  entitlements(memberId: string, first: number): Promise<Entitlement[]> {
    new InputValidator().check(Number.isInteger(first) && first >= 1 && first <= 500, 'first', 'must be between 1 and 500').throwIfInvalid();
    return this.em.find(Entitlement, { member: memberId }, { orderBy: { periodEnd: 'desc', createdAt: 'desc', id: 'asc' }, limit: first });
  }

  /** How many of the member's rights are in each status, over every period. */
  async entitlementCounts(memberId: string): Promise<EntitlementCounts> {
    const rows = await this.em.execute<Array<{ status: string; n: number }>>(
      `select status, count(*)::int as n from entitlement where member_id = ? group by status`,
      [memberId],
    );
    const of = (status: EntitlementStatus) => rows.find((r) => r.status === status)?.n ?? 0;
    return {
      total: rows.reduce((sum, r) => sum + r.n, 0),
      pendingProvision: of(EntitlementStatus.PENDING_PROVISION),
      active: of(EntitlementStatus.ACTIVE),
      suspended: of(EntitlementStatus.SUSPENDED),
      revoked: of(EntitlementStatus.REVOKED),
      expired: of(EntitlementStatus.EXPIRED),
    };
  }
}
