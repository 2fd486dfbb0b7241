import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CampaignKind } from './campaign.entity.js';

registerEnumType(CampaignKind, {
  name: 'CampaignKind',
  valuesConfig: {
    POINTS_MULTIPLIER: { description: "Purchase points × multiplierPermille / 1000, on top of the tier's" },
    BONUS_POINTS: { description: 'bonusPoints for each purchase of at least minSpend' },
    EXTRA_BENEFIT: {
      description: 'A right to benefitCode (benefitQuota uses) for each occurrence, granted at its start to every member it is for: a member day (that day, program time), or without monthlyDay the whole window',
    },
  },
});

@InputType('LocalizedTextInput', { description: 'Text in each locale members read' })
export class LocalizedTextInput {
  @Field(() => String)
  en!: string;

  @Field(() => String)
  zhCN!: string;
}

@InputType('CampaignInput', { description: 'A member-only campaign or member day' })
export class CampaignInputType {
  @Field(() => String, { description: 'MEMBER_DAY_18, SPRING_DOUBLE, …' })
  code!: string;

  @Field(() => LocalizedTextInput)
  name!: LocalizedTextInput;

  @Field(() => LocalizedTextInput, { description: 'What members are told ("Double points today")' })
  offer!: LocalizedTextInput;

  @Field(() => CampaignKind)
  kind!: CampaignKind;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int, { nullable: true, description: 'A member day: only this day of each month (program time); null: every day of the window' })
  monthlyDay?: number | null;

  @Field(() => String, { nullable: true, description: 'The lowest tier it is for ("GOLD": Gold and above); null: everyone' })
  minTier?: string | null;

  @Field(() => [String], { nullable: true, description: 'Segments it is for (a member in any); null: no segment needed' })
  segments?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Channels it counts in; null: all' })
  channels?: string[] | null;

  @Field(() => Int, { nullable: true })
  multiplierPermille?: number | null;

  @Field(() => Int, { nullable: true })
  bonusPoints?: number | null;

  @Field(() => Int, { nullable: true, description: 'BONUS_POINTS: the least a purchase must be (minor units)' })
  minSpend?: number | null;

  @Field(() => Int, { nullable: true, description: 'Points it may grant in all' })
  budgetPoints?: number | null;

  @Field(() => Int, { nullable: true, description: 'Points one member may get from it in all' })
  perMemberCap?: number | null;

  @Field(() => String, { nullable: true, description: 'EXTRA_BENEFIT: the code of the benefit each occurrence grants a right to (any kind: CAR_WASH, COFFEE, …)' })
  benefitCode?: string | null;

  @Field(() => Int, { nullable: true, description: 'EXTRA_BENEFIT: uses of each right (units for a conversion); default 1; left out for an ACCESS benefit' })
  benefitQuota?: number | null;

  @Field(() => Int, { nullable: true, description: 'EXTRA_BENEFIT: rights it may grant in all; once spent, members get nothing more; null: no budget' })
  budgetGrants?: number | null;
}

@ObjectType('Campaign', { description: 'A member-only campaign: window, target, budget, and what it granted so far' })
export class CampaignType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  offer!: string;

  @Field(() => CampaignKind)
  kind!: CampaignKind;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int, { nullable: true })
  monthlyDay!: number | null;

  @Field(() => String, { description: 'The lowest tier it is for' })
  minTier!: string;

  @Field(() => [String], { nullable: true })
  segments!: string[] | null;

  @Field(() => [String], { nullable: true })
  channels!: string[] | null;

  @Field(() => Int, { nullable: true })
  multiplierPermille!: number | null;

  @Field(() => Int, { nullable: true })
  bonusPoints!: number | null;

  @Field(() => Int)
  minSpend!: number;

  @Field(() => Int, { nullable: true })
  budgetPoints!: number | null;

  @Field(() => Int, { nullable: true })
  perMemberCap!: number | null;

  @Field(() => Int, { description: 'Points granted so far (every grant names the campaign)' })
  pointsGranted!: number;

  @Field(() => String, { nullable: true, description: 'EXTRA_BENEFIT: the benefit each occurrence grants a right to' })
  benefitCode!: string | null;

  @Field(() => Int, { nullable: true, description: 'EXTRA_BENEFIT: uses of each right; null for an ACCESS benefit' })
  benefitQuota!: number | null;

  @Field(() => Int, { nullable: true, description: 'EXTRA_BENEFIT: rights it may grant in all' })
  budgetGrants!: number | null;

  @Field(() => Int, { description: "Rights granted so far (each an entitlement with source CAMPAIGN and the campaign's code)" })
  rightsGranted!: number;

  @Field(() => Int, { description: 'Grants so far: points on a purchase, or a right' })
  grants!: number;

  @Field(() => Int, { description: 'Members who got points or a right from it' })
  membersReached!: number;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => Date, { nullable: true, description: "For a member: when it next applies (today on a member day)" })
  nextAt!: Date | null;
}
