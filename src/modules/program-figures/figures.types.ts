import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { FigureBucket } from './figures.service.js';

registerEnumType(FigureBucket, {
  name: 'FigureBucket',
  description: 'How a range is cut: program days, ISO weeks (from Monday) or calendar months, in the program time zone',
});

@ObjectType('FigureMoney', { description: 'A total in minor units (fen for CNY) with its currency; a 53-bit integer, since program totals pass what Int holds' })
export class FigureMoneyType {
  @Field(() => GraphQLSafeInt)
  amount!: number;

  @Field(() => String)
  currency!: string;
}

@ObjectType('FiguresStep', { description: 'One step of a refresh and what it took' })
export class FiguresStepType {
  @Field(() => String)
  name!: string;

  @Field(() => Int)
  ms!: number;
}

@ObjectType('ProgramFiguresRun', { description: 'The refresh every figure is read from: the program figures are rebuilt from the real tables hourly (and on demand)' })
export class ProgramFiguresRunType {
  @Field(() => Date, { description: 'The instant the figures describe' })
  asOf!: Date;

  @Field(() => String, { description: 'The program time zone days and months are cut in' })
  timeZone!: string;

  @Field(() => String, { description: 'The program currency money figures count' })
  currency!: string;

  @Field(() => String, { description: 'SCHEDULE or ON_DEMAND' })
  trigger!: string;

  @Field(() => Int)
  durationMs!: number;

  @Field(() => [FiguresStepType])
  steps!: FiguresStepType[];
}

@ObjectType('MemberGrowthBucket')
export class MemberGrowthBucketType {
  @Field(() => Date)
  start!: Date;

  @Field(() => Date, { description: 'Exclusive' })
  end!: Date;

  @Field(() => Int, { description: 'Members who joined in the bucket' })
  newMembers!: number;

  @Field(() => Int, { description: 'Members whose first paid period started in the bucket' })
  newPaidMembers!: number;

  @Field(() => Int, { description: 'Members who had joined by the end of the bucket' })
  totalMembers!: number;

  @Field(() => Int, { description: 'Members holding a paid period at the end of the bucket (a period ending on its last day no longer counts)' })
  paidMembers!: number;
}

@ObjectType('MemberGrowthFigures', { description: 'New members and paid members over time' })
export class MemberGrowthFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [MemberGrowthBucketType])
  buckets!: MemberGrowthBucketType[];
}

@ObjectType('ConversionCohort', { description: 'Members who joined in one program month, and how many of them ever paid for a plan' })
export class ConversionCohortType {
  @Field(() => Date, { description: 'The start of the month they joined in' })
  month!: Date;

  @Field(() => Int)
  members!: number;

  @Field(() => Int, { description: 'Of them, members who ever held a paid period (a payment that went through and was not wholly refunded)' })
  converted!: number;

  @Field(() => Int, { description: 'Of them, members whose first paid period started within 30 days of joining' })
  convertedWithin30Days!: number;

  @Field(() => Float, { nullable: true, description: 'converted ÷ members' })
  conversionRate!: number | null;
}

@ObjectType('PaidConversionFigures', { description: 'Paid conversion per cohort month' })
export class PaidConversionFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [ConversionCohortType])
  cohorts!: ConversionCohortType[];
}

@ObjectType('RenewalBucket')
export class RenewalBucketType {
  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;

  @Field(() => Int, { description: 'Paid periods that ran to their end in the bucket (not cut short by a refund or a plan change)' })
  periodsDue!: number;

  @Field(() => Int, { description: 'Of them, the ones a paid period of the same membership followed' })
  periodsRenewed!: number;

  @Field(() => Int, { description: 'Of them, the ones neither renewed nor ended yet (in grace)' })
  periodsPending!: number;

  @Field(() => Float, { nullable: true, description: 'periodsRenewed ÷ periodsDue' })
  renewalRate!: number | null;

  @Field(() => Int, { description: 'Memberships with a paid period that ended in the bucket' })
  membershipsEnded!: number;

