import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requirePartner } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { RedemptionPageView } from './redemption-history.service.js';
import type { Redemption } from './redemption.entity.js';
import type { RedemptionView } from './redemption.service.js';
import { RedemptionConnectionType, RedemptionType } from './redemption.types.js';
import { type Benefit, BenefitType } from '../bundle/index.js';
import { type EntitlementView, EntitlementType, memberEntitlementKey } from '../entitlement/index.js';

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
  ): Promise<RedemptionView> {
    const partner = requirePartner(ctx.principal, 'redeemEntitlement');
    return ctx.services.redemptions.redeem(partner.partnerId, { token, idempotencyKey, units }, auditContextOf(ctx));
  }

  @Mutation(() => RedemptionType, {
    description:
      'Voids one of the calling partner\'s redemptions shortly after it was made (REDEMPTION_VOID_WINDOW_SECONDS): the units go back to the entitlement, the token stays used, the void is recorded (partners only)',
  })
  voidRedemption(
    @Arg('redemptionId', () => ID) redemptionId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Redemption> {
    const partner = requirePartner(ctx.principal, 'voidRedemption');
    return ctx.services.redemptions.void(partner.partnerId, redemptionId, reason, auditContextOf(ctx));
  }

  @Query(() => RedemptionConnectionType, {
    description: 'The calling partner\'s redemptions, newest first, optionally redeemed in [from, to) and of one benefit (partners only)',
  })
  partnerRedemptions(
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, at most 200' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Redeemed at or after (inclusive)' }) from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Redeemed before (exclusive)' }) to: Date | null,
    @Arg('benefitCode', () => String, { nullable: true }) benefitCode: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<RedemptionPageView> {
    const partner = requirePartner(ctx.principal, 'partnerRedemptions');
    return ctx.services.redemptionHistory.page(partner.partnerId, { first, after, from, to, benefitCode });
  }

  @FieldResolver(() => EntitlementType)
  async entitlement(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<EntitlementView> {
    return redemption.entitlementAsRedeemed ?? (await ctx.loaders.entitlementOfMember.load(memberEntitlementKey(redemption.memberId, redemption.entitlement.id)))!;
  }

  @FieldResolver(() => BenefitType)
  async benefit(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<Benefit> {
    const entitlement = redemption.entitlementAsRedeemed ?? (await ctx.loaders.entitlementOfMember.load(memberEntitlementKey(redemption.memberId, redemption.entitlement.id)));
    return (await ctx.loaders.benefitById.load(entitlement!.benefit.id))!;
  }

  @FieldResolver(() => String)
  async memberPseudonym(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<string> {
    return ctx.services.pseudonyms.forPartner(redemption.memberId, redemption.partner.id);
  }

  @FieldResolver(() => Boolean)
  async voided(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<boolean> {
    return (await ctx.loaders.voidByRedemptionId.load(redemption.id)) !== undefined;
  }

  @FieldResolver(() => Date, { nullable: true })
  async voidedAt(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<Date | null> {
    return (await ctx.loaders.voidByRedemptionId.load(redemption.id))?.createdAt ?? null;
  }

  @FieldResolver(() => String, { nullable: true })
  async voidReason(@Root() redemption: RedemptionView, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.loaders.voidByRedemptionId.load(redemption.id))?.reason ?? null;
  }
}
