import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyInput } from '../activity/index.js';
import { BenefitKind, BenefitPeriod } from '../bundle/index.js';
import { LocalizedTextInput } from '../campaign/index.js';
import { BillingPeriod, GraceAccess, RefundPolicy } from '../plan/index.js';
import { CatalogDraftStatus, MemberMigration } from './catalog-draft.entity.js';

registerEnumType(CatalogDraftStatus, {
  name: 'CatalogDraftStatus',
  valuesConfig: {
    DRAFT: { description: 'Being edited; members see nothing of it' },
    SCHEDULED: { description: 'Published with an effective date still ahead: cancellable until then' },
    PUBLISHED: { description: 'In effect' },
    CANCELED: { description: 'A scheduled publication taken back before its effective date: it changed nothing' },
  },
});
registerEnumType(MemberMigration, {
  name: 'MemberMigration',
  valuesConfig: {
    GRANDFATHER: { description: 'Current members keep the version they bought until their renewal' },
    MIGRATE: { description: 'Current members move to the new version at the effective date (their partners told)' },
  },
});

@InputType('CreateBenefitChangeInput', { description: 'A new benefit of a partner' })
export class CreateBenefitChangeInput {
  @Field(() => String, { description: '2-40 capitals, digits or _' })
  code!: string;

  @Field(() => String)
  partnerId!: string;

  @Field(() => BenefitKind)
  kind!: BenefitKind;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;

  @Field(() => LocalizedTextInput, { nullable: true })
  description?: LocalizedTextInput | null;

  @Field(() => MoneyInput, { nullable: true, description: 'What the partner is paid per unit used' })
  unitPrice?: MoneyInput | null;

  @Field(() => MoneyInput, { nullable: true, description: 'What a unit is worth to a member ("total saved")' })
  memberValue?: MoneyInput | null;
}

@InputType('SetBundleBenefitChangeInput', { description: "Adds a benefit to a bundle's next version, or changes how it grants it" })
export class SetBundleBenefitChangeInput {
  @Field(() => String)
  bundleCode!: string;

  @Field(() => String)
  benefitCode!: string;

  @Field(() => Int, { nullable: true, description: 'Uses per period; null for ACCESS' })
  quota?: number | null;

  @Field(() => BenefitPeriod)
  period!: BenefitPeriod;

  @Field(() => String, { nullable: true, description: 'Only for members holding this loyalty tier or a higher one' })
  minTier?: string | null;

  @Field(() => [String], { nullable: true, description: 'Only for members in one of these segments' })
  segments?: string[] | null;
}

@InputType('RemoveBundleBenefitChangeInput', { description: "Takes a benefit out of a bundle's next version" })
export class RemoveBundleBenefitChangeInput {
  @Field(() => String)
  bundleCode!: string;

  @Field(() => String)
  benefitCode!: string;
}

@InputType('UpdatePlanChangeInput', { description: "New terms of a plan, from the effective date (only the fields given change)" })
export class UpdatePlanChangeInput {
  @Field(() => String)
  planCode!: string;

  @Field(() => MoneyInput, { nullable: true })
  price?: MoneyInput | null;

  @Field(() => Int, { nullable: true })
  trialDays?: number | null;

  @Field(() => Int, { nullable: true })
  graceDays?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Members renew into the version they bought' })
  grandfathered?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'On sale' })
  active?: boolean | null;

  @Field(() => RefundPolicy, { nullable: true, description: 'What a refund in the middle of a paid period gives back' })
  refundPolicy?: RefundPolicy | null;

  @Field(() => Int, { nullable: true, description: 'Days before a renewal that members are reminded of it (0-60)' })
  reminderDays?: number | null;

  @Field(() => GraceAccess, { nullable: true, description: 'What rights do while a failed renewal is in grace' })
  graceAccess?: GraceAccess | null;

  @Field(() => LocalizedTextInput, { nullable: true, description: "The plan's name, both locales" })
  name?: LocalizedTextInput | null;
}

@InputType('CreateBundleChangeInput', { description: 'A new bundle; its benefits are the setBundleBenefit changes of the same draft naming it (version 1, from the effective date)' })
export class CreateBundleChangeInput {
  @Field(() => String, { description: '2-40 capitals, digits or _' })
  code!: string;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;
}

@InputType('CreatePlanChangeInput', { description: 'A new plan selling a bundle (live, or created earlier in the same draft), on sale from the effective date' })
export class CreatePlanChangeInput {
  @Field(() => String, { description: '2-40 capitals, digits or _' })
  code!: string;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;

  @Field(() => MoneyInput, { description: 'Per billing period, above 0' })
  price!: MoneyInput;

  @Field(() => BillingPeriod)
  billingPeriod!: BillingPeriod;

  @Field(() => String)
  bundleCode!: string;