  @Field(() => Int, { description: 'Of them, the ones whose member paid for another membership afterwards' })
  repurchased!: number;

  @Field(() => Float, { nullable: true, description: 'repurchased ÷ membershipsEnded' })
  repurchaseRate!: number | null;
}

@ObjectType('RenewalFigures', { description: 'Renewal rate (by when periods came due) and repurchase rate (by when memberships ended)' })
export class RenewalFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [RenewalBucketType])
  buckets!: RenewalBucketType[];
}

@ObjectType('OrderValueBucket')
export class OrderValueBucketType {
  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;

  @Field(() => Int, { description: 'PURCHASE activities in the program currency that happened in the bucket' })
  orders!: number;

  @Field(() => FigureMoneyType)
  gross!: FigureMoneyType;

  @Field(() => FigureMoneyType, { description: 'What refunds took back of those orders, whenever refunded' })
  refunded!: FigureMoneyType;

  @Field(() => FigureMoneyType)
  net!: FigureMoneyType;

  @Field(() => FigureMoneyType, { nullable: true, description: 'net ÷ orders; null without orders' })
  averageOrderValue!: FigureMoneyType | null;
}

@ObjectType('OrderValueFigures', { description: 'Average order value from PURCHASE activities, refunds deducted' })
export class OrderValueFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [OrderValueBucketType])
  buckets!: OrderValueBucketType[];
}

@ObjectType('FiguresBenefit', { description: 'A benefit and its partner, as the figures name them' })
export class FiguresBenefitType {
  @Field(() => ID)
  benefitId!: string;

  @Field(() => String)
  benefitCode!: string;

  @Field(() => String)
  benefitName!: string;

  @Field(() => String, { description: 'ACCESS, QUOTA, VOUCHER, DISCOUNT or CONVERSION' })
  kind!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  partnerName!: string;
}

@ObjectType('BenefitUtilization', { description: "One benefit's membership rights with one quota" })
export class BenefitUtilizationType extends FiguresBenefitType {
  @Field(() => Int, { nullable: true, description: 'The rights’ quota; null without one (ACCESS)' })
  quota!: number | null;

  @Field(() => Int)
  rights!: number;

  @Field(() => GraphQLSafeInt, { description: 'QUOTA and VOUCHER: their quotas; ACCESS: one per right; CONVERSION: the units to credit' })
  unitsGranted!: number;

  @Field(() => GraphQLSafeInt, { description: 'QUOTA and VOUCHER: units taken, net of voids; ACCESS: rights the partner acknowledged; CONVERSION: units credited' })
  unitsUsed!: number;

  @Field(() => Float, { nullable: true, description: 'unitsUsed ÷ unitsGranted' })
  utilization!: number | null;

  @Field(() => FigureMoneyType, { description: 'The member-facing value the rights gave (the savings valuation)' })
  value!: FigureMoneyType;
}

@ObjectType('BenefitUtilizationFigures', { description: 'Units used ÷ units granted of membership rights whose period started in the range’s months, per benefit, partner and quota' })
export class BenefitUtilizationFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [BenefitUtilizationType])
  benefits!: BenefitUtilizationType[];
}

@ObjectType('ValueBand', { description: 'Paid periods whose value received ÷ fee falls in [minRatio, maxRatio)' })
export class ValueBandType {
  @Field(() => Int)
  band!: number;

  @Field(() => String)
  label!: string;

  @Field(() => Float, { nullable: true })
  minRatio!: number | null;

  @Field(() => Float, { nullable: true })
  maxRatio!: number | null;

  @Field(() => Int)
  periods!: number;
}

@ObjectType('PlanValue')
export class PlanValueType {
  @Field(() => String)
  planCode!: string;

  @Field(() => Int)
  periods!: number;

  @Field(() => FigureMoneyType)
  fees!: FigureMoneyType;

  @Field(() => FigureMoneyType)
  value!: FigureMoneyType;

