import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability, requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import { localize, type Locale, type LocalizedText } from '../../platform/localized.js';
import { FigureBucket, type FigureRange } from './figures.service.js';
import {
  BenefitUtilizationFiguresType,
  BundleCostSimulationType,
  MemberGrowthFiguresType,
  MemberValueFiguresType,
  OrderValueFiguresType,
  PaidConversionFiguresType,
  PartnerDependencyFiguresType,
  PartnerExitFiguresType,
  PointsLiabilityFiguresType,
  PointsOutstandingFiguresType,
  ProgramFiguresRunType,
  RenewalFiguresType,
  TierFiguresType,
  UtilizationOverrideInput,
} from './figures.types.js';

/** A view with its localized names (`…Name: LocalizedText`) as strings. */
type Localized<T> = T extends Date
  ? T
  : T extends LocalizedText
    ? string
    : T extends ReadonlyArray<infer U>
      ? Localized<U>[]
      : T extends object
        ? { [K in keyof T]: Localized<T[K]> }
        : T;

/** Names the figures carry in every language (`benefitName`, `partnerName`, …), in the caller's. */
function localized<T>(value: T, locale: Locale): Localized<T> {
  if (Array.isArray(value)) return value.map((v) => localized(v, locale)) as Localized<T>;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value as Localized<T>;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key.endsWith('Name') && v && typeof v === 'object' ? localize(v as LocalizedText, locale) : localized(v, locale)]),
  ) as Localized<T>;
}

const RANGE = { from: 'Start of the range (its program day counts)', to: 'End of the range (exclusive: its program day does not count)' };

/** The program's figures, one query per dashboard (admins, product managers, finance; analysts those without agreed prices). */
@Resolver()
export class ProgramFiguresResolver {
  @Query(() => ProgramFiguresRunType, { description: 'The refresh the figures are read from (admins, product managers, finance, analysts)' })
  programFiguresRun(@Ctx() ctx: RequestContext): Promise<ProgramFiguresRunType> {
    requireCapability(ctx.principal, 'programFiguresRun', Capability.VIEW_FIGURES);
    return ctx.services.programFigures.run();
  }

  @Mutation(() => ProgramFiguresRunType, { description: 'Rebuilds the program figures from the real tables now and says what it took (admins, product managers)' })
  refreshProgramFigures(@Ctx() ctx: RequestContext): Promise<ProgramFiguresRunType> {
    requireStaff(ctx.principal, 'refreshProgramFigures', [StaffRole.PRODUCT_MANAGER]);
    return ctx.services.programFigures.refresh();
  }

