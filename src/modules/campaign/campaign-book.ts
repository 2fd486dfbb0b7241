import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { localParts } from '../../platform/zoned-time.js';
import { CampaignKind } from './campaign.entity.js';

/** A purchase as campaigns see it. */
export interface CampaignPurchase {
  memberId: string;
  activityId: string;
  /** The rank of the tier the member held before the purchase. */
  tierRank: number;
  channel: string;
  occurredAt: Date;
  /** Minor units. */
  amount: number;
  /** What the purchase earns without campaigns (tier multiplier included). */
  basePoints: number;
}

export interface CampaignGrantView {
  campaign: string;
  points: number;
}

interface CampaignRow {
  code: string;
  kind: CampaignKind;
  monthly_day: number | null;
  min_tier_rank: number;
  segments: string[] | null;
  channels: string[] | null;
  multiplier_permille: number | null;
  bonus_points: number | null;
  min_spend: number;
  budget_points: number | null;
  per_member_cap: number | null;
  points_granted: number;
}

/** Whether `at` falls on a member day (`monthlyDay` of the month in the program time zone; null: any day). */
export function onCampaignDay(at: Date, monthlyDay: number | null, timeZone: string): boolean {
  return monthlyDay === null || localParts(at, timeZone).day === monthlyDay;
}

/**
 * Campaign points for a purchase, in the caller's transaction (under the member's loyalty lock):
 * every live points campaign the member is eligible for (window, member day, tier, segment,
 * channel) grants its points within the member's cap and what is left of its budget (the campaign
 * row is locked while its budget is spent, so it is never overspent), each grant a
 * `campaign_grant` row. Benefit campaigns grant rights at their occurrences instead (the
 * member-day due work).
 */
export class CampaignBook {
  constructor(
    private readonly tx: EntityManager,
    private readonly deps: Pick<AppDependencies, 'timeZone' | 'memberSegments'>,
  ) {}

  async grant(purchase: CampaignPurchase): Promise<CampaignGrantView[]> {
    const live = await this.tx.execute<CampaignRow[]>(
      `select code, kind, monthly_day, min_tier_rank, segments, channels, multiplier_permille, bonus_points, min_spend, budget_points, per_member_cap, points_granted
         from campaign where active and kind in ('POINTS_MULTIPLIER', 'BONUS_POINTS') and starts_at <= ? and ends_at > ? and min_tier_rank <= ? order by code`,
      [purchase.occurredAt, purchase.occurredAt, purchase.tierRank],
    );
    const eligible = live.filter((c) => onCampaignDay(purchase.occurredAt, c.monthly_day, this.deps.timeZone) && (!c.channels || c.channels.includes(purchase.channel)));
    if (eligible.length === 0) return [];
    let segments: string[] | null = null;
    const grants: CampaignGrantView[] = [];
    for (const c of eligible) {
      if (c.segments?.length) {
        segments ??= (await this.deps.memberSegments?.of(this.tx, purchase.memberId)) ?? [];
        if (!c.segments.some((s) => segments!.includes(s))) continue;
      }
      let points =
        c.kind === CampaignKind.POINTS_MULTIPLIER
          ? Math.floor((purchase.basePoints * Math.max(0, (c.multiplier_permille ?? 1000) - 1000)) / 1000)
          : purchase.amount >= c.min_spend
            ? (c.bonus_points ?? 0)
            : 0;
      if (points <= 0) continue;
      if (c.per_member_cap !== null) {
        const [had] = await this.tx.execute<{ points: string | null }[]>(`select sum(points) as points from campaign_grant where campaign_code = ? and member_id = ?`, [c.code, purchase.memberId]);
        points = Math.min(points, Math.max(0, c.per_member_cap - Number(had?.points ?? 0)));
      }
      if (points > 0 && c.budget_points !== null) {
        const [row] = await this.tx.execute<{ left: number }[]>(`select budget_points - points_granted as left from campaign where code = ? for update`, [c.code]);
        points = Math.min(points, Math.max(0, row!.left));
      }
      if (points <= 0) continue;
      await this.tx.execute(`update campaign set points_granted = points_granted + ? where code = ?`, [points, c.code]);
      await this.tx.execute(`insert into campaign_grant (id, campaign_code, member_id, activity_id, points, at) values (gen_random_uuid(), ?, ?, ?, ?, ?)`, [
        c.code,
        purchase.memberId,
        purchase.activityId,
        points,
        purchase.occurredAt,
      ]);
      grants.push({ campaign: c.code, points });
    }
    return grants;
  }
}
