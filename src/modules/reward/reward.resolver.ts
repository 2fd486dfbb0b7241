import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { requireMember } from '../../platform/guards.js';
import { localize } from '../../platform/localized.js';
import { EntitlementType, type EntitlementView } from '../entitlement/index.js';
import { MemberType, type MemberView } from '../member/index.js';
import type { RewardRedemptionView } from './reward.service.js';
import { RewardRedemptionResultType, RewardRedemptionType, RewardType } from './reward.types.js';

type RedemptionOut = Omit<RewardRedemptionType, 'rewardName' | 'entitlement'> & { rewardName: string; entitlementId: string | null };

function out(r: RewardRedemptionView, ctx: RequestContext): RedemptionOut {
  return { ...r, rewardName: localize(r.rewardName, ctx.locale) };
}

@Resolver(() => MemberType)
export class MemberRewardsResolver {
  @FieldResolver(() => [RewardType], { description: 'The rewards points buy, cheapest first, each with whether the member can afford it now' })
  async rewards(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<RewardType[]> {
    const { balance } = await ctx.services.points.account(member.id);
    return (await ctx.services.rewards.catalog(balance)).map((r) => ({ ...r, name: localize(r.name, ctx.locale) }));
  }

  @FieldResolver(() => [RewardRedemptionType], { description: 'Rewards the member bought with points, newest first' })
  async rewardRedemptions(
    @Root() member: MemberView,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<RedemptionOut[]> {
    new InputValidator().check(first >= 1 && first <= 100, 'first', 'must be between 1 and 100').throwIfInvalid();
    return (await ctx.services.rewards.list(member.id, first)).map((r) => out(r, ctx));
  }
}

@Resolver(() => RewardRedemptionType)
export class RewardRedemptionResolver {
  @Mutation(() => RewardRedemptionResultType, {
    description:
      'Buys a reward with points (oldest lots first) and grants the right that delivers it; the same idempotency key twice is one redemption (members)',
  })
  async redeemReward(
    @Arg('rewardCode', () => String) rewardCode: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: RequestContext,
  ): Promise<{ redemption: RedemptionOut; pointsBalance: number }> {
    const member = requireMember(ctx.principal, 'redeemReward');
    const { redemption, balance } = await ctx.services.rewards.redeem(member.memberId, rewardCode, idempotencyKey);
    return { redemption: out(redemption, ctx), pointsBalance: balance };
  }

  @Mutation(() => RewardRedemptionResultType, {
    description: 'Gives a redemption back while nothing of it was used: the right revoked, the points back with their own expiry (members)',
  })
  async cancelRewardRedemption(
    @Arg('redemptionId', () => ID) redemptionId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<{ redemption: RedemptionOut; pointsBalance: number }> {
    const member = requireMember(ctx.principal, 'cancelRewardRedemption');
    const { redemption, balance } = await ctx.services.rewards.cancel(member.memberId, redemptionId);
    return { redemption: out(redemption, ctx), pointsBalance: balance };
  }

  @FieldResolver(() => EntitlementType, { nullable: true })
  async entitlement(@Root() redemption: RedemptionOut, @Ctx() ctx: RequestContext): Promise<EntitlementView | null> {
    return redemption.entitlementId ? ((await ctx.loaders.entitlementById.load(redemption.entitlementId)) ?? null) : null;
  }
}
