import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireMember } from '../../platform/guards.js';
import { MemberType, type MemberView } from './member.types.js';

@Resolver(() => MemberType)
export class MemberResolver {
  @Query(() => MemberType, { description: 'The calling member (created on first authenticated use)' })
  me(@Ctx() ctx: RequestContext): MemberView {
    return { id: requireMember(ctx.principal, 'me').memberId };
  }
}
