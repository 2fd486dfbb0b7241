/** Seconds in the 30 days an ACCESS benefit's member value is stated for. */
export const ACCESS_VALUE_SECONDS = 30 * 86_400;

/**
 * The "total saved" valuation as one set-based statement: the member-facing value
 * (`benefit.member_value_*`) each membership right gave within a window, from what happened —
 * QUOTA uses redeemed and not voided, VOUCHER codes claimed, days of ACCESS the member held
 * (from its period's start, or its acknowledgement, to its end, its revocation or the window's
 * end), CONVERSION units credited (acknowledged by the partner) when the period started. Benefits
 * without a member value, or valued in another currency than the window's, count nothing.
 *
 * `windows` is a SQL relation with the columns `key` (text, what the rows are grouped by),
 * `member_id`, `membership_id` (null: every membership of the member), `from_at` (null: since
 * the start), `to_at`, `to_inclusive` (whether what happened at `to_at` itself counts) and
 * `currency`. The statement yields one row per window and right that gave something:
 * `key`, `entitlement_id`, `benefit_id`, `value` (minor units). The member's savings sum it over
 * one window; the program's figures over every paid period, so both value a right the same way.
 */
export function rightValuesSql(windows: string): string {
  // Within the right's window (the rights CTE carries it): from its start, to its end.
  const within = (column: string) => `(x.from_at is null or ${column} >= x.from_at) and (${column} < x.to_at or (x.to_inclusive and ${column} = x.to_at))`;
  return `with w as (${windows}),
     rights as (
       select w.key, w.from_at, w.to_at, w.to_inclusive, e.id, e.benefit_id, e.period_start, e.period_end, e.quota, e.activated_at, e.revoked_at,
              b.kind, b.member_value_amount as value
       from w join entitlement e on e.member_id = w.member_id and (w.membership_id is null or e.membership_id = w.membership_id)
       join benefit b on b.id = e.benefit_id
       where e.source = 'MEMBERSHIP' and b.member_value_amount is not null and b.member_value_currency = w.currency
         -- Only rights whose period meets the window: a right is used, claimed and held within its period.
         and (w.from_at is null or e.period_end > w.from_at) and e.period_start <= w.to_at
     )
     select x.key, x.id as entitlement_id, x.benefit_id, sum(r.units * x.value) as value
       from redemption r join rights x on x.id = r.entitlement_id
      where x.kind = 'QUOTA' and ${within('r.created_at')}
        and not exists (select 1 from redemption_void rv where rv.redemption_id = r.id)
      group by x.key, x.id, x.benefit_id
     union all
     select x.key, x.id, x.benefit_id, count(*) * x.value
       from voucher_code c join rights x on x.id = c.entitlement_id
      where x.kind = 'VOUCHER' and ${within('c.claimed_at')}
      group by x.key, x.id, x.benefit_id, x.value
     union all
     select x.key, x.id, x.benefit_id, floor(x.value * greatest(0, extract(epoch from (
              least(x.period_end, coalesce(x.revoked_at, 'infinity'::timestamptz), x.to_at)
              - greatest(x.period_start, coalesce(x.from_at, x.period_start))))) / ${ACCESS_VALUE_SECONDS})
       from rights x where x.kind = 'ACCESS' and x.activated_at is not null
     union all
     select x.key, x.id, x.benefit_id, coalesce(x.quota, 0) * x.value
       from rights x
      where x.kind = 'CONVERSION' and x.activated_at is not null and ${within('x.period_start')}`;
}
