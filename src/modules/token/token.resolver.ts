import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireMember, requirePartner } from '../../platform/guards.js';
import type { EntitlementView } from '../entitlement/index.js';
import { EntitlementType } from '../entitlement/index.js';
import type { IssuedTokenView, TokenCheckView } from './token.service.js';
import { EntitlementTokenType, TokenCheckType } from './token.types.js';

@Resolver(() => EntitlementTokenType)
export class TokenResolver {
  @Mutation(() => EntitlementTokenType, { description: 'A fresh token for one presentation of the entitlement to its partner' })
  issueEntitlementToken(@Arg('entitlementId', () => ID) entitlementId: string, @Ctx() ctx: RequestContext): Promise<IssuedTokenView> {
    const member = requireMember(ctx.principal, 'issueEntitlementToken');
    return ctx.services.tokens.issue(member.memberId, entitlementId);
  }

  @Query(() => TokenCheckType, {
    description: 'Verifies a token as redeemEntitlement would and says whether it could be redeemed now and what is left, consuming nothing (partners only)',
  })
  checkEntitlementToken(@Arg('token', () => String) token: string, @Ctx() ctx: RequestContext): Promise<TokenCheckView> {
    const partner = requirePartner(ctx.principal, 'checkEntitlementToken');
    return ctx.services.tokens.check(partner.partnerId, token);
  }

  @FieldResolver(() => EntitlementType)
  async entitlement(@Root() token: IssuedTokenView, @Ctx() ctx: RequestContext): Promise<EntitlementView> {
    return (await ctx.loaders.entitlementById.load(token.entitlementId))!;
  }
}
