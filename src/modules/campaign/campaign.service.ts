import type { EntityManager } from '@mikro-orm/postgresql';
import { memberNow, type AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import type { LocalizedText } from '../../platform/localized.js';
import { uniqueViolation } from '../../platform/sql.js';
import { AuditLog, type AuditContext } from '../audit/index.js';
import { BenefitKind } from '../bundle/index.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import { onCampaignDay } from './campaign-book.js';
import { CampaignKind } from './campaign.entity.js';
import { nextMemberDay } from './member-day-due-work.js';

/** A campaign as PMs define it. */
export interface CampaignInput {
  code: string;
  name: LocalizedText;
  offer: LocalizedText;
  kind: CampaignKind;
  startsAt: Date;
  endsAt: Date;
  monthlyDay?: number | null;
  minTier?: string | null;
  segments?: string[] | null;
  channels?: string[] | null;
  multiplierPermille?: number | null;
  bonusPoints?: number | null;
  minSpend?: number | null;
  budgetPoints?: number | null;
  perMemberCap?: number | null;
  /** EXTRA_BENEFIT: the code of the benefit each occurrence grants a right to. */
  benefitCode?: string | null;
  /** EXTRA_BENEFIT: uses of each right (units for a conversion). @default 1 (none for an ACCESS benefit) */
  benefitQuota?: number | null;
  /** EXTRA_BENEFIT: rights it may grant in all; null: no budget. */
  budgetGrants?: number | null;
}

export interface CampaignView {
  code: string;
  name: LocalizedText;
  offer: LocalizedText;
  kind: CampaignKind;
  startsAt: Date;
  endsAt: Date;
  monthlyDay: number | null;
  minTierRank: number;
  segments: string[] | null;
  channels: string[] | null;
  multiplierPermille: number | null;
  bonusPoints: number | null;
  minSpend: number;
  budgetPoints: number | null;
  perMemberCap: number | null;
  pointsGranted: number;
  benefitCode: string | null;
  benefitQuota: number | null;
  budgetGrants: number | null;
  rightsGranted: number;
  active: boolean;
  /** Grants (points on a purchase, or a right) and distinct members who got one from it. */
  grants: number;
  membersReached: number;
}

interface Row {
  code: string;
  name: LocalizedText;
  offer: LocalizedText;
  kind: CampaignKind;
  starts_at: Date;
  ends_at: Date;
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
  benefit_code: string | null;
  benefit_quota: number | null;
  budget_grants: number | null;
  rights_granted: number;
  active: boolean;
  grants: string;
  members: string;
}

const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

function view(r: Row): CampaignView {
  return {
    code: r.code,
    name: r.name,
    offer: r.offer,
    kind: r.kind,
    startsAt: new Date(r.starts_at),
    endsAt: new Date(r.ends_at),
    monthlyDay: r.monthly_day,
    minTierRank: r.min_tier_rank,
    segments: r.segments,
    channels: r.channels,
    multiplierPermille: r.multiplier_permille,
    bonusPoints: r.bonus_points,
    minSpend: r.min_spend,
    budgetPoints: r.budget_points,
    perMemberCap: r.per_member_cap,
    pointsGranted: r.points_granted,
    benefitCode: r.benefit_code,
    benefitQuota: r.benefit_quota,
    budgetGrants: r.budget_grants,
    rightsGranted: r.rights_granted,
    active: r.active,
    grants: Number(r.grants),
    membersReached: Number(r.members),
  };
}

/**
 * What the audit log keeps of a campaign: its definition and whether it runs, the tier by its
 * code; not what it granted, which moves with every purchase.
 */
async function definition(em: EntityManager, c: CampaignView): Promise<Record<string, unknown>> {
  const { minTierRank, pointsGranted: _points, rightsGranted: _rights, grants: _grants, membersReached: _members, ...rest } = c;
  const program = await loadLoyaltyProgram(em);
  return { ...rest, minTier: program.tiers.find((t) => t.rank === minTierRank)?.code ?? null };
}

// Points on purchases and rights, both traced to the campaign.
const SELECT = `select c.*, b.code as benefit_code,
  (select count(*) from campaign_grant g where g.campaign_code = c.code) + (select count(*) from campaign_benefit_grant g where g.campaign_code = c.code) as grants,
  (select count(distinct m.member_id) from (select member_id from campaign_grant where campaign_code = c.code
                                            union all select member_id from campaign_benefit_grant where campaign_code = c.code) m) as members
  from campaign c left join benefit b on b.id = c.benefit_id`;

/** Campaigns and member days: PMs define and read them; members see the ones they are eligible for. */
export class CampaignService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'memberClocks' | 'timeZone' | 'memberSegments'>,
  ) {}

  async list(): Promise<CampaignView[]> {
    return (await this.em.execute<Row[]>(`${SELECT} order by c.starts_at, c.code`)).map(view);
  }

  async get(code: string, em: EntityManager = this.em): Promise<CampaignView> {
    const [row] = await em.execute<Row[]>(`${SELECT} where c.code = ?`, [code]);
    if (!row) throw AppError.notFound('Campaign', code);
    return view(row);
  }

  /**
   * Creates a campaign, audited as `campaign.create` (after: its definition) in the same
   * transaction. `audit` null: unaudited, for the demo seed, which writes its program as it writes
   * its partners and tiers.
   */
  async create(input: CampaignInput, audit: AuditContext | null): Promise<CampaignView> {
    const program = await loadLoyaltyProgram(this.em);
    const minTier = input.minTier ? program.tiers.find((t) => t.code === input.minTier) : program.baseTier;
    const v = new InputValidator()
      .check(CODE.test(input.code), 'code', 'must be 2-64 capital letters, digits or underscores, starting with a letter')
      .check(!!input.name.en && !!input.name['zh-CN'], 'name', 'needs en and zh-CN')
      .check(!!input.offer.en && !!input.offer['zh-CN'], 'offer', 'needs en and zh-CN')
      .check(input.endsAt > input.startsAt, 'endsAt', 'must be after startsAt')
      .check(input.monthlyDay == null || (Number.isInteger(input.monthlyDay) && input.monthlyDay >= 1 && input.monthlyDay <= 28), 'monthlyDay', 'must be a day from 1 to 28')
      .check(!!minTier, 'minTier', `must be one of ${program.tiers.map((t) => t.code).join(', ')}`);
    let benefit: { id: string; kind: BenefitKind } | undefined;
    if (input.kind === CampaignKind.POINTS_MULTIPLIER) {
      v.check(Number.isInteger(input.multiplierPermille) && input.multiplierPermille! > 1000 && input.multiplierPermille! <= 10_000, 'multiplierPermille', 'must be from 1001 to 10000 (×1.001 to ×10)');
    } else if (input.kind === CampaignKind.BONUS_POINTS) {
      v.check(Number.isInteger(input.bonusPoints) && input.bonusPoints! > 0 && input.bonusPoints! <= 1_000_000, 'bonusPoints', 'must be from 1 to 1,000,000');
    } else {
      if (input.benefitCode) [benefit] = await this.em.execute<{ id: string; kind: BenefitKind }[]>(`select id, kind from benefit where code = ?`, [input.benefitCode]);
      v.check(!!benefit, 'benefitCode', input.benefitCode ? `no benefit ${input.benefitCode}` : 'is needed: the benefit each occurrence grants');
      if (benefit?.kind === BenefitKind.ACCESS) v.check(input.benefitQuota == null, 'benefitQuota', 'must be left out: an ACCESS benefit is access for the occurrence, without uses');
      else v.check(input.benefitQuota == null || (Number.isInteger(input.benefitQuota) && input.benefitQuota >= 1 && input.benefitQuota <= 1_000_000), 'benefitQuota', 'must be from 1 to 1,000,000');
      v.check(input.budgetGrants == null || (Number.isInteger(input.budgetGrants) && input.budgetGrants > 0), 'budgetGrants', 'must be a positive whole number');
      // Points fields would be ignored: refused rather than stored for nothing.
      for (const [field, value] of [['multiplierPermille', input.multiplierPermille], ['bonusPoints', input.bonusPoints], ['minSpend', input.minSpend], ['budgetPoints', input.budgetPoints], ['perMemberCap', input.perMemberCap], ['channels', input.channels?.length ? input.channels : null]] as const) {
        v.check(value == null, field, 'is for points campaigns: EXTRA_BENEFIT grants a right at each occurrence, not points on purchases');
      }
    }
    if (input.kind !== CampaignKind.EXTRA_BENEFIT) {
      for (const [field, value] of [['benefitCode', input.benefitCode], ['benefitQuota', input.benefitQuota], ['budgetGrants', input.budgetGrants]] as const) {
        v.check(value == null, field, `is for EXTRA_BENEFIT campaigns only, not ${input.kind}`);
      }
    }
    if (input.segments?.length) {
      const known = (await this.deps.memberSegments?.codes?.(this.em)) ?? [];
      const unknown = input.segments.filter((code) => !known.includes(code));
      v.check(unknown.length === 0, 'segments', `unknown segment${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; the segments are ${known.join(', ') || 'none'}`);
    }
    if (input.kind !== CampaignKind.EXTRA_BENEFIT) {
      for (const [field, value] of [['minSpend', input.minSpend], ['budgetPoints', input.budgetPoints], ['perMemberCap', input.perMemberCap]] as const) {
        v.check(value == null || (Number.isInteger(value) && value > 0), field, 'must be a positive whole number');
      }
    }
    v.throwIfInvalid();
    try {
      return await this.em.transactional(async (tx) => {
        await tx.execute(
          `insert into campaign (code, name, offer, kind, starts_at, ends_at, monthly_day, min_tier_rank, segments, channels, multiplier_permille, bonus_points, min_spend, budget_points, per_member_cap,
                                 benefit_id, benefit_quota, budget_grants)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            input.code,
            JSON.stringify(input.name),
            JSON.stringify(input.offer),
            input.kind,
            input.startsAt,
            input.endsAt,
            input.monthlyDay ?? null,
            minTier!.rank,
            input.segments?.length ? `{${input.segments.join(',')}}` : null,
            input.channels?.length ? `{${input.channels.join(',')}}` : null,
            input.kind === CampaignKind.POINTS_MULTIPLIER ? input.multiplierPermille : null,
            input.kind === CampaignKind.BONUS_POINTS ? input.bonusPoints : null,
            input.minSpend ?? 0,
            input.budgetPoints ?? null,
            input.perMemberCap ?? null,
            benefit?.id ?? null,
            benefit && benefit.kind !== BenefitKind.ACCESS ? (input.benefitQuota ?? 1) : null,
            input.budgetGrants ?? null,
          ],
        );
        const created = await this.get(input.code, tx);
        if (audit) await AuditLog.append(tx, audit, { action: 'campaign.create', subject: input.code, before: null, after: await definition(tx, created) });
        return created;
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw AppError.badInput([{ field: 'code', message: `a campaign ${input.code} exists already` }]);
      throw error;
    }
  }

  /**
   * Starts or stops a campaign, audited as `campaign.activate` or `campaign.deactivate` with its
   * definition before and after. Asking for the state it is in already changes nothing and
   * writes no entry.
   */
  async setActive(code: string, active: boolean, audit: AuditContext): Promise<CampaignView> {
    return this.em.transactional(async (tx) => {
      const [locked] = await tx.execute<{ active: boolean }[]>(`select active from campaign where code = ? for update`, [code]);
      if (!locked) throw AppError.notFound('Campaign', code);
      if (locked.active === active) return this.get(code, tx);
      const before = await definition(tx, await this.get(code, tx));
      await tx.execute(`update campaign set active = ? where code = ?`, [active, code]);
      const after = await this.get(code, tx);
      await AuditLog.append(tx, audit, { action: active ? 'campaign.activate' : 'campaign.deactivate', subject: code, before, after: await definition(tx, after) });
      return after;
    });
  }

  /** Campaigns the member is eligible for that are on now or start within `days`, with when they next apply. */
  async forMember(memberId: string, days = 31): Promise<Array<CampaignView & { nextAt: Date }>> {
    const now = await memberNow(this.deps, this.em, memberId);
    const program = await loadLoyaltyProgram(this.em);
    const [tier] = await this.em.execute<{ tier_code: string }[]>(`select tier_code from member_tier where member_id = ?`, [memberId]);
    const rank = program.tier(tier?.tier_code ?? program.baseTier.code).rank;
    const until = new Date(now.getTime() + days * 86_400_000);
    const segments = (await this.deps.memberSegments?.of(this.em, memberId)) ?? [];
    const out: Array<CampaignView & { nextAt: Date }> = [];
    for (const c of await this.list()) {
      if (!c.active || c.endsAt <= now || c.startsAt > until || c.minTierRank > rank) continue;
      if (c.segments?.length && !c.segments.some((s) => segments.includes(s))) continue;
      const from = c.startsAt > now ? c.startsAt : now;
      const nextAt = c.monthlyDay === null || onCampaignDay(now, c.monthlyDay, this.deps.timeZone) ? from : nextMemberDay(from, c.monthlyDay, this.deps.timeZone);
      if (nextAt < c.endsAt && nextAt <= until) out.push({ ...c, nextAt });
    }
    return out;
  }
}
