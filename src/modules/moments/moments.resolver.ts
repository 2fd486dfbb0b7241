import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireMember } from '../../platform/guards.js';
import { MemberType, type MemberView } from '../member/index.js';
import { MomentKind } from './moment.entity.js';
import { MessagingPreferencesType, QuietHoursInput } from './moments.types.js';
import type { MessagingPreferencesView } from './preferences.service.js';

@Resolver(() => MemberType)
export class MemberMessagingResolver {
  @FieldResolver(() => MessagingPreferencesType, { description: 'How the member wants to hear about their moments: locale, opt-outs, quiet hours' })
  messagingPreferences(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<MessagingPreferencesView> {
    return ctx.services.messagingPreferences.get(member.id);
  }
}

@Resolver(() => MessagingPreferencesType)
export class MessagingPreferencesResolver {
  @Mutation(() => MessagingPreferencesType, {
    description:
      "Changes how the caller hears about their moments. An argument left out is kept; null goes back to the program's default. `optOut` replaces the list of kinds opted out of.",
  })
  setMessagingPreferences(
    @Arg('locale', () => String, { nullable: true, description: 'en or zh-CN' }) locale: string | null | undefined,
    @Arg('optOut', () => [MomentKind], { nullable: true }) optOut: MomentKind[] | null | undefined,
    @Arg('marketingOptOut', () => Boolean, { nullable: true }) marketingOptOut: boolean | null | undefined,
    @Arg('quietHours', () => QuietHoursInput, { nullable: true }) quietHours: QuietHoursInput | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<MessagingPreferencesView> {
    const member = requireMember(ctx.principal, 'setMessagingPreferences');
    return ctx.services.messagingPreferences.set(member.memberId, { locale, optOut, marketingOptOut, quietHours });
  }
}
