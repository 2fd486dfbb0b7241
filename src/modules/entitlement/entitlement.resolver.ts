import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { Entitlement } from './entitlement.entity.js';
import { remainingOf, type EntitlementView } from './entitlement.service.js';
import { EntitlementType } from './entitlement.types.js';
import { MemberType, type MemberView } from '../member/index.js';
import { type Benefit, BenefitType } from '../bundle/index.js';

@Resolver(() => EntitlementType)
export class EntitlementResolver {
  @Mutation(() => EntitlementType, {
    description:
      "Takes one right back now (admins, support; e.g. fraud): revoked here and at its partner, its live tokens invalid in the partner's status list",
  })
  revokeEntitlement(
    @Arg('entitlementId', () => ID) entitlementId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Entitlement> {
    requireCapability(ctx.principal, 'revokeEntitlement', Capability.REVOKE);
    return ctx.services.entitlements.revoke(entitlementId, reason, auditContextOf(ctx));
  }

  @FieldResolver(() => BenefitType)
  async benefit(@Root() entitlement: Pick<EntitlementView, 'benefit'>, @Ctx() ctx: RequestContext): Promise<Benefit> {
    return (await ctx.loaders.benefitById.load(entitlement.benefit.id))!;
  }

  @FieldResolver(() => Int, { nullable: true })
  remaining(@Root() entitlement: Pick<EntitlementView, 'quota' | 'used'>): number | null {
    return remainingOf(entitlement);
  }

  @FieldResolver(() => Int, { nullable: true })
  quota(@Root() entitlement: Pick<EntitlementView, 'quota'>): number | null {
    return entitlement.quota ?? null;
  }

  @FieldResolver(() => Date)
  validFrom(@Root() entitlement: Pick<EntitlementView, 'periodStart'>): Date {
    return entitlement.periodStart;
  }

  @FieldResolver(() => Date)
  validUntil(@Root() entitlement: Pick<EntitlementView, 'periodEnd'>): Date {
    return entitlement.periodEnd;
  }
}

@Resolver(() => MemberType)
export class MemberEntitlementsResolver {
  @FieldResolver(() => [EntitlementType], { description: 'Rights whose period contains now' })
  entitlements(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<EntitlementView[]> {
    return ctx.services.entitlements.listCurrent(member.id, member.asOf);
  }
}
