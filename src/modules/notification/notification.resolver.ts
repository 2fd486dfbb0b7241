import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { localize } from '../../platform/localized.js';
import { MemberType, type MemberView } from '../member/index.js';
import { MemberNotification } from './notification.entity.js';
import { MemberNotificationType } from './notification.types.js';

const MAX_FIRST = 100;

@Resolver(() => MemberNotificationType)
export class MemberNotificationResolver {
  @FieldResolver(() => String)
  title(@Root() notification: MemberNotification, @Ctx() ctx: RequestContext): string {
    return localize(notification.title, ctx.locale);
  }

  @FieldResolver(() => String)
  body(@Root() notification: MemberNotification, @Ctx() ctx: RequestContext): string {
    return localize(notification.body, ctx.locale);
  }
}

@Resolver(() => MemberType)
export class MemberNotificationsResolver {
  @FieldResolver(() => [MemberNotificationType], { description: "The member's notifications, newest first" })
  async notifications(
    @Root() member: MemberView,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<MemberNotification[]> {
    new InputValidator().check(first >= 1 && first <= MAX_FIRST, 'first', `must be between 1 and ${MAX_FIRST}`).throwIfInvalid();
    return ctx.services.notifications.list(member.id, first);
  }
}