  @Query(() => MemberGrowthFiguresType, { description: 'New members and paid members per bucket (admins, product managers, finance, analysts)' })
  async memberGrowthFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Arg('bucket', () => FigureBucket, { defaultValue: FigureBucket.MONTH }) bucket: FigureBucket,
    @Ctx() ctx: RequestContext,
  ): Promise<MemberGrowthFiguresType> {
    requireCapability(ctx.principal, 'memberGrowthFigures', Capability.VIEW_FIGURES);
    return ctx.services.programFigures.memberGrowth({ from, to }, bucket);
  }

  @Query(() => PaidConversionFiguresType, { description: 'Paid conversion of the members who joined in each month of the range (admins, product managers, finance, analysts)' })
  async paidConversionFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<PaidConversionFiguresType> {
    requireCapability(ctx.principal, 'paidConversionFigures', Capability.VIEW_FIGURES);
    return ctx.services.programFigures.paidConversion({ from, to });
  }

  @Query(() => RenewalFiguresType, { description: 'Renewal and repurchase rates per bucket (admins, product managers, finance, analysts)' })
  async renewalFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Arg('bucket', () => FigureBucket, { defaultValue: FigureBucket.MONTH }) bucket: FigureBucket,
    @Ctx() ctx: RequestContext,
  ): Promise<RenewalFiguresType> {
    requireCapability(ctx.principal, 'renewalFigures', Capability.VIEW_FIGURES);
    return ctx.services.programFigures.renewals({ from, to }, bucket);
  }

  @Query(() => OrderValueFiguresType, { description: 'Orders and average order value, refunds deducted, per bucket (admins, product managers, finance, analysts)' })
  async orderValueFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Arg('bucket', () => FigureBucket, { defaultValue: FigureBucket.MONTH }) bucket: FigureBucket,
    @Ctx() ctx: RequestContext,
  ): Promise<OrderValueFiguresType> {
    requireCapability(ctx.principal, 'orderValueFigures', Capability.VIEW_FIGURES);
    return ctx.services.programFigures.orderValue({ from, to }, bucket);
  }

  @Query(() => BenefitUtilizationFiguresType, { description: 'Units used ÷ units granted of membership rights, per benefit and partner (admins, product managers, finance, analysts)' })
  async benefitUtilizationFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<BenefitUtilizationFiguresType> {
    requireCapability(ctx.principal, 'benefitUtilizationFigures', Capability.VIEW_FIGURES);
    return localized(await ctx.services.programFigures.benefitUtilization({ from, to }), ctx.locale);
  }

  @Query(() => MemberValueFiguresType, { description: 'Realized value per paid period against its fee, as Membership.savings values it (admins, product managers, finance, analysts)' })
  async memberValueFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<MemberValueFiguresType> {
    requireCapability(ctx.principal, 'memberValueFigures', Capability.VIEW_FIGURES);
    const { run, value } = await ctx.services.programFigures.memberValue({ from, to });
    return { run, ...value };
  }

  @Query(() => PointsLiabilityFiguresType, { description: 'The points liability in money with its expiry curve (admins, product managers, finance)' })
  async pointsLiabilityFigures(@Ctx() ctx: RequestContext): Promise<PointsLiabilityFiguresType> {
    requireCapability(ctx.principal, 'pointsLiabilityFigures', Capability.SETTLEMENT);
    const { run, liability } = await ctx.services.programFigures.pointsLiability();
    return { run, ...liability };
  }

  @Query(() => PointsOutstandingFiguresType, {
    description: 'Points outstanding and their expiry curve, in points (admins, product managers, finance, analysts): the liability for those who may not see partner prices',
  })
  async pointsOutstandingFigures(@Ctx() ctx: RequestContext): Promise<PointsOutstandingFiguresType> {
    requireCapability(ctx.principal, 'pointsOutstandingFigures', Capability.VIEW_FIGURES);
    const { run, liability } = await ctx.services.programFigures.pointsLiability();
    return {
      run,
      outstandingPoints: liability.outstandingPoints,
      members: liability.members,
      debtPoints: liability.debtPoints,
      expiry: liability.expiry.map(({ month, points, members }) => ({ month, points, members })),
    };
  }

  @Query(() => TierFiguresType, { description: 'Members per tier now and tier moves per month of the range (admins, product managers, finance, analysts)' })
  async tierFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<TierFiguresType> {
    requireCapability(ctx.principal, 'tierFigures', Capability.VIEW_FIGURES);
    const { run, tiers } = await ctx.services.programFigures.tiers({ from, to });
    return localized({ run, ...tiers }, ctx.locale);
  }

  @Query(() => PartnerDependencyFiguresType, { description: 'Each partner’s share of realized value and of points issued (admins, product managers, finance, analysts)' })
  async partnerDependencyFigures(
    @Arg('from', () => Date, { description: RANGE.from }) from: Date,
    @Arg('to', () => Date, { description: RANGE.to }) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<PartnerDependencyFiguresType> {
    requireCapability(ctx.principal, 'partnerDependencyFigures', Capability.VIEW_FIGURES);
    const { run, dependency } = await ctx.services.programFigures.partnerDependency({ from, to });
    return localized({ run, ...dependency }, ctx.locale);
  }

  @Query(() => PartnerExitFiguresType, { description: '"What if this partner leaves" (admins, product managers, finance)' })
  async partnerExitFigures(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<PartnerExitFiguresType> {
    requireCapability(ctx.principal, 'partnerExitFigures', Capability.SETTLEMENT);
    const { run, exit } = await ctx.services.programFigures.partnerExit(partnerId);
    return localized({ run, ...exit }, ctx.locale);
  }

  @Query(() => BundleCostSimulationType, { description: 'Partner and points cost per member and period of a bundle version against each plan fee (admins, product managers, finance)' })
  async bundleCostSimulation(
    @Arg('bundleVersionId', () => ID) bundleVersionId: string,
    @Arg('utilization', () => [UtilizationOverrideInput], { nullable: true, description: 'Utilizations to simulate instead of the observed ones' }) utilization: UtilizationOverrideInput[] | null,
    @Arg('pointsPerPeriod', () => Int, { nullable: true, description: 'Points per member and period to simulate instead of the observed' }) pointsPerPeriod: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<BundleCostSimulationType> {
    requireCapability(ctx.principal, 'bundleCostSimulation', Capability.SETTLEMENT);
    const overrides = { utilization: new Map((utilization ?? []).map((u) => [u.benefitCode, u.utilization])), pointsPerPeriod: pointsPerPeriod ?? null };
    const { run, cost } = await ctx.services.programFigures.bundleCost(bundleVersionId, overrides);
    return localized({ run, ...cost }, ctx.locale);
  }
}

export type { FigureRange };
