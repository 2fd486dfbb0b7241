import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireAdmin, requireMember } from '../../platform/guards.js';
import { MemberType, type MemberView } from '../member/index.js';
import type { ActivityView } from './activity.service.js';
import { ActivityInputType, ActivityObjectType, BirthdayType } from './activity.types.js';

export function activityType(a: ActivityView): ActivityObjectType {
  return {
    id: a.id,
    memberId: a.memberId,
    type: a.type,
    channel: a.channel,
    externalId: a.externalId,
    amount: a.amount === null ? null : { amount: a.amount, currency: a.currency! },
    refundOf: a.refundOf,
    occurredAt: a.occurredAt,
    postedAt: a.postedAt,
    points: a.points,
    pointsUsed: a.pointsUsed,
    note: a.note,
    tierAfter: a.tierMove?.to ?? null,
  };
}

@Resolver(() => ActivityObjectType)
export class ActivityResolver {
  @Mutation(() => ActivityObjectType, {
    description: 'Records what a member did in one of our channels (admin): purchases, refunds, check-ins, reviews, …; the same (channel, externalId) twice is one activity',
  })
  async recordActivity(@Arg('input', () => ActivityInputType) input: ActivityInputType, @Ctx() ctx: RequestContext): Promise<ActivityObjectType> {
    requireAdmin(ctx.principal, 'recordActivity');
    return activityType(await ctx.services.activities.record(input));
  }
}

@Resolver(() => MemberType)
export class MemberBirthdayResolver {
  @FieldResolver(() => BirthdayType, { nullable: true, description: "The member's birthday, when they set it" })
  birthday(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<BirthdayType | null> {
    return ctx.services.activities.birthday(member.id);
  }
}

@Resolver(() => BirthdayType)
export class BirthdayResolver {
  @Mutation(() => BirthdayType, { description: 'Sets the calling member\'s birthday, once (BIRTHDAY_ALREADY_SET after): in its month, purchases may earn more' })
  setMyBirthday(@Arg('month', () => Int) month: number, @Arg('day', () => Int) day: number, @Ctx() ctx: RequestContext): Promise<BirthdayType> {
    const member = requireMember(ctx.principal, 'setMyBirthday');
    return ctx.services.activities.setBirthday(member.memberId, month, day);
  }
}
