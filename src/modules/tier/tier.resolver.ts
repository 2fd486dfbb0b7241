import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { localize, type Locale } from '../../platform/localized.js';
import { MemberType, type MemberView } from '../member/index.js';
import type { TierRung } from '../loyalty-program/index.js';
import type { MemberTierView, TierProgressView } from './tier.service.js';
import { MemberTierType, TierProgressType } from './tier.types.js';

function tierType(tier: TierRung, since: Date | null, heldUntil: Date | null, locale: Locale): MemberTierType {
  return { code: tier.code, name: localize(tier.name, locale), since, heldUntil, multiplierPermille: tier.multiplierPermille };
}

@Resolver(() => MemberType)
export class MemberTierResolver {
  @FieldResolver(() => MemberTierType, { description: "The member's tier, since when and until when it is held" })
  async tier(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<MemberTierType> {
    const view: MemberTierView = await ctx.services.tiers.tier(member.id);
    return tierType(view.tier, view.since, view.heldUntil, ctx.locale);
  }

  @FieldResolver(() => TierProgressType, { description: 'What the member needs, and by when, to reach the next tier or keep this one' })
  async tierProgress(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<TierProgressType> {
    const p: TierProgressView = await ctx.services.tiers.progress(member.id);
    const money = (amount: number) => ({ amount, currency: p.currency });
    return {
      tier: tierType(p.current.tier, p.current.since, p.current.heldUntil, ctx.locale),
      qualifyingSpend: money(p.window.spend),
      qualifyingOrders: p.window.orders,
      qualifyingPointsEarned: p.window.pointsEarned,
      nextTier: p.next ? tierType(p.next, null, null, ctx.locale) : null,
      spendToNextTier: p.spendToNext === null ? null : money(p.spendToNext),
      spendToKeep: p.spendToKeep === null ? null : money(p.spendToKeep),
      keepBy: p.keepBy,
      leavingWindow: p.leaving.map((d) => ({ on: d.on, spend: money(d.spend) })),
      explanation: localize(p.explanation, ctx.locale),
    };
  }
}
