import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { localize } from '../../platform/localized.js';
import { MemberType, type MemberView } from '../member/index.js';
import { expiryReminderText } from './lot-due-work.js';
import type { PointsAccountView } from './points.service.js';
import { PointsAccountType, PointsExpiryType, PointsLotType, PointsRewardCountType } from './points.types.js';

const MAX_DAYS = 366;

@Resolver(() => MemberType)
export class MemberPointsResolver {
  @FieldResolver(() => PointsAccountType, { description: "The member's coalition points: balance, debt and every lot with its expiry" })
  points(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<PointsAccountView> {
    return ctx.services.points.account(member.id);
  }
}

@Resolver(() => PointsAccountType)
export class PointsAccountResolver {
  @FieldResolver(() => [PointsLotType])
  lots(@Root() account: PointsAccountView): PointsLotType[] {
    return account.lots;
  }

  @FieldResolver(() => [PointsExpiryType], { description: 'Points expiring within `days`, by day, each with what it buys' })
  async expiring(
    @Root() account: PointsAccountView,
    @Arg('days', () => Int, { defaultValue: 90 }) days: number,
    @Ctx() ctx: RequestContext,
  ): Promise<PointsExpiryType[]> {
    new InputValidator().check(days >= 1 && days <= MAX_DAYS, 'days', `must be between 1 and ${MAX_DAYS}`).throwIfInvalid();
    const [expiries, program] = await Promise.all([ctx.services.points.expiring(account, days), ctx.services.loyaltyProgram.current()]);
    return expiries.map((e) => ({
      points: e.points,
      expiresAt: e.expiresAt,
      buys: e.buys.map((b): PointsRewardCountType => ({ reward: b.reward.code, name: localize(b.reward.name, ctx.locale), count: b.count })),
      explanation: localize(expiryReminderText(e.points, e.expiresAt, program, ctx.services.loyaltyProgram.timeZone).body, ctx.locale),
    }));
  }
}
