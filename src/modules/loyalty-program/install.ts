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
  }>;
}

/**
 * Installs a program into a database that has none, in the caller's transaction (rules
 * validated first); false when one is there already (two processes starting at once: the
 * first insert wins).
 */
export async function installLoyaltyProgram(tx: EntityManager, program: LoyaltyProgramDefinition): Promise<boolean> {
  const rules = parseLoyaltyRules(program.rules);
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
    await tx.execute(`insert into loyalty_reward (code, name, phrase, points_cost, partner_id, benefit_code, units) values (?, ?, ?, ?, ?, ?, ?)`, [
      r.code,
      JSON.stringify(r.name),
      JSON.stringify(r.phrase),
      r.pointsCost,
      r.partner,
      r.benefitCode,
      r.units,
    ]);
  }
  return true;
}
