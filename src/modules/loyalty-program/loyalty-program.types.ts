import { Field, ID, Int, ObjectType } from 'type-graphql';
import { LocalizedTextType, Money } from '../../platform/graphql-types.js';

@ObjectType('LoyaltyProgramTier', { description: 'A rung of the tier ladder, as the program in force sets it' })
export class LoyaltyProgramTierType {
  @Field(() => String)
  code!: string;

  @Field(() => Int, { description: '0 for the base tier everyone holds, then upwards' })
  rank!: number;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => LocalizedTextType)
  names!: LocalizedTextType;

  @Field(() => Money, { nullable: true, description: 'Qualifying spend over the window to reach it (setTier.minSpend); null: not a criterion' })
  minSpend!: Money | null;

  @Field(() => Int, { nullable: true, description: 'Qualifying orders to reach it; null: not a criterion' })
  minOrders!: number | null;

  @Field(() => Int, { nullable: true, description: 'Points earned over the window to reach it; null: not a criterion' })
  minPointsEarned!: number | null;

  @Field(() => Int, { description: 'Purchase points multiplier in thousandths (1500: ×1.5)' })
  multiplierPermille!: number;
}

@ObjectType('LoyaltyProgramTierBenefit', { description: 'A benefit a tier unlocks for its holders and those of every tier above it' })
export class LoyaltyProgramTierBenefitType {
  @Field(() => String, { description: 'The lowest tier that unlocks it' })
  tierCode!: string;

  @Field(() => String)
  benefitCode!: string;

  @Field(() => Int, { nullable: true, description: 'Uses each calendar month; null: unlimited (an ACCESS benefit)' })
  quota!: number | null;
}

@ObjectType('LoyaltyProgramReward', { description: 'A reward on offer: what points buy' })
export class LoyaltyProgramRewardType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => LocalizedTextType)
  names!: LocalizedTextType;

  @Field(() => Int)
  pointsCost!: number;

  @Field(() => ID, { nullable: true, description: 'The partner that delivers it' })
  partnerId!: string | null;

  @Field(() => String, { nullable: true, description: 'The benefit its right is of' })
  benefitCode!: string | null;

  @Field(() => Int, { description: 'Units of the benefit it grants' })
  units!: number;

  @Field(() => Int, { description: 'Days its right stays usable (today the first)' })
  validityDays!: number;
}

@ObjectType('LoyaltyProgram', { description: 'The loyalty program in force: what a catalog draft changes (setEarnRules, setTier, setTierBenefit, setReward)' })
export class LoyaltyProgramType {
  @Field(() => Int, { description: 'Raised by every published change of the rules, tiers, tier benefits or rewards' })
  version!: number;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => String, { description: 'The earn, expiry, refund and tier rules as JSON, in the shape setEarnRules.rulesJson takes (defaults filled in)' })
  rulesJson!: string;

  @Field(() => String, { description: 'The one currency purchases, and tier thresholds, are in (ISO 4217)' })
  currency!: string;

  @Field(() => [LoyaltyProgramTierType], { description: 'The tier ladder, base tier first' })
  tiers!: LoyaltyProgramTierType[];

  @Field(() => [LoyaltyProgramTierBenefitType], { description: 'What tiers unlock, lowest tier first' })
  tierBenefits!: LoyaltyProgramTierBenefitType[];

  @Field(() => [LoyaltyProgramRewardType], { description: 'The rewards on offer, cheapest first' })
  rewards!: LoyaltyProgramRewardType[];
}
