import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireMember, requirePartner } from '../../platform/guards.js';
import { activityType } from '../activity/index.js';
import { SettlementType, type SettlementView } from '../settlement/index.js';
import type { PartnerEarningView } from './coalition.service.js';
import {
  MembershipCardCheckType,
  MembershipCardType,
  PartnerOrderInputType,
  PartnerPointsEarningType,
  PartnerPointsSettlementType,
  PartnerRefundInputType,
  PointsBurnType,
} from './coalition.types.js';

function earningType(view: PartnerEarningView): PartnerPointsEarningType {
  return { member: view.member, activity: activityType(view.activity), pointsBalance: view.balance };
}

@Resolver()
export class CoalitionResolver {
  @Mutation(() => MembershipCardType, { description: "A membership card for one partner's till, valid for CARD_TOKEN_TTL_SECONDS (members)" })
  issueMembershipCard(@Arg('partnerId', () => String) partnerId: string, @Ctx() ctx: RequestContext): Promise<MembershipCardType> {
    const member = requireMember(ctx.principal, 'issueMembershipCard');
    return ctx.services.coalition.issueCard(member.memberId, partnerId);
  }

  @Query(() => MembershipCardCheckType, { description: "Who a scanned card is (the member's pseudonym), their tier and points (partners)" })
  async checkMembershipCard(@Arg('card', () => String) card: string, @Ctx() ctx: RequestContext): Promise<MembershipCardCheckType> {
    const partner = requirePartner(ctx.principal, 'checkMembershipCard');
    const check = await ctx.services.coalition.checkCard(partner.partnerId, card);
    return { member: check.member, tier: check.tierCode, pointsBalance: check.balance, expiresAt: check.expiresAt };
  }

  @Mutation(() => PartnerPointsEarningType, { description: "Reports a purchase at the partner's till on a member's card: points at the program's rate for the partner (partners)" })
  async earnPoints(
    @Arg('card', () => String) card: string,
    @Arg('order', () => PartnerOrderInputType) order: PartnerOrderInputType,
    @Ctx() ctx: RequestContext,
  ): Promise<PartnerPointsEarningType> {
    const partner = requirePartner(ctx.principal, 'earnPoints');
    return earningType(await ctx.services.coalition.earn(partner.partnerId, card, order));
  }

  @Mutation(() => PartnerPointsEarningType, { description: "Reports a refund of one of the partner's orders: the points it earned come back out (partners)" })
  async refundPartnerOrder(@Arg('refund', () => PartnerRefundInputType) refund: PartnerRefundInputType, @Ctx() ctx: RequestContext): Promise<PartnerPointsEarningType> {
    const partner = requirePartner(ctx.principal, 'refundPartnerOrder');
    return earningType(await ctx.services.coalition.refund(partner.partnerId, refund));
  }

  @Mutation(() => PointsBurnType, { description: "Burns a member's points for a reward at the partner's till, oldest lots first; the same idempotency key twice burns once (partners)" })
  async burnPoints(
    @Arg('card', () => String) card: string,
    @Arg('points', () => Int) points: number,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Arg('description', () => String, { nullable: true }) description: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<PointsBurnType> {
    const partner = requirePartner(ctx.principal, 'burnPoints');
    const burn = await ctx.services.coalition.burn(partner.partnerId, card, { points, idempotencyKey, description });
    return { id: burn.id, member: burn.member, points: burn.points, pointsBalance: burn.balance, at: burn.at };
  }
}

@Resolver(() => SettlementType)
export class SettlementPointsResolver {
  @FieldResolver(() => PartnerPointsSettlementType, { description: 'Coalition points issued and burned at the partner in the period, and what each side owes for them' })
  points(@Root() settlement: SettlementView, @Ctx() ctx: RequestContext): Promise<PartnerPointsSettlementType> {
    return ctx.services.settlements.pointsSettlement(settlement.partnerId, settlement.from, settlement.to);
  }
}
