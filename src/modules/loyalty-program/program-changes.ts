import type { EntityManager } from '@mikro-orm/postgresql';
import type { LocalizedText } from '../../platform/localized.js';
import { PROGRAM_ID } from './loyalty-program.entity.js';
import { LoyaltyRules } from './rules.js';

/** A change of the loyalty program a catalog draft may carry: rewards, tiers, what tiers unlock, earn rules. */
export type ProgramChange =
  | {
      kind: 'SET_REWARD';
      code: string;
      name: LocalizedText;
      pointsCost: number;
      partnerId: string | null;
      benefitCode: string | null;
      units: number;
      validityDays: number;
      active: boolean;
    }
  | { kind: 'SET_TIER'; code: string; minSpend: number | null; multiplierPermille: number }
  | { kind: 'SET_TIER_BENEFIT'; tierCode: string; benefitCode: string; quota: number | null; remove: boolean }
  | { kind: 'SET_EARN_RULES'; rules: unknown };

export const PROGRAM_CHANGE_KINDS = ['SET_REWARD', 'SET_TIER', 'SET_TIER_BENEFIT', 'SET_EARN_RULES'] as const;

/** The program as it stands, for checking and diffing changes. */
export interface LiveProgram {
  rules: unknown;
  tiers: Map<string, { rank: number; minSpend: number | null; multiplierPermille: number }>;
  rewards: Map<string, { pointsCost: number; partnerId: string | null; benefitCode: string | null; units: number; validityDays: number; active: boolean; name: LocalizedText }>;
  tierBenefits: Map<string, number | null>;
}

export async function readLiveProgram(em: EntityManager): Promise<LiveProgram> {
  const [[program], tiers, rewards, tierBenefits] = await Promise.all([
    em.execute<{ rules: unknown }[]>(`select rules from loyalty_program where id = ?`, [PROGRAM_ID]),
    em.execute<{ code: string; rank: number; min_spend: string | null; multiplier_permille: number }[]>(`select code, rank, min_spend, multiplier_permille from loyalty_tier order by rank`),
    em.execute<{ code: string; points_cost: number; partner_id: string | null; benefit_code: string | null; units: number; validity_days: number; active: boolean; name: LocalizedText }[]>(
      `select code, points_cost, partner_id, benefit_code, units, validity_days, active, name from loyalty_reward`,
    ),
    em.execute<{ tier_code: string; benefit_code: string; quota: number | null }[]>(`select tier_code, benefit_code, quota from loyalty_tier_benefit`),
  ]);
  return {
    rules: program?.rules ?? null,
    tiers: new Map(tiers.map((t) => [t.code, { rank: t.rank, minSpend: t.min_spend === null ? null : Number(t.min_spend), multiplierPermille: t.multiplier_permille }])),
    rewards: new Map(
      rewards.map((r) => [r.code, { pointsCost: r.points_cost, partnerId: r.partner_id, benefitCode: r.benefit_code, units: r.units, validityDays: r.validity_days, active: r.active, name: r.name }]),
    ),
    tierBenefits: new Map(tierBenefits.map((b) => [`${b.tier_code}/${b.benefit_code}`, b.quota])),
  };
}

/** One line of what program changes do, for a diff. */
export interface ProgramDiffLine {
  subject: string;
  field: string;
  before: string;
  after: string;
}

const REWARD_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

/**
 * Checks program changes against the live program, the catalog's partners and benefits (those a
 * draft creates included), listing every problem at `changes[i].<field>`; returns the diff lines.
 */