  @Field(() => Float, { nullable: true })
  valueToFee!: number | null;
}

@ObjectType('MemberValueFigures', {
  description: 'Realized value per paid period against its fee ("total saved", valued as Membership.savings is), for paid periods started in the range’s months',
})
export class MemberValueFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => String)
  currency!: string;

  @Field(() => Int)
  periods!: number;

  @Field(() => FigureMoneyType)
  fees!: FigureMoneyType;

  @Field(() => FigureMoneyType)
  value!: FigureMoneyType;

  @Field(() => FigureMoneyType, { nullable: true })
  averageFee!: FigureMoneyType | null;

  @Field(() => FigureMoneyType, { nullable: true, description: 'Value a member received per paid period' })
  averageValue!: FigureMoneyType | null;

  @Field(() => Float, { nullable: true, description: 'value ÷ fees' })
  valueToFee!: number | null;

  @Field(() => [ValueBandType])
  bands!: ValueBandType[];

  @Field(() => [PlanValueType])
  byPlan!: PlanValueType[];
}

@ObjectType('PointValuation', { description: 'One way a point turns into cost for the program, per 1,000 points' })
export class PointValuationType {
  @Field(() => String, { description: 'BURN_PRICE (paid to a partner for points burned at its till) or REWARD_COST (a reward’s unit price × units ÷ its points)' })
  basis!: string;

  @Field(() => ID, { nullable: true })
  partnerId!: string | null;

  @Field(() => String, { nullable: true })
  rewardCode!: string | null;

  @Field(() => Float)
  pricePer1000!: number;
}

@ObjectType('LiabilityExpiryMonth')
export class LiabilityExpiryMonthType {
  @Field(() => Date, { nullable: true, description: 'The start of the month the points expire in; null: never' })
  month!: Date | null;

  @Field(() => GraphQLSafeInt)
  points!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => FigureMoneyType)
  amount!: FigureMoneyType;
}

@ObjectType('LiabilityIssuer')
export class LiabilityIssuerType {
  @Field(() => String, { description: '`issued` (the program) or `partner-issued:<id>`' })
  issuer!: string;

  @Field(() => ID, { nullable: true })
  partnerId!: string | null;

  @Field(() => GraphQLSafeInt)
  points!: number;

  @Field(() => FigureMoneyType)
  amount!: FigureMoneyType;
}

@ObjectType('PointsOutstandingExpiryMonth')
export class PointsOutstandingExpiryMonthType {
  @Field(() => Date, { nullable: true, description: 'The start of the month the points expire in; null: never' })
  month!: Date | null;

  @Field(() => GraphQLSafeInt)
  points!: number;

  @Field(() => Int)
  members!: number;
}

@ObjectType('PointsOutstandingFigures', {
  description: 'Points outstanding, by the month they expire, in points only: the liability without the prices agreed with partners (from the same rebuild as pointsLiabilityFigures)',
})
export class PointsOutstandingFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => GraphQLSafeInt)
  outstandingPoints!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => GraphQLSafeInt, { description: 'Points refunds left members owing' })
  debtPoints!: number;

  @Field(() => [PointsOutstandingExpiryMonthType], { description: 'The expiry curve' })
  expiry!: PointsOutstandingExpiryMonthType[];
}

@ObjectType('PointsLiabilityFigures', { description: 'Points outstanding in money, by the month they expire and by who issued them' })
export class PointsLiabilityFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => GraphQLSafeInt)
  outstandingPoints!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => GraphQLSafeInt, { description: 'Points refunds left members owing' })
  debtPoints!: number;

  @Field(() => Float, { description: 'The price per 1,000 points the amounts use: the dearest valuation' })
  pricePer1000!: number;

  @Field(() => FigureMoneyType, { description: 'outstandingPoints at pricePer1000' })
  amount!: FigureMoneyType;

  @Field(() => FigureMoneyType, { description: 'outstandingPoints at the cheapest valuation' })
  lowestAmount!: FigureMoneyType;

  @Field(() => [PointValuationType])
  valuations!: PointValuationType[];

  @Field(() => [LiabilityExpiryMonthType], { description: 'The expiry curve' })
  expiry!: LiabilityExpiryMonthType[];

  @Field(() => [LiabilityIssuerType])
  byIssuer!: LiabilityIssuerType[];
}

