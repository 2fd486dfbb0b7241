import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { EntitlementType, type Entitlement } from '../entitlement/index.js';
import { MemberType, type MemberView } from '../member/index.js';
import { MembershipType, type Membership } from '../membership/index.js';
import { Capability } from '../../platform/capabilities.js';
import type { RequestContext } from '../../platform/context.js';
import { requireCapability } from '../../platform/guards.js';
import { MAX_LOOKUP_RESULTS } from './member-lookup.js';
import type { EntitlementCounts, SupportMemberView } from './support.service.js';
import { EntitlementCountsType, SupportMemberType } from './support.types.js';

@Resolver(() => SupportMemberType)
export class SupportResolver {
  @Query(() => [SupportMemberType], {
    description:
      'Members found by a member, membership or entitlement id, or the sign-in subject, newest first (admins, support; audited with the query)',
  })
  memberLookup(
    @Arg('query', () => String) query: string,
    @Arg('first', () => Int, { defaultValue: 20, description: `At most ${MAX_LOOKUP_RESULTS}` }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<SupportMemberView[]> {
    requireCapability(ctx.principal, 'memberLookup', Capability.LOOK_UP_MEMBERS);
    return ctx.services.support.lookup(query, first, auditContextOf(ctx));
  }

  @Query(() => SupportMemberType, { description: 'One member as support sees them, erased or not (admins, support; audited); NOT_FOUND for an unknown id' })
  memberProfile(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: RequestContext): Promise<SupportMemberView> {
    requireCapability(ctx.principal, 'memberProfile', Capability.LOOK_UP_MEMBERS);
    return ctx.services.support.profile(memberId, auditContextOf(ctx));
  }

  @FieldResolver(() => Boolean)
  erased(@Root() member: SupportMemberView): boolean {
    return member.erasedAt !== null;
  }

  @FieldResolver(() => MemberType, { description: 'What the member sees in `me` (membership, entitlements, tier, points and their history, …), at their own clock' })
  async member(@Root() member: SupportMemberView, @Ctx() ctx: RequestContext): Promise<MemberView> {
    return { id: member.id, asOf: await ctx.services.support.nowOf(member.id) };
  }

  @FieldResolver(() => ID, { nullable: true, description: 'The test clock the member is on; null on real time' })
  async testClockId(@Root() member: SupportMemberView, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.services.support.clockOf(member.id))?.clockId ?? null;
  }

  @FieldResolver(() => Date, { description: "The member's now: their test clock's time, or real time" })
  now(@Root() member: SupportMemberView, @Ctx() ctx: RequestContext): Promise<Date> {
    return ctx.services.support.nowOf(member.id);
  }

  @FieldResolver(() => [MembershipType], { description: 'Every membership, newest first, ended ones included (each one\'s periods: membershipTimeline)' })
  memberships(@Root() member: SupportMemberView, @Ctx() ctx: RequestContext): Promise<Membership[]> {
    return ctx.services.support.memberships(member.id);
  }

  @FieldResolver(() => [EntitlementType], { description: 'Rights of every period and status (revoked and expired included), latest period end first' })
  entitlements(
    @Root() member: SupportMemberView,
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most 500' }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<Entitlement[]> {
    return ctx.services.support.entitlements(member.id, first);
  }

  @FieldResolver(() => EntitlementCountsType)
  entitlementCounts(@Root() member: SupportMemberView, @Ctx() ctx: RequestContext): Promise<EntitlementCounts> {
    return ctx.services.support.entitlementCounts(member.id);
  }
}
