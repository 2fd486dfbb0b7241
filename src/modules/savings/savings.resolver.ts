import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { localize } from '../../platform/localized.js';
import { formatMoney, MembershipType, type MembershipView } from '../membership/index.js';
import { SavingsType } from './savings.types.js';

@Resolver(() => MembershipType)
export class MembershipSavingsResolver {
  @FieldResolver(() => SavingsType, { description: '"Total saved": the value of what the membership gave against its fees' })
  async savings(@Root() membership: MembershipView, @Ctx() ctx: RequestContext): Promise<SavingsType> {
    const view = await ctx.services.savings.forMembership(membership);
    const saved = formatMoney(view.sinceJoined);
    const paid = formatMoney(view.feesPaid);
    const summary = localize({ en: `You saved ${saved} on a ${paid} membership`, 'zh-CN': `会员费 ${paid}，已为您节省 ${saved}` }, ctx.locale);
    return { ...view, summary };
  }
}
