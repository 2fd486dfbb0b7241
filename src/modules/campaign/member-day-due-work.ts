import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import { localParts, storable, zonedInstant } from '../../platform/zoned-time.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import { MomentKind, Moments } from '../moments/index.js';
import type { LocalizedText } from '../../platform/localized.js';

interface MemberDayRow {
  code: string;
  offer: LocalizedText;
  starts_at: Date;
  ends_at: Date;
  monthly_day: number;
  min_tier_rank: number;
  segments: string[] | null;
  created_at: Date;
  last: Date | null;
}

const DAY_MS = 86_400_000;

/** The first 00:00 (program time) of `day` of a month at or after `from`. */
export function nextMemberDay(from: Date, day: number, timeZone: string): Date {
  const p = localParts(from, timeZone);
  let candidate = zonedInstant({ year: p.year, month: p.month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  if (candidate < from) candidate = zonedInstant({ year: p.year, month: p.month + 1, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  return storable(candidate);
}

const clockKey = (clockId: string | null) => clockId ?? 'real';

async function memberDays(em: EntityManager, clockId: string | null): Promise<MemberDayRow[]> {
  return em.execute<MemberDayRow[]>(
    `select c.code, c.offer, c.starts_at, c.ends_at, c.monthly_day, c.min_tier_rank, c.segments, c.created_at,
            (select max(a.occurrence) from campaign_announcement a where a.campaign_code = c.code and a.clock_key = ?) as last
       from campaign c where c.active and c.monthly_day is not null order by c.code`,
    [clockKey(clockId)],
  );
}

/**
 * The next member day of a campaign not yet announced to these members: after the last one
 * announced, else from when the campaign (or, on a test clock, its first member) began.
 */
async function nextOccurrence(em: EntityManager, row: MemberDayRow, clockId: string | null, timeZone: string): Promise<Date | null> {
  let from: Date;
  if (row.last) from = new Date(new Date(row.last).getTime() + DAY_MS / 2);
  else if (clockId) {
    const [first] = await em.execute<{ joined: Date | null }[]>(`select min(joined_at) as joined from test_clock_member where test_clock_id = ?`, [clockId]);
    if (!first?.joined) return null;
    from = new Date(first.joined);
  } else from = new Date(row.created_at);
  const starts = new Date(row.starts_at);
  const at = nextMemberDay(from > starts ? from : starts, row.monthly_day, timeZone);
  return at < new Date(row.ends_at) ? at : null;
}

/**
 * Member days announced: at 00:00 program time of each campaign's day, every member it is for
 * (tier, segment; members who take part in the program) on real time or on one test clock gets a
 * MEMBER_DAY moment with the offer. An announcement row per campaign, clock and day (unique)
 * makes it once whichever worker gets there first.
 */
export const memberDayDueWork: DueWork = {
  name: 'member-days',

  async nextDue(em: EntityManager, clockId: string | null, deps?: Pick<AppDependencies, 'timeZone'>): Promise<Date | null> {
    const timeZone = deps?.timeZone ?? 'Asia/Shanghai';
    let earliest: Date | null = null;
    for (const row of await memberDays(em, clockId)) {
      const at = await nextOccurrence(em, row, clockId, timeZone);
      if (at && (!earliest || at < earliest)) earliest = at;
    }
    return earliest;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId } = scope;
    const timeZone = scope.deps.timeZone;
    let announced = 0;
    for (const row of await memberDays(em, clockId)) {
      const at = await nextOccurrence(em, row, clockId, timeZone);
      if (!at || at > now) continue;
      announced++;
      await em.fork().transactional(async (tx) => {
        const [claimed] = await tx.execute<{ id: string }[]>(
          `insert into campaign_announcement (id, campaign_code, clock_key, occurrence) values (gen_random_uuid(), ?, ?, ?)
           on conflict (campaign_code, clock_key, occurrence) do nothing returning id`,
          [row.code, clockKey(clockId), at],
        );
        if (!claimed) return; // another worker announced it
        const program = await loadLoyaltyProgram(tx);
        const tiers = program.tiers.filter((t) => t.rank >= row.min_tier_rank).map((t) => t.code);
        const members = await tx.execute<{ member_id: string }[]>(
          clockId
            ? `select member_id from member_tier where test_clock_id = ? and tier_code = any(?::text[]) order by member_id`
            : `select member_id from member_tier where test_clock_id is null and tier_code = any(?::text[]) order by member_id`,
          clockId ? [clockId, `{${tiers.join(',')}}`] : [`{${tiers.join(',')}}`],
        );
        const eligible: string[] = [];
        for (const { member_id: memberId } of members) {
          if (row.segments?.length) {
            const segments = (await scope.deps.memberSegments?.of(tx, memberId)) ?? [];
            if (!row.segments.some((s) => segments.includes(s))) continue;
          }
          eligible.push(memberId);
        }
        // One statement per thousand members: a member day told to a whole tier at once.
        const told = await Moments.recordMany(
          tx,
          eligible.map((memberId) => ({
            memberId,
            kind: MomentKind.MEMBER_DAY,
            occurredAt: at,
            data: { date: at.toISOString(), offer: row.offer },
            dedupeKey: `MEMBER_DAY:${row.code}:${at.toISOString()}:${memberId}`,
            clockId,
          })),
        );
        await tx.execute(`update campaign_announcement set members = ? where id = ?`, [told, claimed.id]);
      });
    }
    return announced;
  },
};
