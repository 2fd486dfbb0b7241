import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { requirePartner } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import { Money } from '../../platform/graphql-types.js';
import { localize } from '../../platform/localized.js';
import type { PriceView } from './benefit.service.js';
import type { Benefit, BundleBenefit } from './bundle.entity.js';
import { BenefitType, PlanBenefitType } from './benefit.types.js';
import { type Partner, PartnerType, seesPartnerTerms } from '../partner/index.js';

@Resolver(() => BenefitType)
export class BenefitResolver {
  @Query(() => [BenefitType], { description: "The calling partner's own benefits (partners only)" })
  partnerBenefits(@Ctx() ctx: RequestContext): Promise<Benefit[]> {
    const partner = requirePartner(ctx.principal, 'partnerBenefits');
    return ctx.services.benefits.listForPartner(partner.partnerId);
  }

  @FieldResolver(() => String)
  name(@Root() benefit: Benefit, @Ctx() ctx: RequestContext): string {
    return localize(benefit.name, ctx.locale);
  }

  @FieldResolver(() => String)
  description(@Root() benefit: Benefit, @Ctx() ctx: RequestContext): string {
    return localize(benefit.description, ctx.locale);
  }

  @FieldResolver(() => PartnerType)
  async partner(@Root() benefit: Benefit, @Ctx() ctx: RequestContext): Promise<Partner> {
    return (await ctx.loaders.partnerById.load(benefit.partner.id))!;
  }

  @FieldResolver(() => Money, {
    nullable: true,
    description:
      "What it is worth to a member (a car wash is worth ¥39, whatever the partner is paid): per use for QUOTA and VOUCHER, per unit credited for CONVERSION, per 30 days for ACCESS; the basis of `Membership.savings`. Null when not set",
  })
  memberValue(@Root() benefit: Benefit): Money | null {
    return benefit.memberValueAmount == null ? null : { amount: benefit.memberValueAmount, currency: benefit.memberValueCurrency! };
  }

  @FieldResolver(() => Money, { nullable: true })
  unitPrice(@Root() benefit: Benefit, @Ctx() ctx: RequestContext): PriceView | null {
    return ctx.services.benefits.unitPriceFor(ctx.principal, benefit);
  }
}

@Resolver(() => PlanBenefitType)
export class PlanBenefitResolver {
  @FieldResolver(() => BenefitType)
  async benefit(@Root() grant: BundleBenefit, @Ctx() ctx: RequestContext): Promise<Benefit> {
    return (await ctx.loaders.benefitById.load(grant.benefit.id))!;
  }
}

@Resolver(() => PartnerType)
export class PartnerBenefitsResolver {
  @FieldResolver(() => [BenefitType], {
    nullable: true,
    description:
      "The partner's benefits, by code, each with its agreed `unitPrice`. Shown to the partner itself and to admins, product managers and finance (who configure and settle); null for everyone else",
  })
  async benefits(@Root() partner: Partner, @Ctx() ctx: RequestContext): Promise<Benefit[] | null> {
    return seesPartnerTerms(ctx.principal, partner.id) ? ctx.loaders.benefitsByPartner.load(partner.id) : null;
  }
}
