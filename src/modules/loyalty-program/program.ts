import type { EntityManager } from '@mikro-orm/postgresql';
import type { LocalizedText } from '../../platform/localized.js';
import { PROGRAM_ID } from './loyalty-program.entity.js';
import { parseLoyaltyRules, type LoyaltyRules } from './rules.js';

/** What a member's qualifying window holds. */
export interface QualifyingMetrics {
  /** Purchases minus refunds, minor units. */
  spend: number;
  orders: number;
  pointsEarned: number;
}

export interface TierRung {
  code: string;
  rank: number;
  name: LocalizedText;
  minSpend: number | null;
  minOrders: number | null;
  minPointsEarned: number | null;
  multiplierPermille: number;
}

export interface RewardOffer {
  code: string;
  name: LocalizedText;
  phrase: { one: LocalizedText; other: LocalizedText };
  pointsCost: number;
  partnerId: string | null;
  benefitCode: string | null;
  units: number;
  validityDays: number;
}

/** A benefit a tier unlocks for its holders and every tier above (`quota` uses a calendar month; null: unlimited). */
export interface TierBenefit {
  /** The lowest tier that unlocks it. */
  tierCode: string;
  rank: number;
  benefitCode: string;
  quota: number | null;
}

/** The program as one version of it reads: rules, tier ladder and rewards, with the questions asked of them. */
export class LoyaltyProgramSnapshot {
  /** Lowest rank first. */
  readonly tiers: readonly TierRung[];
  private readonly byCode: ReadonlyMap<string, TierRung>;

  constructor(
    readonly version: number,
    readonly name: LocalizedText,
    readonly rules: LoyaltyRules,
    tiers: readonly TierRung[],
    /** Active rewards, cheapest first. */
    readonly rewards: readonly RewardOffer[],
    /** Benefits tiers unlock. */
    readonly tierBenefits: readonly TierBenefit[] = [],
  ) {
    if (tiers.length === 0) throw new Error('The loyalty program has no tiers: seed at least the base tier (rank 0)');
    this.tiers = [...tiers].sort((a, b) => a.rank - b.rank);
    this.byCode = new Map(this.tiers.map((t) => [t.code, t]));
  }

  /** The tier everyone holds. */
  get baseTier(): TierRung {
    return this.tiers[0]!;
  }

  tier(code: string): TierRung {
    return this.byCode.get(code) ?? this.baseTier;
  }

  /** Whether `metrics` meet every threshold `tier` sets. */
  meets(tier: TierRung, metrics: QualifyingMetrics): boolean {
    return (
      (tier.minSpend === null || metrics.spend >= tier.minSpend) &&
      (tier.minOrders === null || metrics.orders >= tier.minOrders) &&
      (tier.minPointsEarned === null || metrics.pointsEarned >= tier.minPointsEarned)
    );
  }

  /** The highest tier `metrics` meet (the base tier at least). */
  matching(metrics: QualifyingMetrics): TierRung {
    let best = this.baseTier;
    for (const tier of this.tiers) if (this.meets(tier, metrics)) best = tier;
    return best;
  }

  /** The tier one rank above `code`, or null at the top. */
  above(code: string): TierRung | null {
    const index = this.tiers.indexOf(this.tier(code));
    return this.tiers[index + 1] ?? null;
  }

  /** The tier one rank below `code` (the base tier stays). */
  below(code: string): TierRung {
    const index = this.tiers.indexOf(this.tier(code));
    return this.tiers[Math.max(0, index - 1)]!;
  }

  /** What holding `code` unlocks: the benefits of that tier and of every tier below it. */
  benefitsOf(code: string): TierBenefit[] {
    const rank = this.tier(code).rank;
    return this.tierBenefits.filter((b) => b.rank <= rank);
  }

  /** An active reward by its code. */
  reward(code: string): RewardOffer | undefined {
    return this.rewards.find((r) => r.code === code);
  }

  higher(a: TierRung, b: TierRung): TierRung {
    return a.rank >= b.rank ? a : b;
  }
}

let cached: LoyaltyProgramSnapshot | undefined;
/** One read per EntityManager (a request, a transaction): a request asking for it thrice asks the database once. */
const perEntityManager = new WeakMap<EntityManager, Promise<LoyaltyProgramSnapshot>>();

/**
 * The program in force, read through a per-process cache that one query per request keeps
 * honest (the cache is kept while the program's version is unchanged).
 */
export function loadLoyaltyProgram(em: EntityManager): Promise<LoyaltyProgramSnapshot> {
  let loading = perEntityManager.get(em);
  if (!loading) {
    loading = readLoyaltyProgram(em);
    perEntityManager.set(em, loading);
    loading.catch(() => perEntityManager.delete(em));
  }
  return loading;
}

async function readLoyaltyProgram(em: EntityManager): Promise<LoyaltyProgramSnapshot> {
  const [head] = await em.execute<{ version: number }[]>(`select version from loyalty_program where id = ?`, [PROGRAM_ID]);
  if (!head) throw new Error('No loyalty program is configured: seed one (the demo seed does on an empty database)');
  if (cached && cached.version === head.version) return cached;
  const [program] = await em.execute<{ version: number; name: LocalizedText; rules: unknown }[]>(
    `select version, name, rules from loyalty_program where id = ?`,
    [PROGRAM_ID],
  );
  const tiers = await em.execute<Array<{ code: string; rank: number; name: LocalizedText; min_spend: string | null; min_orders: number | null; min_points_earned: number | null; multiplier_permille: number }>>(
    `select code, rank, name, min_spend, min_orders, min_points_earned, multiplier_permille from loyalty_tier order by rank`,
  );
  const rewards = await em.execute<Array<{ code: string; name: LocalizedText; phrase: RewardOffer['phrase']; points_cost: number; partner_id: string | null; benefit_code: string | null; units: number; validity_days: number }>>(
    `select code, name, phrase, points_cost, partner_id, benefit_code, units, validity_days from loyalty_reward where active order by points_cost, code`,
  );
  const tierBenefits = await em.execute<Array<{ tier_code: string; rank: number; benefit_code: string; quota: number | null }>>(
    `select b.tier_code, t.rank, b.benefit_code, b.quota from loyalty_tier_benefit b join loyalty_tier t on t.code = b.tier_code order by t.rank, b.benefit_code`,
  );
  cached = new LoyaltyProgramSnapshot(
    program!.version,
    program!.name,
    parseLoyaltyRules(program!.rules),
    tiers.map((t) => ({
      code: t.code,
      rank: t.rank,
      name: t.name,
      minSpend: t.min_spend === null ? null : Number(t.min_spend),
      minOrders: t.min_orders,
      minPointsEarned: t.min_points_earned,
      multiplierPermille: t.multiplier_permille,
    })),
    rewards.map((r) => ({ code: r.code, name: r.name, phrase: r.phrase, pointsCost: r.points_cost, partnerId: r.partner_id, benefitCode: r.benefit_code, units: r.units, validityDays: r.validity_days })),
    tierBenefits.map((b) => ({ tierCode: b.tier_code, rank: b.rank, benefitCode: b.benefit_code, quota: b.quota })),
  );
  return cached;
}