@ObjectType('TierCount')
export class TierCountType {
  @Field(() => String)
  tierCode!: string;

  @Field(() => String)
  tierName!: string;

  @Field(() => Int)
  rank!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => Float, { nullable: true })
  share!: number | null;
}

@ObjectType('TierMoves')
export class TierMovesType {
  @Field(() => Date)
  month!: Date;

  @Field(() => String)
  fromTier!: string;

  @Field(() => String)
  toTier!: string;

  @Field(() => String, { description: 'UPGRADE, EVALUATION_UPGRADE, EVALUATION_DOWNGRADE or REFUND_REVERT' })
  reason!: string;

  @Field(() => Int)
  moves!: number;
}

@ObjectType('TierFigures', { description: 'Members per tier now and tier moves per month' })
export class TierFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => [TierCountType])
  distribution!: TierCountType[];

  @Field(() => [TierMovesType])
  moves!: TierMovesType[];
}

@ObjectType('PartnerShare')
export class PartnerShareType {
  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  partnerName!: string;

  @Field(() => FigureMoneyType, { description: 'Value members received from its benefits in paid periods started in the range’s months' })
  realizedValue!: FigureMoneyType;

  @Field(() => Float, { nullable: true })
  valueShare!: number | null;

  @Field(() => GraphQLSafeInt, { description: 'Points its till issued in the range’s months, net of take-backs' })
  pointsIssued!: number;

  @Field(() => Float, { nullable: true, description: 'Of every point issued (the program’s own included)' })
  pointsShare!: number | null;

  @Field(() => Int, { description: 'Members with a live right of its benefits now' })
  membersWithLiveRights!: number;

  @Field(() => Int, { description: 'Of them, members whose right comes with a paid membership' })
  paidMembersWithLiveRights!: number;

  @Field(() => Int)
  liveRights!: number;
}

@ObjectType('PartnerDependencyFigures', { description: 'Each partner’s share of the value members received and of the points issued' })
export class PartnerDependencyFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => String)
  currency!: string;

  @Field(() => FigureMoneyType)
  realizedValue!: FigureMoneyType;

  @Field(() => GraphQLSafeInt)
  pointsIssued!: number;

  @Field(() => GraphQLSafeInt, { description: 'Of them, the program’s own' })
  programPointsIssued!: number;

  @Field(() => [PartnerShareType])
  partners!: PartnerShareType[];
}

@ObjectType('PartnerExitRights', { description: 'Live rights of one of the partner’s benefits from one source' })
export class PartnerExitRightsType extends FiguresBenefitType {
  @Field(() => String, { description: 'MEMBERSHIP, REWARD, TIER or CAMPAIGN' })
  source!: string;

  @Field(() => Int)
  rights!: number;

  @Field(() => Int)
  members!: number;
}

@ObjectType('PartnerExitReward')
export class PartnerExitRewardType {
  @Field(() => String)
  rewardCode!: string;

  @Field(() => String)
  rewardName!: string;

  @Field(() => Int)
  pointsCost!: number;
}

@ObjectType('ReplacementCandidate', { description: 'A benefit of another partner, of the same kind' })
export class ReplacementCandidateType extends FiguresBenefitType {
  @Field(() => FigureMoneyType, { nullable: true, description: 'The unit price agreed with its partner' })
  unitPrice!: FigureMoneyType | null;

  @Field(() => FigureMoneyType, { nullable: true, description: 'Its member-facing value' })
  memberValue!: FigureMoneyType | null;
}

@ObjectType('BenefitReplacement')
export class BenefitReplacementType {
  @Field(() => FiguresBenefitType, { description: 'The leaving partner’s benefit' })
  benefit!: FiguresBenefitType;

