import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { requireMember } from '../auth/index.js';
import type { Entitlement } from '../entitlement/entitlement.entity.js';
import { EntitlementType } from '../entitlement/entitlement.types.js';
import type { Membership } from '../membership/membership.entity.js';
import { MembershipType } from '../membership/membership.types.js';
import type { RequestContext } from '../../hosting/request-scope.js';
import { MemberType, type MemberView } from './member.types.js';

@Resolver(() => MemberType)
export class MemberResolver {
  @Query(() => MemberType, { description: 'The calling member (created on first authenticated use)' })
  me(@Ctx() ctx: RequestContext): MemberView {
    return { id: requireMember(ctx.principal, 'me').memberId };
  }

  @FieldResolver(() => MembershipType, { nullable: true })
  membership(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<Membership | null> {
    return ctx.services.memberships.current(member.id);
  }

  @FieldResolver(() => [EntitlementType])
  entitlements(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<Entitlement[]> {
    return ctx.services.entitlements.listCurrent(member.id);
  }
}