  @Field(() => Int, { nullable: true, description: 'Free days before the first charge, 0-90 (default 0: none)' })
  trialDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'Days a failed renewal stays PAST_DUE, 0-60 (default 7)' })
  graceDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'Days before a renewal that members are reminded of it, 0-60 (default 7)' })
  reminderDays?: number | null;

  @Field(() => GraceAccess, { nullable: true, description: 'Default USABLE' })
  graceAccess?: GraceAccess | null;

  @Field(() => RefundPolicy, { nullable: true, description: 'Default PRO_RATA_MINUS_USED' })
  refundPolicy?: RefundPolicy | null;

  @Field(() => Boolean, { nullable: true, description: 'Members renew into the version they bought (default false)' })
  grandfathered?: boolean | null;
}

@InputType('SetRewardChangeInput', { description: 'A reward points buy, new or changed' })
export class SetRewardChangeInput {
  @Field(() => String)
  code!: string;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;

  @Field(() => Int)
  pointsCost!: number;

  @Field(() => String, { nullable: true, description: 'The partner that delivers it' })
  partnerId?: string | null;

  @Field(() => String, { nullable: true, description: 'The benefit its right is of' })
  benefitCode?: string | null;

  @Field(() => Int, { nullable: true, description: 'Units of the benefit (default 1)' })
  units?: number | null;

  @Field(() => Int, { nullable: true, description: 'Days its right stays usable (default 30)' })
  validityDays?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'On offer (default true)' })
  active?: boolean | null;
}

@InputType('SetTierChangeInput', { description: "A tier's threshold and points multiplier" })
export class SetTierChangeInput {
  @Field(() => String)
  code!: string;

  @Field(() => MoneyInput, { nullable: true, description: 'Qualifying spend over the window; null for the base tier' })
  minSpend?: MoneyInput | null;

  @Field(() => Int, { description: 'Purchase points multiplier in thousandths (1500: ×1.5)' })
  multiplierPermille!: number;
}

@InputType('SetTierBenefitChangeInput', { description: 'A benefit a tier (and every tier above) unlocks each month, or no longer' })
export class SetTierBenefitChangeInput {
  @Field(() => String)
  tierCode!: string;

  @Field(() => String)
  benefitCode!: string;

  @Field(() => Int, { nullable: true, description: 'Uses a month; null for ACCESS' })
  quota?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Stop unlocking it' })
  remove?: boolean | null;
}

@InputType('SetEarnRulesChangeInput', { description: "The program's rules (earning, expiry, refunds, tiers) as JSON, validated whole" })
export class SetEarnRulesChangeInput {
  @Field(() => String)
  rulesJson!: string;
}

@InputType('SetSegmentConfigChangeInput', {
  description: 'The segment definitions (RFM scoring and cells, lifecycle stages, value tiers, schedule) as JSON, validated whole; installed as a new version at the effective date',
})
export class SetSegmentConfigChangeInput {
  @Field(() => String)
  configJson!: string;
}

@InputType('CatalogChangeInput', { description: 'One change of a draft: exactly one of the fields' })
export class CatalogChangeInput {
  @Field(() => SetRewardChangeInput, { nullable: true })
  setReward?: SetRewardChangeInput | null;

  @Field(() => SetTierChangeInput, { nullable: true })
  setTier?: SetTierChangeInput | null;

  @Field(() => SetTierBenefitChangeInput, { nullable: true })
  setTierBenefit?: SetTierBenefitChangeInput | null;

  @Field(() => SetEarnRulesChangeInput, { nullable: true })
  setEarnRules?: SetEarnRulesChangeInput | null;

  @Field(() => SetSegmentConfigChangeInput, { nullable: true })
  setSegmentConfig?: SetSegmentConfigChangeInput | null;

  @Field(() => CreateBenefitChangeInput, { nullable: true })
  createBenefit?: CreateBenefitChangeInput | null;

  @Field(() => SetBundleBenefitChangeInput, { nullable: true })
  setBundleBenefit?: SetBundleBenefitChangeInput | null;

  @Field(() => RemoveBundleBenefitChangeInput, { nullable: true })
  removeBundleBenefit?: RemoveBundleBenefitChangeInput | null;

  @Field(() => UpdatePlanChangeInput, { nullable: true })
  updatePlan?: UpdatePlanChangeInput | null;

  @Field(() => CreateBundleChangeInput, { nullable: true })
  createBundle?: CreateBundleChangeInput | null;

  @Field(() => CreatePlanChangeInput, { nullable: true })
  createPlan?: CreatePlanChangeInput | null;
}

@InputType('CatalogDraftInput')
export class CatalogDraftInput {
  @Field(() => String)
  title!: string;

  @Field(() => [CatalogChangeInput])
  changes!: CatalogChangeInput[];
}

@InputType('BundleMigrationInput', { description: "How a bundle's current members meet its new version" })
export class BundleMigrationInput {
  @Field(() => String)
  bundleCode!: string;

  @Field(() => MemberMigration)
  members!: MemberMigration;
}

