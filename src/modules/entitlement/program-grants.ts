import type { EntityManager } from '@mikro-orm/postgresql';
import type { DueWork } from '../../platform/module.js';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';
import { EntitlementSource } from './entitlement.entity.js';

/** A right the loyalty program grants outside any paid membership: a reward, a tier's benefit, a campaign's gift. */
export interface ProgramGrant {
  memberId: string;
  benefitId: string;
  /** Uses granted; null: unlimited (ACCESS). */
  quota: number | null;
  periodStart: Date;
  periodEnd: Date;
  source: Exclude<EntitlementSource, EntitlementSource.MEMBERSHIP>;
  /** What granted it: the reward redemption's id, the tier's code, the campaign's code. */
  sourceRef: string;
  /** The member's test clock (the grant's expiry runs on it); null on real time. */
  clockId: string | null;
}

export interface GrantedRight {
  id: string;
  memberId: string;
  benefitId: string;
  sourceRef: string;
  periodStart: Date;
}

/**
 * Grants program rights in one statement, each with the outbox event that provisions it at its
 * partner: like a membership's, a right held on the partner's side (ACCESS, CONVERSION at a
 * partner with a provisioning adapter) waits in PENDING_PROVISION for its acknowledgement, the
 * rest are ACTIVE from their period's start. Granting the same (member, benefit, source,
 * source ref, period start) again grants nothing. Returns the rights created.
 */
export async function grantRights(
  em: EntityManager,
  grants: readonly ProgramGrant[],
  options: { provisionedPartners: readonly string[] },
): Promise<GrantedRight[]> {
  if (grants.length === 0) return [];
  const announce = Outbox.queueForRightsCte('usable', 'right.activate', options.provisionedPartners);
  const column = <T>(pick: (g: ProgramGrant) => T) => grants.map(pick);
  const rows = await em.execute<{ id: string; member_id: string; benefit_id: string; source_ref: string; period_start: Date }[]>(
    `with wanted as (
       select * from unnest(?::uuid[], ?::uuid[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::entitlement_source[], ?::text[], ?::uuid[])
         as g(member_id, benefit_id, quota, period_start, period_end, source, source_ref, clock_id)
     ), inserted as (
       insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota, activated_at, source, source_ref, test_clock_id)
       select gen_random_uuid(), g.member_id, null, g.benefit_id, s.status, g.period_start, g.period_end, g.quota,
              case when s.status = 'ACTIVE' then g.period_start end, g.source, g.source_ref, g.clock_id
       from wanted g join benefit b on b.id = g.benefit_id
       cross join lateral (select (case when b.kind in ('ACCESS', 'CONVERSION') and b.partner_id = any(?::text[])
                                        then 'PENDING_PROVISION' else 'ACTIVE' end)::entitlement_status as status) s
       on conflict (member_id, benefit_id, source, source_ref, period_start) where membership_id is null do nothing
       returning id, member_id, benefit_id, source_ref, period_start, status
     ), usable as (select id, benefit_id from inserted),
     announced as (${announce.sql})
     select id, member_id, benefit_id, source_ref, period_start from inserted order by member_id, benefit_id`,
    [
      pgTextArray(column((g) => g.memberId)),
      pgTextArray(column((g) => g.benefitId)),
      `{${column((g) => (g.quota === null ? 'NULL' : String(g.quota))).join(',')}}`,
      pgTextArray(column((g) => g.periodStart.toISOString())),
      pgTextArray(column((g) => g.periodEnd.toISOString())),
      pgTextArray(column((g) => g.source)),
      pgTextArray(column((g) => g.sourceRef)),
      `{${column((g) => (g.clockId ? `"${g.clockId}"` : 'NULL')).join(',')}}`,
      pgTextArray(options.provisionedPartners),
      ...announce.params,
    ],
  );
  return rows.map((r) => ({ id: r.id, memberId: r.member_id, benefitId: r.benefit_id, sourceRef: r.source_ref, periodStart: new Date(r.period_start) }));
}

/** The live program rights of a member that one source granted (a tier's, a campaign's), for taking them back. */
export async function liveGrants(
  em: EntityManager,
  memberId: string,
  source: ProgramGrant['source'],
  now: Date,
  sourceRefs?: readonly string[],
): Promise<Array<{ id: string; benefitId: string; sourceRef: string; periodStart: Date }>> {
  const rows = await em.execute<{ id: string; benefit_id: string; source_ref: string; period_start: Date }[]>(
    `select id, benefit_id, source_ref, period_start from entitlement
      where member_id = ? and membership_id is null and source = ? and period_end > ?
        and status in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED')
        and (?::text[] is null or source_ref = any(?::text[]))`,
    [memberId, source, now, sourceRefs ? pgTextArray(sourceRefs) : null, sourceRefs ? pgTextArray(sourceRefs) : null],
  );
  return rows.map((r) => ({ id: r.id, benefitId: r.benefit_id, sourceRef: r.source_ref, periodStart: new Date(r.period_start) }));
}

/** The rows of one clock (an equality the partial index serves; null: real time). */
const onClock = (clockId: string | null): string => (clockId ? 'test_clock_id = ?' : 'test_clock_id is null');

/**
 * The end of the program's grants (a reward voucher unused by its deadline, a tier month over):
 * live grants whose period ended become EXPIRED, found through a partial index on their end, per
 * clock, in batches claimed `FOR UPDATE SKIP LOCKED` (safe with several workers). Their live
 * tokens flip in the status list by the entitlement's trigger. Partners were told the period
 * when the right was provisioned, so nothing is announced.
 */
export const programGrantExpiryDueWork: DueWork = {
  name: 'program-grant-expiry',

  async nextDue(em, clockId) {
    const [row] = await em.execute<{ due: Date | null }[]>(
      `select min(period_end) as due from entitlement
        where ${onClock(clockId)} and membership_id is null and status in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED')`,
      clockId ? [clockId] : [],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue({ em, now, clockId, limit }) {
    const [row] = await em.execute<{ count: number }[]>(
      `with due as (
         select id from entitlement
          where ${onClock(clockId)} and membership_id is null
            and status in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED') and period_end <= ?
          order by period_end limit ? for update skip locked),
       expired as (update entitlement e set status = 'EXPIRED' from due where e.id = due.id returning e.id)
       select count(*)::int as count from expired`,
      [...(clockId ? [clockId] : []), now, limit],
    );
    return row?.count ?? 0;
  },
};
