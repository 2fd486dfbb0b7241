import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';

export interface MaterializeOptions {
  /** The instant on the memberships' clock. */
  now: Date;
  timeZone: string;
  /** Partners with a provisioning adapter: their rights get an outbox event. */
  provisionedPartners: readonly string[];
  /** These memberships (all on the same clock as `now`). */
  membershipIds: readonly string[];
}

/**
 * Creates the entitlements of the current period for every benefit of the bundle version
 * each membership pinned — a membership-term benefit spans the paid term (or the trial), a
 * calendar-month one the month in the program time zone, clipped to the term — and, in the
 * same statement, the outbox events that provision them at their partners. A trial grants
 * only the benefits its plan names for trials, and a benefit with eligibility only members who meet
 * it as the period starts: a loyalty tier at least its `min_tier`, membership of one of its
 * `segments` (a member without a tier holds the base one). Rights held on the partner's side (ACCESS,
 * CONVERSION) wait in PENDING_PROVISION for its acknowledgement; a PAST_DUE membership whose
 * plan suspends rights in grace gets its new month SUSPENDED (and announced on resumption).
 * Idempotent: an existing period is left alone. Returns the number of entitlements created.
 */
export async function materializeCurrentPeriods(em: EntityManager, options: MaterializeOptions): Promise<number> {
  const { now, timeZone, provisionedPartners } = options;
  if (options.membershipIds.length === 0) return 0;
  const announce = Outbox.queueForRightsCte('usable', 'right.activate', provisionedPartners);
  const [row] = await em.execute<{ count: number }[]>(
    `with month as (
       select (date_trunc('month', ?::timestamptz at time zone ?) at time zone ?) as start,
              ((date_trunc('month', ?::timestamptz at time zone ?) + interval '1 month') at time zone ?) as "end"
     ), inserted as (
       insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota, activated_at)
       select gen_random_uuid(), m.member_id, m.id, bb.benefit_id, s.status,
              case bb.period when 'MEMBERSHIP_TERM' then m.current_period_start
                             else greatest(m.current_period_start, month.start) end,
              case bb.period when 'MEMBERSHIP_TERM' then m.current_period_end
                             else least(m.current_period_end, month."end") end,
              bb.quota,
              case when s.status = 'ACTIVE' then ?::timestamptz end
       from membership m
       join plan p on p.id = m.plan_id
       join bundle_benefit bb on bb.bundle_version_id = m.bundle_version_id
       join benefit b on b.id = bb.benefit_id
       cross join month
       cross join lateral (select (case
           when m.status = 'PAST_DUE' and p.grace_access = 'SUSPENDED' then 'SUSPENDED'
           when b.kind in ('ACCESS', 'CONVERSION') and b.partner_id = any(?::text[]) then 'PENDING_PROVISION'
           else 'ACTIVE' end)::entitlement_status as status) s
       where m.id = any(?::uuid[])
         and m.status in ('TRIALING', 'ACTIVE', 'PAST_DUE')
         and m.current_period_start <= ? and m.current_period_end > ?
         and (m.status <> 'TRIALING' or p.trial_benefit_codes is null or b.code = any(p.trial_benefit_codes))
         -- Eligibility: a tier at least the benefit's (no tier yet: the base tier), a segment it names.
         and (bb.min_tier is null or coalesce((select t.rank from member_tier mt join loyalty_tier t on t.code = mt.tier_code where mt.member_id = m.member_id), 0)
                                      >= coalesce((select t.rank from loyalty_tier t where t.code = bb.min_tier), 2147483647))
         and (bb.segments is null or exists (select 1 from member_segment s where s.member_id = m.member_id and s.segment_code = any(bb.segments)))
       on conflict (membership_id, benefit_id, period_start, member_id) do nothing
       returning id, benefit_id, status
     ), usable as (select id, benefit_id from inserted where status <> 'SUSPENDED'),
     announced as (${announce.sql})
     select count(*)::int as count from inserted`,
    [
      now, timeZone, timeZone, now, timeZone, timeZone,
      now,
      pgTextArray(provisionedPartners),
      pgTextArray(options.membershipIds),
      now, now,
      ...announce.params,
    ],
  );
  return row?.count ?? 0;
}
