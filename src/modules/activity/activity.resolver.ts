import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireAdmin } from '../../platform/guards.js';
import type { ActivityView } from './activity.service.js';
import { ActivityInputType, ActivityObjectType } from './activity.types.js';

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
