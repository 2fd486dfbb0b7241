import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireStaff } from '../../platform/guards.js';
import { localize, type Locale, type LocalizedText } from '../../platform/localized.js';
import { StaffRole } from '../../platform/principal.js';
import type { LoyaltyProgramSnapshot } from './program.js';
import { LoyaltyProgramType } from './loyalty-program.types.js';

const both = (text: LocalizedText) => ({ en: text.en, zhCN: text['zh-CN'] });

function programType(program: LoyaltyProgramSnapshot, locale: Locale): LoyaltyProgramType {
  const currency = program.rules.currency;
  return {
    version: program.version,
    name: localize(program.name, locale),
    rulesJson: JSON.stringify(program.rules),
    currency,
    tiers: program.tiers.map((t) => ({
      code: t.code,
      rank: t.rank,
      name: localize(t.name, locale),
      names: both(t.name),
      minSpend: t.minSpend === null ? null : { amount: t.minSpend, currency },
      minOrders: t.minOrders,
      minPointsEarned: t.minPointsEarned,
      multiplierPermille: t.multiplierPermille,
    })),
    tierBenefits: program.tierBenefits.map((b) => ({ tierCode: b.tierCode, benefitCode: b.benefitCode, quota: b.quota })),
    rewards: program.rewards.map((r) => ({
      code: r.code,
      name: localize(r.name, locale),
      names: both(r.name),
      pointsCost: r.pointsCost,
      partnerId: r.partnerId,
      benefitCode: r.benefitCode,
      units: r.units,
      validityDays: r.validityDays,
    })),
  };
}

@Resolver(() => LoyaltyProgramType)
export class LoyaltyProgramResolver {
  @Query(() => LoyaltyProgramType, {
    description: 'The loyalty program in force: earn rules, tier ladder, what tiers unlock, rewards on offer (admins, product managers, finance, analysts)',
  })
  async loyaltyProgram(@Ctx() ctx: RequestContext): Promise<LoyaltyProgramType> {
    requireStaff(ctx.principal, 'loyaltyProgram', [StaffRole.PRODUCT_MANAGER, StaffRole.FINANCE, StaffRole.ANALYST]);
    return programType(await ctx.services.loyaltyProgram.current(), ctx.locale);
  }
}
