import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import type { LocalizedTextType, Money } from '../../platform/graphql-types.js';
import { Capability } from '../../platform/capabilities.js';
import { holdsCapability } from '../../platform/guards.js';
import { localize } from '../../platform/localized.js';
import type { Principal } from '../../platform/principal.js';
import type { Partner } from './partner.entity.js';
import { PartnerType } from './partner.types.js';

/**
 * Whether `principal` may read what `partnerId` agreed with the coalition (its prices, its
 * benefits' unit prices, when its terms changed): the partner itself and the staff who agree and
 * settle them (the SETTLEMENT capability: admins, product managers, finance), as `Benefit.unitPrice`.
 * Everyone else reads null.
 */
export function seesPartnerTerms(principal: Principal, partnerId: string): boolean {
  return (principal.kind === 'partner' && principal.partnerId === partnerId) || holdsCapability(principal, Capability.SETTLEMENT);
}

function pointsPrice(partner: Partner, amount: number | null | undefined): Money | null {
  return amount == null || !partner.pointsCurrency ? null : { amount, currency: partner.pointsCurrency.trim() };
}

@Resolver(() => PartnerType)
export class PartnerResolver {
  @FieldResolver(() => String)
  name(@Root() partner: Partner, @Ctx() ctx: RequestContext): string {
    return localize(partner.name, ctx.locale);
  }

  @FieldResolver()
  names(@Root() partner: Partner, @Ctx() ctx: RequestContext): LocalizedTextType | null {
    return seesPartnerTerms(ctx.principal, partner.id) ? { en: partner.name.en, zhCN: partner.name['zh-CN'] } : null;
  }

  @FieldResolver()
  pointsIssuePricePer1000(@Root() partner: Partner, @Ctx() ctx: RequestContext): Money | null {
    return seesPartnerTerms(ctx.principal, partner.id) ? pointsPrice(partner, partner.pointsIssuePricePer1000) : null;
  }

  @FieldResolver()
  pointsBurnPricePer1000(@Root() partner: Partner, @Ctx() ctx: RequestContext): Money | null {
    return seesPartnerTerms(ctx.principal, partner.id) ? pointsPrice(partner, partner.pointsBurnPricePer1000) : null;
  }

  @FieldResolver()
  createdAt(@Root() partner: Partner, @Ctx() ctx: RequestContext): Date | null {
    return seesPartnerTerms(ctx.principal, partner.id) ? partner.createdAt : null;
  }

  @FieldResolver()
  updatedAt(@Root() partner: Partner, @Ctx() ctx: RequestContext): Date | null {
    return seesPartnerTerms(ctx.principal, partner.id) ? partner.updatedAt : null;
  }
}
