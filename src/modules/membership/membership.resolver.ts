import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin, requireMember } from '../auth/index.js';
import type { Plan } from '../plan/plan.entity.js';
import { PlanType } from '../plan/plan.types.js';
import type { RequestContext } from '../../hosting/request-scope.js';
import type { Membership } from './membership.entity.js';
import { MembershipType } from './membership.types.js';

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
