import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { requirePartner } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { SettlementLineView, SettlementView } from './settlement.service.js';
import { SettlementLineType, SettlementType } from './settlement.types.js';
import { type Benefit, BenefitType } from '../bundle/index.js';
import { type Partner, PartnerType } from '../partner/index.js';

@Resolver(() => SettlementType)
export class SettlementResolver {
  @Query(() => SettlementType, {
    description: 'The calling partner\'s settlement statement for [from, to), at most 366 days (partners only)',
  })
  partnerSettlement(
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<SettlementView> {
    const partner = requirePartner(ctx.principal, 'partnerSettlement');
    return ctx.services.settlements.statement(partner.partnerId, { from, to });
  }

  @FieldResolver(() => PartnerType)
  async partner(@Root() settlement: SettlementView, @Ctx() ctx: RequestContext): Promise<Partner> {
    return (await ctx.loaders.partnerById.load(settlement.partnerId))!;
  }
}

@Resolver(() => SettlementLineType)
export class SettlementLineResolver {
  @FieldResolver(() => BenefitType)
  async benefit(@Root() line: SettlementLineView, @Ctx() ctx: RequestContext): Promise<Benefit> {
    return (await ctx.loaders.benefitById.load(line.benefitId))!;
  }
}
