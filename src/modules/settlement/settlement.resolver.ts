import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { requirePartner } from '../auth/index.js';
import type { Benefit } from '../bundle/bundle.entity.js';
import { BenefitType } from '../bundle/benefit.types.js';
import type { Partner } from '../partner/partner.entity.js';
import { PartnerType } from '../partner/partner.types.js';
import type { RequestContext } from '../../hosting/request-scope.js';
import type { SettlementLineView, SettlementView } from './settlement.service.js';
import { SettlementLineType, SettlementType } from './settlement.types.js';

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