export function checkProgramChanges(
  live: LiveProgram,
  changes: ReadonlyArray<{ index: number; change: ProgramChange }>,
  known: { partners: ReadonlySet<string>; benefits: (code: string) => string | undefined },
): { problems: Array<{ field: string; message: string }>; diff: ProgramDiffLine[] } {
  const problems: Array<{ field: string; message: string }> = [];
  const diff: ProgramDiffLine[] = [];
  const tiers = new Map([...live.tiers].map(([code, t]) => [code, { ...t }]));
  const base = [...live.tiers].sort((a, b) => a[1].rank - b[1].rank)[0]?.[0];
  const line = (subject: string, field: string, before: unknown, after: unknown) => {
    if (JSON.stringify(before) !== JSON.stringify(after)) diff.push({ subject, field, before: before === undefined ? '—' : String(before), after: String(after) });
  };
  for (const { index, change } of changes) {
    const at = (field: string) => `changes[${index}].${field}`;
    switch (change.kind) {
      case 'SET_REWARD': {
        if (!REWARD_CODE.test(change.code)) problems.push({ field: at('code'), message: 'must be 2-40 capitals, digits or _ starting with a letter' });
        if (!(Number.isInteger(change.pointsCost) && change.pointsCost >= 1 && change.pointsCost <= 10_000_000)) problems.push({ field: at('pointsCost'), message: 'must be a whole number of points from 1 to 10000000' });
        if (change.partnerId !== null && !known.partners.has(change.partnerId)) problems.push({ field: at('partnerId'), message: `no partner ${change.partnerId}` });
        if (change.benefitCode !== null && !known.benefits(change.benefitCode)) problems.push({ field: at('benefitCode'), message: `no benefit ${change.benefitCode}` });
        if (!(Number.isInteger(change.units) && change.units >= 1 && change.units <= 1_000_000)) problems.push({ field: at('units'), message: 'must be a whole number from 1 to 1000000' });
        if (!(Number.isInteger(change.validityDays) && change.validityDays >= 1 && change.validityDays <= 3_650)) problems.push({ field: at('validityDays'), message: 'must be a whole number of days from 1 to 3650' });
        for (const lang of ['en', 'zh-CN'] as const) {
          const name = change.name?.[lang]?.trim() ?? '';
          if (name.length < 1 || name.length > 100) problems.push({ field: at(`name.${lang === 'en' ? 'en' : 'zhCN'}`), message: 'must be 1-100 characters' });
        }
        const was = live.rewards.get(change.code);
        for (const field of ['pointsCost', 'partnerId', 'benefitCode', 'units', 'validityDays', 'active'] as const) line(`reward ${change.code}`, field, was?.[field], change[field]);
        break;
      }
      case 'SET_TIER': {
        const tier = tiers.get(change.code);
        if (!tier) {
          problems.push({ field: at('code'), message: `no tier ${change.code}` });
          break;
        }
        if (change.code === base && change.minSpend !== null) problems.push({ field: at('minSpend'), message: 'the base tier is everyone\'s: it has no threshold' });
        if (change.minSpend !== null && !(Number.isInteger(change.minSpend) && change.minSpend > 0)) problems.push({ field: at('minSpend'), message: 'must be a whole amount in minor units above 0' });
        if (!(Number.isInteger(change.multiplierPermille) && change.multiplierPermille >= 100 && change.multiplierPermille <= 10_000)) problems.push({ field: at('multiplierPermille'), message: 'must be from 100 (×0.1) to 10000 (×10)' });
        line(`tier ${change.code}`, 'minSpend', tier.minSpend, change.minSpend);
        line(`tier ${change.code}`, 'multiplierPermille', tier.multiplierPermille, change.multiplierPermille);
        tier.minSpend = change.minSpend;
        tier.multiplierPermille = change.multiplierPermille;
        break;
      }
      case 'SET_TIER_BENEFIT': {
        if (!tiers.has(change.tierCode)) problems.push({ field: at('tierCode'), message: `no tier ${change.tierCode}` });
        else if (change.tierCode === base) problems.push({ field: at('tierCode'), message: "the base tier unlocks nothing: what everyone holds belongs in a plan's bundle" });
        const kind = known.benefits(change.benefitCode);
        if (!kind) problems.push({ field: at('benefitCode'), message: `no benefit ${change.benefitCode}` });
        if (!change.remove) {
          if (kind === 'ACCESS' && change.quota !== null) problems.push({ field: at('quota'), message: 'an ACCESS benefit has no quota: leave it null' });
          if (kind && kind !== 'ACCESS' && !(Number.isInteger(change.quota) && change.quota! >= 1 && change.quota! <= 10_000)) problems.push({ field: at('quota'), message: 'must be a whole number from 1 to 10000 a month' });
        }
        const key = `${change.tierCode}/${change.benefitCode}`;
        if (change.remove && !live.tierBenefits.has(key)) problems.push({ field: at('benefitCode'), message: `${change.tierCode} does not unlock ${change.benefitCode}` });
        line(`tier ${change.tierCode} unlocks ${change.benefitCode}`, 'quota a month', live.tierBenefits.has(key) ? live.tierBenefits.get(key) ?? 'unlimited' : undefined, change.remove ? 'removed' : (change.quota ?? 'unlimited'));
        break;
      }
      case 'SET_EARN_RULES': {
        const parsed = LoyaltyRules.safeParse(change.rules);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) problems.push({ field: at(['rules', ...issue.path.map(String)].join('.')), message: issue.message });
        } else {
          const before = (live.rules ?? {}) as Record<string, unknown>;
          for (const key of new Set([...Object.keys(before), ...Object.keys(parsed.data)])) {
            line('earn rules', key, JSON.stringify(before[key]), JSON.stringify((parsed.data as Record<string, unknown>)[key]));
          }
        }
        break;
      }
    }
  }
  // The ladder still climbs: each threshold above the one below it.
  const ladder = [...tiers].sort((a, b) => a[1].rank - b[1].rank).filter(([, t]) => t.minSpend !== null);
  for (let i = 1; i < ladder.length; i++) {
    if (ladder[i]![1].minSpend! <= ladder[i - 1]![1].minSpend!) {
      const index = changes.find((c) => c.change.kind === 'SET_TIER' && (c.change.code === ladder[i]![0] || c.change.code === ladder[i - 1]![0]))?.index ?? 0;
      problems.push({ field: `changes[${index}].minSpend`, message: `${ladder[i]![0]} must need more than ${ladder[i - 1]![0]}` });
    }
  }
  return { problems, diff };
}

