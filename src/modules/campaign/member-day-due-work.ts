import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import { localParts, storable, zonedInstant } from '../../platform/zoned-time.js';
import { BenefitKind } from '../bundle/index.js';
import { EntitlementSource, grantRights } from '../entitlement/index.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import { MomentKind, Moments } from '../moments/index.js';
import type { LocalizedText } from '../../platform/localized.js';
import { pgTextArray } from '../../platform/sql.js';
import { CampaignKind } from './campaign.entity.js';

interface OccurrenceRow {
  code: string;
  kind: CampaignKind;
  offer: LocalizedText;
  starts_at: Date;
  ends_at: Date;
  /** Null: a benefit campaign whose one occurrence is its whole window. */
  monthly_day: number | null;
  min_tier_rank: number;
  segments: string[] | null;
  created_at: Date;
  benefit_id: string | null;
  benefit_code: string | null;
  benefit_kind: BenefitKind | null;
  benefit_name: LocalizedText | null;
  benefit_quota: number | null;
  budget_grants: number | null;
  last: Date | null;
}

/** One occurrence of a campaign: due at `at`, its rights valid over [`start`, `end`). */
interface Occurrence {
  at: Date;
  /** The announcement's key and the rights' period start: the member day's 00:00, or the campaign's start. */
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;
/** Members per statement when granting rights (as many as a statement of moments). */
const GRANT_BATCH = 1_000;

/** The first 00:00 (program time) of `day` of a month at or after `from`. */
export function nextMemberDay(from: Date, day: number, timeZone: string): Date {
  const p = localParts(from, timeZone);
  let candidate = zonedInstant({ year: p.year, month: p.month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  if (candidate < from) candidate = zonedInstant({ year: p.year, month: p.month + 1, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  return storable(candidate);
}

/** The 00:00 (program time) after the day that starts at `dayStart`. */
function nextDayStart(dayStart: Date, timeZone: string): Date {
  const p = localParts(dayStart, timeZone);
  return storable(zonedInstant({ year: p.year, month: p.month, day: p.day + 1, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone));
}

const clockKey = (clockId: string | null) => clockId ?? 'real';

/** Member days, and benefit campaigns without one (their window is their one occurrence). */
async function campaignsWithOccurrences(em: EntityManager, clockId: string | null): Promise<OccurrenceRow[]> {
  return em.execute<OccurrenceRow[]>(
    `select c.code, c.kind, c.offer, c.starts_at, c.ends_at, c.monthly_day, c.min_tier_rank, c.segments, c.created_at,
            c.benefit_id, b.code as benefit_code, b.kind as benefit_kind, b.name as benefit_name, c.benefit_quota, c.budget_grants,
            (select max(a.occurrence) from campaign_announcement a where a.campaign_code = c.code and a.clock_key = ?) as last
       from campaign c left join benefit b on b.id = c.benefit_id
      where c.active and (c.monthly_day is not null or c.kind = 'EXTRA_BENEFIT') order by c.code`,
    [clockKey(clockId)],
  );
}

/**
 * The next occurrence of a campaign not yet run for these members: the member day after the
 * last one announced, else from when the campaign (or, on a test clock, its first member) began;
 * for a benefit campaign without a member day, its window, once, from its start (or from then).
 */
async function nextOccurrence(em: EntityManager, row: OccurrenceRow, clockId: string | null, timeZone: string): Promise<Occurrence | null> {
  const ends = new Date(row.ends_at);
  const starts = new Date(row.starts_at);
  if (row.monthly_day === null && row.last) return null;
  let from: Date;
  if (row.last) from = new Date(new Date(row.last).getTime() + DAY_MS / 2);
  else if (clockId) {
    const [first] = await em.execute<{ joined: Date | null }[]>(`select min(joined_at) as joined from test_clock_member where test_clock_id = ?`, [clockId]);
    if (!first?.joined) return null;
    from = new Date(first.joined);
  } else from = new Date(row.created_at);
  if (row.monthly_day === null) {
    const at = from > starts ? from : starts;
    return at < ends ? { at, start: starts, end: ends } : null;
  }
  const at = nextMemberDay(from > starts ? from : starts, row.monthly_day, timeZone);
  if (at >= ends) return null;
  const dayEnd = nextDayStart(at, timeZone);
  return { at, start: at, end: dayEnd < ends ? dayEnd : ends };
}

/**
 * The members a campaign is for on one clock (null: real time), ordered by member id: their tier
 * at or above its lowest, and in one of its segments when it names any (read through the
 * MemberSegments port). An erased member is for none: they keep a tier row, not the program.
 */
async function targetedMembers(tx: EntityManager, row: OccurrenceRow, clockId: string | null, deps: Pick<AppDependencies, 'memberSegments'>): Promise<string[]> {
  const program = await loadLoyaltyProgram(tx);
  const tiers = program.tiers.filter((t) => t.rank >= row.min_tier_rank).map((t) => t.code);
  const members = await tx.execute<{ member_id: string }[]>(
    clockId
      ? `select t.member_id from member_tier t join member m on m.id = t.member_id
          where t.test_clock_id = ? and t.tier_code = any(?::text[]) and m.erased_at is null order by t.member_id`
      : `select t.member_id from member_tier t join member m on m.id = t.member_id
          where t.test_clock_id is null and t.tier_code = any(?::text[]) and m.erased_at is null order by t.member_id`,
    clockId ? [clockId, pgTextArray(tiers)] : [pgTextArray(tiers)],
  );
  const eligible: string[] = [];
  for (const { member_id: memberId } of members) {
    if (row.segments?.length) {
      const segments = (await deps.memberSegments?.of(tx, memberId)) ?? [];
      if (!row.segments.some((s) => segments.includes(s))) continue;
    }
    eligible.push(memberId);
  }
  return eligible;
}

/**
 * A benefit campaign's rights for one occurrence, in the caller's transaction: a right for each
 * member (in member-id order) while its budget lasts, a thousand per statement, each traced by a
 * `campaign_benefit_grant` row. The campaign row is locked while its budget is spent (`FOR NO
 * KEY UPDATE`: rows that reference the campaign still insert meanwhile), and its counter moves in
 * the statement that traces the rights, by the rights actually created (a right granted before is
 * not granted, nor counted, again). Returns the members granted.
 */
async function grantOccurrence(tx: EntityManager, row: OccurrenceRow, occurrence: Occurrence, members: readonly string[], clockId: string | null, deps: Pick<AppDependencies, 'provisionedPartners'>): Promise<string[]> {
  const quota = row.benefit_kind === BenefitKind.ACCESS ? null : (row.benefit_quota ?? 1);
  const granted: string[] = [];
  for (let next = 0; next < members.length; ) {
    let size = GRANT_BATCH;
    if (row.budget_grants !== null) {
      const [campaign] = await tx.execute<{ left: number }[]>(`select budget_grants - rights_granted as left from campaign where code = ? for no key update`, [row.code]);
      if (campaign!.left <= 0) break; // spent: the rest get nothing
      size = Math.min(size, campaign!.left);
    }
    const batch = members.slice(next, next + size);
    next += batch.length;
    const rights = await grantRights(
      tx,
      batch.map((memberId) => ({
        memberId,
        benefitId: row.benefit_id!,
        quota,
        periodStart: occurrence.start,
        periodEnd: occurrence.end,
        source: EntitlementSource.CAMPAIGN,
        sourceRef: row.code,
        clockId,
      })),
      { provisionedPartners: deps.provisionedPartners },
    );
    if (rights.length === 0) continue;
    await tx.execute(
      `with traced as (
         insert into campaign_benefit_grant (id, campaign_code, member_id, entitlement_id, occurrence)
         select gen_random_uuid(), ?, g.member_id, g.entitlement_id, ? from unnest(?::uuid[], ?::uuid[]) as g(member_id, entitlement_id)
         on conflict (member_id, entitlement_id) do nothing
         returning 1)
       update campaign set rights_granted = rights_granted + (select count(*) from traced) where code = ?`,
      [row.code, occurrence.start, pgTextArray(rights.map((r) => r.memberId)), pgTextArray(rights.map((r) => r.id)), row.code],
    );
    granted.push(...rights.map((r) => r.memberId));
  }
  return granted;
}

/** The member day's offer, saying first what the member was granted (a message's first field is short). */
function offerWithRight(offer: LocalizedText, benefitName: LocalizedText, quota: number | null): LocalizedText {
  const times = quota === null ? '' : ` ×${quota}`;
  return { en: `${benefitName.en}${times} for you today: ${offer.en}`, 'zh-CN': `今日赠您${benefitName['zh-CN']}${times}：${offer['zh-CN']}` };
}

/**
 * Member days and benefit campaigns' occurrences: at 00:00 program time of each member day (a
 * benefit campaign without one: at its start), every member it is for (tier, segment; members
 * who take part in the program) on real time or on one test clock is served — a benefit campaign
 * grants each a right for the occurrence (through its budget), and a member day tells them with
 * a MEMBER_DAY moment stating the offer (for a benefit campaign, only those granted, and what they
 * got). An announcement row per campaign, clock and occurrence (unique) makes it once whichever
 * worker gets there first; the rights' own unique index would make a second grant nothing anyway.
 */
export const memberDayDueWork: DueWork = {
  name: 'member-days',

  async nextDue(em: EntityManager, clockId: string | null, deps?: Pick<AppDependencies, 'timeZone'>): Promise<Date | null> {
    const timeZone = deps?.timeZone ?? 'Asia/Shanghai';
    let earliest: Date | null = null;
    for (const row of await campaignsWithOccurrences(em, clockId)) {
      const next = await nextOccurrence(em, row, clockId, timeZone);
      if (next && (!earliest || next.at < earliest)) earliest = next.at;
    }
    return earliest;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId } = scope;
    const timeZone = scope.deps.timeZone;
    let ran = 0;
    for (const row of await campaignsWithOccurrences(em, clockId)) {
      const occurrence = await nextOccurrence(em, row, clockId, timeZone);
      if (!occurrence || occurrence.at > now) continue;
      ran++;
      await em.fork().transactional(async (tx) => {
        const [claimed] = await tx.execute<{ id: string }[]>(
          `insert into campaign_announcement (id, campaign_code, clock_key, occurrence) values (gen_random_uuid(), ?, ?, ?)
           on conflict (campaign_code, clock_key, occurrence) do nothing returning id`,
          [row.code, clockKey(clockId), occurrence.start],
        );
        if (!claimed) return; // another worker ran it
        const eligible = await targetedMembers(tx, row, clockId, scope.deps);
        const benefit = row.kind === CampaignKind.EXTRA_BENEFIT;
        const served = benefit ? await grantOccurrence(tx, row, occurrence, eligible, clockId, scope.deps) : eligible;
        const offer = benefit ? offerWithRight(row.offer, row.benefit_name!, row.benefit_kind === BenefitKind.ACCESS ? null : (row.benefit_quota ?? 1)) : row.offer;
        const at = occurrence.start;
        // One statement per thousand members: a member day told to a whole tier at once.
        const told =
          row.monthly_day === null
            ? 0
            : await Moments.recordMany(
                tx,
                served.map((memberId) => ({
                  memberId,
                  kind: MomentKind.MEMBER_DAY,
                  occurredAt: at,
                  data: { date: at.toISOString(), offer, ...(benefit ? { benefitCode: row.benefit_code! } : {}) },
                  dedupeKey: `MEMBER_DAY:${row.code}:${at.toISOString()}:${memberId}`,
                  clockId,
                })),
              );
        await tx.execute(`update campaign_announcement set members = ? where id = ?`, [benefit ? served.length : told, claimed.id]);
      });
    }
    return ran;
  },
};
