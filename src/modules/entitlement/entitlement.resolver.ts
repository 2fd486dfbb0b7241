import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin, requireMember } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { Entitlement } from './entitlement.entity.js';
import { remainingOf } from './entitlement.service.js';
import type { IssuedTokenView } from './entitlement-token.service.js';
import { EntitlementTokenType, EntitlementType } from './entitlement.types.js';
import { MemberType, type MemberView } from '../member/index.js';
import { type Benefit, BenefitType } from '../bundle/index.js';

@Resolver(() => EntitlementType)
export class EntitlementResolver {
  @Mutation(() => EntitlementTokenType, { description: 'A fresh token for one presentation of the entitlement to its partner' })
  issueEntitlementToken(
    @Arg('entitlementId', () => ID) entitlementId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IssuedTokenView> {
    const member = requireMember(ctx.principal, 'issueEntitlementToken');
    return ctx.services.tokens.issue(member.memberId, entitlementId);
  }

  @Mutation(() => EntitlementType, {
    description:
      "Takes one right back now (admins, e.g. fraud): revoked here and at its partner, its live tokens invalid in the partner's status list",
  })
  revokeEntitlement(
    @Arg('entitlementId', () => ID) entitlementId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Entitlement> {
    requireAdmin(ctx.principal, 'revokeEntitlement');
    return ctx.services.entitlements.revoke(entitlementId, reason, auditContextOf(ctx));
  }

  @FieldResolver(() => BenefitType)
  async benefit(@Root() entitlement: Entitlement, @Ctx() ctx: RequestContext): Promise<Benefit> {
    return (await ctx.loaders.benefitById.load(entitlement.benefit.id))!;
  }

  @FieldResolver(() => Int, { nullable: true })
  remaining(@Root() entitlement: Entitlement): number | null {
    return remainingOf(entitlement);
  }

  @FieldResolver(() => Int, { nullable: true })
  quota(@Root() entitlement: Entitlement): number | null {
    return entitlement.quota ?? null;
  }

  @FieldResolver(() => Date)
  validFrom(@Root() entitlement: Entitlement): Date {
    return entitlement.periodStart;
  }

  @FieldResolver(() => Date)
  validUntil(@Root() entitlement: Entitlement): Date {
    return entitlement.periodEnd;
  }
}

@Resolver(() => EntitlementTokenType)
export class EntitlementTokenResolver {
  @FieldResolver(() => EntitlementType)
  async entitlement(@Root() token: IssuedTokenView, @Ctx() ctx: RequestContext): Promise<Entitlement> {
    return (await ctx.loaders.entitlementById.load(token.entitlementId))!;
  }
}

@Resolver(() => MemberType)
export class MemberEntitlementsResolver {
  @FieldResolver(() => [EntitlementType], { description: 'Rights whose period contains now' })
  entitlements(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<Entitlement[]> {
    return ctx.services.entitlements.listCurrent(member.id);
  }
}
