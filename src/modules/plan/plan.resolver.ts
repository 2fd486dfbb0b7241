import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { Money } from '../../platform/graphql-types.js';
import { localize } from '../../platform/localized.js';
import type { Plan } from './plan.entity.js';
import { PlanType } from './plan.types.js';
import { type BundleBenefit, PlanBenefitType } from '../bundle/index.js';

@Resolver(() => PlanType)
export class PlanResolver {
  @Query(() => [PlanType], { description: 'The public catalog of plans on sale' })
  plans(@Ctx() ctx: RequestContext): Promise<Plan[]> {
    return ctx.services.plans.listActive();
  }

  @FieldResolver(() => String)
  name(@Root() plan: Plan, @Ctx() ctx: RequestContext): string {
    return localize(plan.name, ctx.locale);
  }

  @FieldResolver(() => Money)
  price(@Root() plan: Plan): Money {
    return { amount: plan.priceAmount, currency: plan.currency };
  }

  @FieldResolver(() => [PlanBenefitType])
  async benefits(@Root() plan: Plan, @Ctx() ctx: RequestContext): Promise<BundleBenefit[]> {
    const version = await ctx.loaders.currentVersionByBundle.load(plan.bundle.id);
    return version ? ctx.loaders.benefitsByBundleVersion.load(version.id) : [];
  }
}
