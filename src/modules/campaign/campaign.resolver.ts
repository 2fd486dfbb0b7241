import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability, requireStaff } from '../../platform/guards.js';
import { auditContextOf } from '../audit/index.js';
import { StaffRole } from '../../platform/principal.js';
import { localize, type Locale } from '../../platform/localized.js';
import { MemberType, type MemberView } from '../member/index.js';
import type { CampaignView } from './campaign.service.js';
import { CampaignInputType, CampaignType } from './campaign.types.js';

async function campaignType(ctx: RequestContext, c: CampaignView & { nextAt?: Date }, locale: Locale): Promise<CampaignType> {
  const program = await ctx.services.loyaltyProgram.current();
  const { grants, membersReached, minTierRank, ...rest } = c;
  return {
    ...rest,
    name: localize(c.name, locale),
    offer: localize(c.offer, locale),
    minTier: program.tiers.find((t) => t.rank === minTierRank)?.code ?? program.baseTier.code,
    grants,
    membersReached,
    nextAt: c.nextAt ?? null,
  };
}

@Resolver(() => CampaignType)
export class CampaignResolver {
  @Query(() => [CampaignType], { description: 'Every campaign and member day, with what each granted (admins, product managers, support, analysts)' })
  async campaigns(@Ctx() ctx: RequestContext): Promise<CampaignType[]> {
    requireStaff(ctx.principal, 'campaigns', [StaffRole.PRODUCT_MANAGER, StaffRole.SUPPORT, StaffRole.ANALYST]);
    return Promise.all((await ctx.services.campaigns.list()).map((c) => campaignType(ctx, c, ctx.locale)));
  }

  @Mutation(() => CampaignType, { description: 'A new campaign or member day (admins, product managers); audited as campaign.create' })
  async createCampaign(@Arg('input', () => CampaignInputType) input: CampaignInputType, @Ctx() ctx: RequestContext): Promise<CampaignType> {
    requireCapability(ctx.principal, 'createCampaign', Capability.CONFIGURE);
    const text = (t: { en: string; zhCN: string }) => ({ en: t.en, 'zh-CN': t.zhCN });
    return campaignType(ctx, await ctx.services.campaigns.create({ ...input, name: text(input.name), offer: text(input.offer) }, auditContextOf(ctx)), ctx.locale);
  }

  @Mutation(() => CampaignType, { description: 'Starts or stops a campaign (admins, product managers); what it granted stays. Audited as campaign.activate or campaign.deactivate' })
  async setCampaignActive(@Arg('code', () => String) code: string, @Arg('active', () => Boolean) active: boolean, @Ctx() ctx: RequestContext): Promise<CampaignType> {
    requireCapability(ctx.principal, 'setCampaignActive', Capability.CONFIGURE);
    return campaignType(ctx, await ctx.services.campaigns.setActive(code, active, auditContextOf(ctx)), ctx.locale);
  }
}

@Resolver(() => MemberType)
export class MemberCampaignsResolver {
  @FieldResolver(() => [CampaignType], { description: 'Member-only campaigns and member days the member is eligible for, on now or within a month' })
  async campaigns(@Root() member: MemberView, @Ctx() ctx: RequestContext): Promise<CampaignType[]> {
    return Promise.all((await ctx.services.campaigns.forMember(member.id)).map((c) => campaignType(ctx, c, ctx.locale)));
  }
}

