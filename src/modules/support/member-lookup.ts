import { createHash } from 'node:crypto';
import { isUuid } from '../../platform/loader.js';
import { ERASED_ISSUER } from '../member/index.js';

/** What a lookup query matched a member by. */
export const MemberLookupKey = {
  /** The member id. */
  MEMBER_ID: 'MEMBER_ID',
  /** The id of one of the member's memberships. */
  MEMBERSHIP_ID: 'MEMBERSHIP_ID',
  /** The id of one of the member's entitlements (a token's `ent` claim). */
  ENTITLEMENT_ID: 'ENTITLEMENT_ID',
  /** The identity provider's subject (`sub`) the member signs in with, under any issuer. */
  SUBJECT: 'SUBJECT',
} as const;
export type MemberLookupKey = (typeof MemberLookupKey)[keyof typeof MemberLookupKey];

/** Keys in the order a match lists them. */
export const MEMBER_LOOKUP_KEYS: readonly MemberLookupKey[] = Object.values(MemberLookupKey);

/** Most members one lookup answers. */
export const MAX_LOOKUP_RESULTS = 50;
/** Longest query accepted (a subject is rarely over 255 characters). */
export const MAX_LOOKUP_QUERY_LENGTH = 512;

/**
 * The one statement of a lookup: every key the query can be, each answered through an index
 * (primary keys of member, membership and entitlement; `member_subject_index`), one row per
 * member found, newest member first. An id that is no uuid searches the subject alone, so the
 * uuid columns never see it. Exported for the test that EXPLAINs it.
 */
export function memberLookupStatement(query: string, first: number): { sql: string; params: unknown[] } {
  const branches: string[] = [];
  const params: unknown[] = [];
  if (isUuid(query)) {
    const id = query.toLowerCase();
    branches.push(
      `select id as member_id, '${MemberLookupKey.MEMBER_ID}' as key from member where id = ?`,
      `select member_id, '${MemberLookupKey.MEMBERSHIP_ID}' as key from membership where id = ?`,
      `select member_id, '${MemberLookupKey.ENTITLEMENT_ID}' as key from entitlement where id = ?`,
    );
    params.push(id, id, id);
  }
  // An erased member's subject is their own id: that is no sign-in, it is found as MEMBER_ID.
  branches.push(`select id as member_id, '${MemberLookupKey.SUBJECT}' as key from member where subject = ? and issuer <> ?`);
  params.push(query, ERASED_ISSUER);
  const sql = `select m.id, m.created_at, m.erased_at, array_agg(distinct h.key) as keys
    from (${branches.join(' union all ')}) h join member m on m.id = h.member_id
    group by m.id, m.created_at, m.erased_at
    order by m.created_at desc, m.id
    limit ?`;
  return { sql, params: [...params, first] };
}

/**
 * How the audit log records a lookup's query: an id as given (ids are what the log already
 * holds), anything else as its SHA-256 only: a sign-in subject is personal data, and the log
 * keeps what it holds for good (erasure cannot reach it). An auditor holding a candidate subject
 * can still tell whether it was looked up.
 */
export function auditedQuery(query: string): { query: string | null; querySha256: string | null } {
  return isUuid(query)
    ? { query: query.toLowerCase(), querySha256: null }
    : { query: null, querySha256: createHash('sha256').update(query, 'utf8').digest('hex') };
}
