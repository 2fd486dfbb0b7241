import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { Outbox } from '../outbox/index.js';

export interface MaterializeOptions {
  now: Date;
  timeZone: string;
  /** Partners with a provisioning adapter: their rights get an outbox event. */
  provisionedPartners: readonly string[];
  /** Only this membership (at activation); every active membership when absent (the sweep). */
  membershipId?: string;
}

/**
 * Creates the entitlements of the current period for every benefit of the bundle version
 * each active membership pinned — a membership-term benefit spans the paid term, a
 * calendar-month one the month in the program time zone, clipped to the term — and, in the
 * same statement, the outbox events that provision them at their partners. Rights held on
 * the partner's side (ACCESS, CONVERSION) wait in PENDING_PROVISION for its acknowledgement.
 * Idempotent: an existing period is left alone. Returns the number of entitlements created.
 */
export async function materializeCurrentPeriods(em: EntityManager, options: MaterializeOptions): Promise<number> {
  const { now, timeZone, provisionedPartners } = options;
  const announce = Outbox.queueForRightsCte('inserted', 'right.activate', provisionedPartners);
  const [row] = await em.execute<{ count: number }[]>(
    `with month as (
       select (date_trunc('month', ?::timestamptz at time zone ?) at time zone ?) as start,
              ((date_trunc('month', ?::timestamptz at time zone ?) + interval '1 month') at time zone ?) as "end"
     ), inserted as (
       insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota)
       select gen_random_uuid(), m.member_id, m.id, bb.benefit_id,
              (case when b.kind in ('ACCESS', 'CONVERSION') and b.partner_id = any(?::text[])
                    then 'PENDING_PROVISION' else 'ACTIVE' end)::entitlement_status,
              case bb.period when 'MEMBERSHIP_TERM' then m.current_period_start
                             else greatest(m.current_period_start, month.start) end,
              case bb.period when 'MEMBERSHIP_TERM' then m.current_period_end
                             else least(m.current_period_end, month."end") end,
              bb.quota
       from membership m
       join bundle_benefit bb on bb.bundle_version_id = m.bundle_version_id
       join benefit b on b.id = bb.benefit_id
       cross join month
       where m.status = 'ACTIVE' and m.current_period_start <= ? and m.current_period_end > ?
         and (?::uuid is null or m.id = ?::uuid)
       on conflict (membership_id, benefit_id, period_start) do nothing
       returning id, benefit_id
     ), announced as (${announce.sql})
     select count(*)::int as count from inserted`,
    [
      now, timeZone, timeZone, now, timeZone, timeZone,
      pgTextArray(provisionedPartners),
      now, now,
      options.membershipId ?? null, options.membershipId ?? null,
      ...announce.params,
    ],
  );
  return row?.count ?? 0;
}
