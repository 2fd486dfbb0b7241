import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin, requireMember } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { Membership } from './membership.entity.js';
import { MembershipType } from './membership.types.js';
import { MemberType, type MemberView } from '../member/index.js';
import { type Plan, PlanType } from '../plan/index.js';

@Resolver(() => MembershipType)
export class MembershipResolver {
  @Mutation(() => MembershipType, {
    description: 'Buys a plan. Repeating the idempotency key with the same plan returns the first result.',
  })
  subscribe(
    @Arg('planCode', () => String) planCode: string,
    @Arg('idempotencyKey', () => String) idempotencyKey: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Membership> {
    const member = requireMember(ctx.principal, 'subscribe');
    return ctx.services.memberships.subscribe(member.memberId, planCode, idempotencyKey);
  }

  @Mutation(() => MembershipType, { description: 'Cancels at the end of the paid period; rights stay until then' })
  cancelMembership(@Arg('membershipId', () => ID) membershipId: string, @Ctx() ctx: RequestContext): Promise<Membership> {
    const member = requireMember(ctx.principal, 'cancelMembership');
    return ctx.services.memberships.cancelAtPeriodEnd(member.memberId, membershipId);
  }

  @Mutation(() => MembershipType, {
    description: 'Refunds a membership now (admins): its rights are revoked here and at the partners',
  })
  refundMembership(@Arg('membershipId', () => ID) membershipId: string, @Ctx() ctx: RequestContext): Promise<Membership> {
    requireAdmin(ctx.principal, 'refundMembership');
    return ctx.services.memberships.refund(membershipId, auditContextOf(ctx));
  }

  @FieldResolver(() => PlanType)
  async plan(@Root() membership: Membership, @Ctx() ctx: RequestContext): Promise<Plan> {
    return (await ctx.loaders.planById.load(membership.plan.id))!;
  }
}

@Resolver(() => MemberType)
export class MemberMembershipResolver {
  @FieldResolver(() => MembershipType, { nullable: true, description: 'The current paid membership; null when none' })
  membership(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<Membership | null> {
    return ctx.services.memberships.current(member.id);
  }
}