/**
 * Applies program changes in the caller's transaction and raises the program's version, so every
 * process reads the new rules on its next request.
 */
export async function applyProgramChanges(tx: EntityManager, changes: readonly ProgramChange[]): Promise<void> {
  if (changes.length === 0) return;
  for (const change of changes) {
    switch (change.kind) {
      case 'SET_REWARD':
        await tx.execute(
          `insert into loyalty_reward (code, name, phrase, points_cost, partner_id, benefit_code, units, validity_days, active) values (?, ?, ?, ?, ?, ?, ?, ?, ?)
           on conflict (code) do update set name = excluded.name, points_cost = excluded.points_cost, partner_id = excluded.partner_id, benefit_code = excluded.benefit_code,
             units = excluded.units, validity_days = excluded.validity_days, active = excluded.active`,
          [
            change.code,
            JSON.stringify(change.name),
            JSON.stringify({ one: change.name, other: { en: `{n} × ${change.name.en}`, 'zh-CN': `{n} × ${change.name['zh-CN']}` } }),
            change.pointsCost,
            change.partnerId,
            change.benefitCode,
            change.units,
            change.validityDays,
            change.active,
          ],
        );
        break;
      case 'SET_TIER':
        await tx.execute(`update loyalty_tier set min_spend = ?, multiplier_permille = ? where code = ?`, [change.minSpend, change.multiplierPermille, change.code]);
        break;
      case 'SET_TIER_BENEFIT':
        if (change.remove) await tx.execute(`delete from loyalty_tier_benefit where tier_code = ? and benefit_code = ?`, [change.tierCode, change.benefitCode]);
        else
          await tx.execute(
            `insert into loyalty_tier_benefit (tier_code, benefit_code, quota) values (?, ?, ?) on conflict (tier_code, benefit_code) do update set quota = excluded.quota`,
            [change.tierCode, change.benefitCode, change.quota],
          );
        break;
      case 'SET_EARN_RULES':
        await tx.execute(`update loyalty_program set rules = ? where id = ?`, [JSON.stringify(LoyaltyRules.parse(change.rules)), PROGRAM_ID]);
        break;
    }
  }
  await tx.execute(`update loyalty_program set version = version + 1, updated_at = now() where id = ?`, [PROGRAM_ID]);
}
