import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { EntitlementSource, grantRights, materializeCurrentPeriods, revokeRights, type ProgramGrant } from '../entitlement/index.js';
import { monthKey, monthStart, shiftMonthKey, type LoyaltyProgramSnapshot } from '../loyalty-program/index.js';

/** A member and the tier they hold, as the tier book has them under the member's lock. */
export interface TierHolder {
  memberId: string;
  tierCode: string;
  clockId: string | null;
}

export interface TierRightsOptions {
  timeZone: string;
  /** Partners with a provisioning adapter (their ACCESS and CONVERSION rights wait for them). */
  provisionedPartners: readonly string[];
}

const LIVE = new Set(['PENDING_PROVISION', 'ACTIVE', 'SUSPENDED']);

/**
 * Makes the rights tiers unlock match the tiers these members hold at `at`, in the caller's
 * transaction (under the members' loyalty locks): a benefit of the member's tier or one below it
 * is granted for the calendar month of `at` (source TIER, sourceRef the tier that unlocks it);
 * one the tier no longer unlocks is revoked now. Regained in the same month (a downgrade, then an
 * upgrade), a benefit comes back with the uses left of that month's earlier grants, never a
 * fresh quota: buying, refunding and buying again cannot farm a tier's car wash. Each member's
 * rights next roll at the start of the next month (`rights_due_at`) while their tier unlocks any.
 * A paid bundle's benefits reserved for a tier follow too: revoked when the tier is lost (and
 * back with the membership's next period when regained, so flapping cannot farm them), granted
 * for the current period when it is reached.
 */
export async function syncTierRights(tx: EntityManager, program: LoyaltyProgramSnapshot, holders: readonly TierHolder[], at: Date, options: TierRightsOptions): Promise<void> {
  if (holders.length === 0) return;
  const month = monthKey(at, options.timeZone);
  const from = monthStart(month, options.timeZone);
  const until = monthStart(shiftMonthKey(month, 1), options.timeZone);
  const memberIds = holders.map((h) => h.memberId);
  const existing = await tx.execute<{ id: string; member_id: string; benefit_id: string; source_ref: string; used: number; status: string; period_start: Date; period_end: Date }[]>(
    `select id, member_id, benefit_id, source_ref, used, status, period_start, period_end from entitlement
      where member_id = any(?::uuid[]) and membership_id is null and source = 'TIER' and period_end > ?`,
    [pgTextArray(memberIds), from],
  );
  const codes = [...new Set(program.tierBenefits.map((b) => b.benefitCode))];
  const benefitIds = new Map(
    codes.length ? (await tx.execute<{ id: string; code: string }[]>(`select id, code from benefit where code = any(?::text[])`, [pgTextArray(codes)])).map((b) => [b.code, b.id]) : [],
  );

  const revoke: string[] = [];
  const grants: ProgramGrant[] = [];
  const dueAt = new Map<string, Date | null>();
  for (const holder of holders) {
    const wanted = program.benefitsOf(holder.tierCode).flatMap((b) => {
      const benefitId = benefitIds.get(b.benefitCode);
      return benefitId ? [{ benefitId, sourceRef: b.tierCode, quota: b.quota }] : [];
    });
    const mine = existing.filter((e) => e.member_id === holder.memberId);
    const live = mine.filter((e) => LIVE.has(e.status) && new Date(e.period_end) > at);
    for (const right of live) if (!wanted.some((w) => w.benefitId === right.benefit_id && w.sourceRef === right.source_ref)) revoke.push(right.id);
    for (const w of wanted) {
      if (live.some((r) => r.benefit_id === w.benefitId && r.source_ref === w.sourceRef)) continue;
      const earlier = mine.filter((e) => e.benefit_id === w.benefitId && e.source_ref === w.sourceRef && new Date(e.period_start) >= from);
      const used = earlier.reduce((sum, e) => sum + e.used, 0);
      const quota = w.quota === null ? null : w.quota - used;
      if (quota !== null && quota <= 0) continue;
      grants.push({
        memberId: holder.memberId,
        benefitId: w.benefitId,
        quota,
        periodStart: earlier.length > 0 ? at : from,
        periodEnd: until,
        source: EntitlementSource.TIER,
        sourceRef: w.sourceRef,
        clockId: holder.clockId,
      });
    }
    dueAt.set(holder.memberId, wanted.length > 0 ? until : null);
  }
  // The tier as held now (the book writes the rest of its state later in the same transaction):
  // what a paid bundle grants by tier is read from it.
  await tx.execute(
    `update member_tier t set tier_code = v.tier_code, rights_due_at = v.due
       from unnest(?::uuid[], ?::text[], ?::timestamptz[]) as v(member_id, tier_code, due)
      where t.member_id = v.member_id`,
    [
      pgTextArray(holders.map((h) => h.memberId)),
      pgTextArray(holders.map((h) => h.tierCode)),
      `{${holders.map((h) => dueAt.get(h.memberId)).map((due) => (due ? `"${due.toISOString()}"` : 'NULL')).join(',')}}`,
    ],
  );
  // A paid bundle's benefits for a tier and above: those the member no longer meets are revoked
  // now (back with the next period when met again), those newly met granted for the current period.
  const tierGated = await tx.execute<{ id: string }[]>(
    `select e.id from entitlement e
       join membership m on m.id = e.membership_id
       join bundle_benefit bb on bb.bundle_version_id = m.bundle_version_id and bb.benefit_id = e.benefit_id
       join loyalty_tier need on need.code = bb.min_tier
       left join member_tier mt on mt.member_id = e.member_id
       left join loyalty_tier have on have.code = mt.tier_code
      where e.member_id = any(?::uuid[]) and e.status in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED') and e.period_end > ?
        and coalesce(have.rank, 0) < need.rank`,
    [pgTextArray(memberIds), at],
  );
  revoke.push(...tierGated.map((r) => r.id));
  if (revoke.length > 0) await revokeRights(tx, { entitlementIds: revoke }, { now: at, provisionedPartners: options.provisionedPartners });
  await grantRights(tx, grants, { provisionedPartners: options.provisionedPartners });
  const memberships = await tx.execute<{ id: string }[]>(
    `select m.id from membership m where m.member_id = any(?::uuid[]) and m.status in ('TRIALING', 'ACTIVE', 'PAST_DUE')
        and exists (select 1 from bundle_benefit bb where bb.bundle_version_id = m.bundle_version_id and bb.min_tier is not null)`,
    [pgTextArray(memberIds)],
  );
  if (memberships.length > 0) {
    await materializeCurrentPeriods(tx, { now: at, timeZone: options.timeZone, provisionedPartners: options.provisionedPartners, membershipIds: memberships.map((m) => m.id) });
  }
}

/**
 * What these tiers unlock changed (a publication): their holders' rights roll at `at` by the
 * tier-rights due work, the benefits added granted and those removed taken back.
 */
export async function tierRightsDueNow(tx: EntityManager, tierCodes: readonly string[], at: Date): Promise<void> {
  if (tierCodes.length === 0) return;
  await tx.execute(`update member_tier set rights_due_at = least(coalesce(rights_due_at, ?::timestamptz), ?::timestamptz) where tier_code = any(?::text[])`, [at, at, pgTextArray(tierCodes)]);
}