@ObjectType('CatalogProblem', { description: 'One problem of a draft, at the field it is about' })
export class CatalogProblemType {
  @Field(() => String, { description: 'e.g. changes[1].quota' })
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType('BundleLine', { description: 'A benefit as a bundle version grants it' })
export class BundleLineType {
  @Field(() => String)
  benefitCode!: string;

  @Field(() => Int, { nullable: true })
  quota!: number | null;

  @Field(() => String)
  period!: string;

  @Field(() => String, { nullable: true })
  minTier!: string | null;

  @Field(() => [String], { nullable: true })
  segments!: string[] | null;
}

@ObjectType('BundleLineChange')
export class BundleLineChangeType {
  @Field(() => String)
  benefitCode!: string;

  @Field(() => BundleLineType)
  before!: BundleLineType;

  @Field(() => BundleLineType)
  after!: BundleLineType;
}

@ObjectType('BundleDiff', { description: "What a draft changes in a bundle's next version" })
export class BundleDiffType {
  @Field(() => String)
  bundleCode!: string;

  @Field(() => [BundleLineType])
  added!: BundleLineType[];

  @Field(() => [BundleLineType])
  removed!: BundleLineType[];

  @Field(() => [BundleLineChangeType])
  changed!: BundleLineChangeType[];
}

@ObjectType('FieldChange')
export class FieldChangeType {
  @Field(() => String)
  field!: string;

  @Field(() => String)
  before!: string;

  @Field(() => String)
  after!: string;
}

@ObjectType('PlanDiff')
export class PlanDiffType {
  @Field(() => String)
  planCode!: string;

  @Field(() => [FieldChangeType])
  changes!: FieldChangeType[];
}

@ObjectType('ProgramDiffLine', { description: "One change to the loyalty program's rewards, tiers or rules" })
export class ProgramDiffLineType {
  @Field(() => String, { description: 'e.g. reward COFFEE_REWARD, tier GOLD, earn rules' })
  subject!: string;

  @Field(() => String)
  field!: string;

  @Field(() => String)
  before!: string;

  @Field(() => String)
  after!: string;
}

@ObjectType('CatalogDiff', { description: 'A draft against the live catalog' })
export class CatalogDiffType {
  @Field(() => [ProgramDiffLineType])
  program!: ProgramDiffLineType[];

  @Field(() => [String])
  benefitsCreated!: string[];

  @Field(() => [BundleDiffType])
  bundles!: BundleDiffType[];

  @Field(() => [PlanDiffType])
  plans!: PlanDiffType[];

  @Field(() => [String], { description: "New bundles' codes (their benefits are under `bundles`, every one added)" })
  bundlesCreated!: string[];

  @Field(() => [PlanDiffType], { description: 'New plans, each term from nothing (before "") to its value' })
  plansCreated!: PlanDiffType[];
}

@ObjectType('CatalogChangeLine', { description: 'One change of a draft, as a line to read' })
export class CatalogChangeLineType {
  @Field(() => String, { description: 'CREATE_BENEFIT, SET_BUNDLE_BENEFIT, REMOVE_BUNDLE_BENEFIT, UPDATE_PLAN, CREATE_BUNDLE, CREATE_PLAN, or a loyalty program change (SET_REWARD, SET_TIER, SET_TIER_BENEFIT, SET_EARN_RULES)' })
  kind!: string;

  @Field(() => String)
  summary!: string;

  @Field(() => String, { description: 'The change as stored, as JSON (what an editor loads back into its form)' })
  json!: string;
}

@ObjectType('CatalogDraft', { description: 'Changes to what members get, from draft to publication' })
export class CatalogDraftType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  title!: string;

  @Field(() => CatalogDraftStatus)
  status!: CatalogDraftStatus;

  @Field(() => String, { description: 'Who made it' })
  createdBy!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  effectiveAt!: Date | null;

  @Field(() => Date, { nullable: true })
  publishedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  canceledAt!: Date | null;

  @Field(() => [CatalogChangeLineType])
  changes!: CatalogChangeLineType[];

  @Field(() => [CatalogProblemType], { description: 'Every problem publishing it now would meet (none: publishable)' })
  problems!: CatalogProblemType[];

  @Field(() => CatalogDiffType, { description: 'What it changes against the live catalog' })
  diff!: CatalogDiffType;
}

@ObjectType('CatalogPreview', { description: "What a member gets of their plan's bundle today, and under a draft" })
export class CatalogPreviewType {
  @Field(() => ID)
  memberId!: string;

  @Field(() => String)
  planCode!: string;

  @Field(() => String)
  bundleCode!: string;

  @Field(() => String)
  tier!: string;

  @Field(() => [String])
  segments!: string[];

  @Field(() => [BundleLineType])
  today!: BundleLineType[];

  @Field(() => [BundleLineType], { description: 'As a member of the new version (new members, or migrated ones)' })
  underDraft!: BundleLineType[];
}
