import type { EntityManager } from '@mikro-orm/postgresql';
import type { LocalizedText } from '../../platform/localized.js';
import { PROGRAM_ID } from './loyalty-program.entity.js';
import { parseLoyaltyRules, type LoyaltyRulesInput } from './rules.js';

export interface LoyaltyProgramDefinition {
  name: LocalizedText;
  rules: LoyaltyRulesInput;
  tiers: ReadonlyArray<{ code: string; rank: number; name: LocalizedText; minSpend: number | null; minOrders?: number | null; minPointsEarned?: number | null; multiplierPermille: number }>;
  rewards: ReadonlyArray<{
    code: string;
    name: LocalizedText;
    phrase: { one: LocalizedText; other: LocalizedText };
    pointsCost: number;
    partner: string | null;
    benefitCode: string | null;
    units: number;
    /** @default 30 */
    validityDays?: number;
  }>;
  /** Benefits tiers unlock for their holders and every tier above (not the base tier: what everyone holds belongs in a plan's bundle). */
  tierBenefits?: ReadonlyArray<{ tier: string; benefitCode: string; quota: number | null }>;
}

/**
 * Installs a program into a database that has none, in the caller's transaction (rules
 * validated first); false when one is there already (two processes starting at once: the
 * first insert wins).
 */
export async function installLoyaltyProgram(tx: EntityManager, program: LoyaltyProgramDefinition): Promise<boolean> {
  const rules = parseLoyaltyRules(program.rules);
  const base = [...program.tiers].sort((a, b) => a.rank - b.rank)[0]?.code;
  for (const b of program.tierBenefits ?? []) {
    if (!program.tiers.some((t) => t.code === b.tier)) throw new Error(`Tier benefit ${b.benefitCode}: no tier ${b.tier}`);
    if (b.tier === base) throw new Error(`Tier benefit ${b.benefitCode}: the base tier ${b.tier} unlocks nothing (what everyone holds belongs in a plan's bundle)`);
    if (b.quota !== null && !(Number.isInteger(b.quota) && b.quota > 0)) throw new Error(`Tier benefit ${b.benefitCode}: quota must be a whole number > 0 or null`);
  }
  const wanted = [...new Set([...(program.tierBenefits ?? []).map((b) => b.benefitCode), ...program.rewards.flatMap((r) => (r.benefitCode ? [r.benefitCode] : []))])];
  if (wanted.length > 0) {
    const known = new Set((await tx.execute<{ code: string }[]>(`select code from benefit where code = any(?::text[])`, [`{${wanted.join(',')}}`])).map((b) => b.code));
    const missing = wanted.filter((code) => !known.has(code));
    if (missing.length > 0) throw new Error(`The loyalty program names benefits the catalog does not have: ${missing.join(', ')}`);
  }
  const [inserted] = await tx.execute<{ id: string }[]>(`insert into loyalty_program (id, name, rules) values (?, ?, ?) on conflict (id) do nothing returning id`, [
    PROGRAM_ID,
    JSON.stringify(program.name),
    JSON.stringify(rules),
  ]);
  if (!inserted) return false;
  for (const t of program.tiers) {
    await tx.execute(`insert into loyalty_tier (code, rank, name, min_spend, min_orders, min_points_earned, multiplier_permille) values (?, ?, ?, ?, ?, ?, ?)`, [
      t.code,
      t.rank,
      JSON.stringify(t.name),
      t.minSpend,
      t.minOrders ?? null,
      t.minPointsEarned ?? null,
      t.multiplierPermille,
    ]);
  }
  for (const r of program.rewards) {
    await tx.execute(`insert into loyalty_reward (code, name, phrase, points_cost, partner_id, benefit_code, units, validity_days) values (?, ?, ?, ?, ?, ?, ?, ?)`, [
      r.code,
      JSON.stringify(r.name),
      JSON.stringify(r.phrase),
      r.pointsCost,
      r.partner,
      r.benefitCode,
      r.units,
      r.validityDays ?? 30,
    ]);
  }
  for (const b of program.tierBenefits ?? []) {
    await tx.execute(`insert into loyalty_tier_benefit (tier_code, benefit_code, quota) values (?, ?, ?)`, [b.tier, b.benefitCode, b.quota]);
  }
  return true;
}
