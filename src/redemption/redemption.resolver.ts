import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import { requirePartner } from '../auth/index.js';
import type { Entitlement } from '../entitlement/entitlement.entity.js';
import { EntitlementType } from '../entitlement/entitlement.types.js';
import type { RequestContext } from '../server/request-scope.js';
import type { Redemption } from './redemption.entity.js';
import { RedemptionType } from './redemption.types.js';

@Resolver(() => RedemptionType)
export class RedemptionResolver {
  @Mutation(() => RedemptionType, {
    description: 'Redeems a member\'s entitlement token (partners only). A token is redeemed once; the idempotency key makes retries safe.',
  })
  redeemEntitlement(
    @Arg('token', () => String) token: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Arg('units', () => Int, { defaultValue: 1 }) units: number,
    @Ctx() ctx: RequestContext,
  ): Promise<Redemption> {
    const partner = requirePartner(ctx.principal, 'redeemEntitlement');
    return ctx.services.redemptions.redeem(partner.partnerId, { token, idempotencyKey, units });
  }

  @FieldResolver(() => EntitlementType)
  async entitlement(@Root() redemption: Redemption, @Ctx() ctx: RequestContext): Promise<Entitlement> {
    return (await ctx.loaders.entitlementById.load(redemption.entitlement.id))!;
  }
}
