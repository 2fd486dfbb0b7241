import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { AppError } from '../../platform/errors.js';
import { requireAdmin, requireAdminOrChannel, requireMember } from '../../platform/guards.js';
import { auditContextOf } from '../audit/index.js';
import { MemberType, type MemberView } from '../member/index.js';
import type { ActivityView } from './activity.service.js';
import { ActivityInputType, ActivityObjectType, BirthdayType, ChannelApiKeyCreatedType, ChannelApiKeyType } from './activity.types.js';

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
    const caller = requireAdminOrChannel(ctx.principal, 'recordActivity');
    if (caller.kind === 'channel' && input.channel.trim() !== caller.channel) {
      throw AppError.badInput([{ field: 'channel', message: `this key records in channel "${caller.channel}" only` }]);
    }
    return activityType(await ctx.services.activities.record(input));
  }

  @Query(() => [ChannelApiKeyType], { description: "Our channels' API keys (admins)" })
  channelApiKeys(@Ctx() ctx: RequestContext): Promise<ChannelApiKeyType[]> {
    requireAdmin(ctx.principal, 'channelApiKeys');
    return ctx.services.channelKeys.list();
  }

  @Mutation(() => ChannelApiKeyCreatedType, { description: 'A new API key for one of our channels, shown once (admins): it records activities in that channel' })
  createChannelApiKey(@Arg('channel', () => String) channel: string, @Ctx() ctx: RequestContext): Promise<ChannelApiKeyCreatedType> {
    requireAdmin(ctx.principal, 'createChannelApiKey');
    return ctx.services.channelKeys.create(channel, auditContextOf(ctx));
  }

  @Mutation(() => Boolean, { description: "Revokes a channel's API key at once (admins); false when unknown or revoked already" })
  revokeChannelApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    requireAdmin(ctx.principal, 'revokeChannelApiKey');
    return ctx.services.channelKeys.revoke(id, auditContextOf(ctx));
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