  @Field(() => [ReplacementCandidateType])
  candidates!: ReplacementCandidateType[];
}

@ObjectType('PartnerExitFigures', { description: '"What if this partner leaves": members and rights affected now, the points liability tied to it, and replacements' })
export class PartnerExitFiguresType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  partnerName!: string;

  @Field(() => Int, { description: 'Members with a live right of its benefits' })
  members!: number;

  @Field(() => Int, { description: 'Of them, members whose right comes with a paid membership' })
  paidMembers!: number;

  @Field(() => [PartnerExitRightsType])
  rights!: PartnerExitRightsType[];

  @Field(() => GraphQLSafeInt, { description: 'Outstanding points its till issued' })
  pointsOutstanding!: number;

  @Field(() => FigureMoneyType, { description: 'Those points at the liability’s price per point' })
  pointsLiability!: FigureMoneyType;

  @Field(() => [PartnerExitRewardType], { description: 'Rewards it delivers, which members could no longer buy with points' })
  rewards!: PartnerExitRewardType[];

  @Field(() => [BenefitReplacementType])
  replacements!: BenefitReplacementType[];
}

@ObjectType('BenefitCost')
export class BenefitCostType extends FiguresBenefitType {
  @Field(() => Int, { description: 'Units a member is granted per billing period' })
  unitsPerPeriod!: number;

  @Field(() => FigureMoneyType, { nullable: true })
  unitPrice!: FigureMoneyType | null;

  @Field(() => Float)
  utilization!: number;

  @Field(() => String, { description: 'OVERRIDE, OBSERVED (rights of the same benefit and quota whose period is over), OBSERVED_OTHER_QUOTA or ASSUMED_FULL (nothing observed)' })
  utilizationSource!: string;

  @Field(() => Int, { description: 'Rights the observed utilization comes from' })
  observedRights!: number;

  @Field(() => Float)
  expectedUnits!: number;

  @Field(() => FigureMoneyType, { description: 'expectedUnits × unitPrice, per member and billing period' })
  cost!: FigureMoneyType;
}

@ObjectType('PlanCost')
export class PlanCostType {
  @Field(() => String)
  planCode!: string;

  @Field(() => String)
  billingPeriod!: string;

  @Field(() => FigureMoneyType)
  fee!: FigureMoneyType;

  @Field(() => [BenefitCostType])
  lines!: BenefitCostType[];

  @Field(() => Int, { description: 'Points the program issues a paying member per period (observed over the plan’s periods that are over, or overridden)' })
  pointsPerPeriod!: number;

  @Field(() => Int)
  pointsObservedPeriods!: number;

  @Field(() => FigureMoneyType)
  pointsCost!: FigureMoneyType;

  @Field(() => FigureMoneyType)
  partnerCost!: FigureMoneyType;

  @Field(() => FigureMoneyType)
  totalCost!: FigureMoneyType;

  @Field(() => FigureMoneyType, { description: 'fee − totalCost' })
  margin!: FigureMoneyType;

  @Field(() => Float, { nullable: true })
  costToFee!: number | null;
}

@ObjectType('BundleCostSimulation', { description: 'Partner cost per member and period of a bundle version against the plan fee' })
export class BundleCostSimulationType {
  @Field(() => ProgramFiguresRunType)
  run!: ProgramFiguresRunType;

  @Field(() => ID)
  bundleVersionId!: string;

  @Field(() => String)
  bundleCode!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => Float, { description: 'What 1,000 points cost (the liability’s price)' })
  pointPricePer1000!: number;

  @Field(() => [PlanCostType])
  plans!: PlanCostType[];
}

@InputType('UtilizationOverride', { description: 'A utilization to simulate for one benefit instead of the observed one' })
export class UtilizationOverrideInput {
  @Field(() => String)
  benefitCode!: string;

  @Field(() => Float, { description: 'Between 0 and 1' })
  utilization!: number;
}
