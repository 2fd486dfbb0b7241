import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EntitlementType } from '../entitlement/index.js';
import { RewardRedemptionStatus } from './reward.entity.js';

registerEnumType(RewardRedemptionStatus, {
  name: 'RewardRedemptionStatus',
  valuesConfig: {
    REDEEMED: { description: 'Points spent, the right granted' },
    CANCELED: { description: 'Given back before any of it was used: the points returned with their own expiry' },
  },
});

@ObjectType('Reward', { description: 'Something points buy: a coffee voucher, a car wash, miles' })
export class RewardType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => Int)
  pointsCost!: number;

  @Field(() => String, { nullable: true, description: 'The partner that delivers it' })
  partnerId!: string | null;

  @Field(() => String, { nullable: true, description: 'The benefit its right is of (a voucher, a quota unit, converted units); null: none' })
  benefitCode!: string | null;

  @Field(() => Int, { description: 'Units of that benefit it grants (1 coffee, 1,000 miles)' })
  units!: number;

  @Field(() => Int, { description: 'Days its right stays usable, today counting as the first' })
  validityDays!: number;

  @Field(() => Boolean, { description: 'The member has enough points now' })
  affordable!: boolean;

  @Field(() => Int, { description: 'Points the member still needs (0 when affordable)' })
  pointsShort!: number;
}

@ObjectType('RewardRedemption', { description: 'A reward the member bought with points' })
export class RewardRedemptionType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  rewardCode!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  rewardName!: string;

  @Field(() => Int, { description: 'Points it cost' })
  points!: number;

  @Field(() => RewardRedemptionStatus)
  status!: RewardRedemptionStatus;

  @Field(() => Date)
  redeemedAt!: Date;

  @Field(() => Date, { nullable: true })
  canceledAt!: Date | null;

  @Field(() => EntitlementType, { nullable: true, description: 'The right that delivers it (claim the voucher, show the token); null for a reward without one' })
  entitlement!: EntitlementType | null;
}

@ObjectType('RewardRedemptionResult', { description: 'A redemption and the balance right after it' })
export class RewardRedemptionResultType {
  @Field(() => RewardRedemptionType)
  redemption!: RewardRedemptionType;

  @Field(() => Int, { description: "The member's points balance right after" })
  pointsBalance!: number;
}
