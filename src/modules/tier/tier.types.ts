import { Field, Int, ObjectType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';

@ObjectType('MemberTier', { description: "The member's tier" })
export class MemberTierType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => Date, { nullable: true, description: 'Since when it is held (null: the base tier, held by everyone)' })
  since!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when it is held if nothing more is bought (null: for good)' })
  heldUntil!: Date | null;

  @Field(() => Int, { description: 'Purchase points multiplier in thousandths (1500: ×1.5)' })
  multiplierPermille!: number;
}

@ObjectType('TierWindowDrop', { description: "Spend leaving the qualifying window at an evaluation" })
export class TierWindowDropType {
  @Field(() => Date, { description: 'The evaluation (00:00 program time)' })
  on!: Date;

  @Field(() => Money)
  spend!: Money;
}

@ObjectType('TierProgress', { description: 'Where the member stands: what it takes to reach the next tier or keep this one, and by when' })
export class TierProgressType {
  @Field(() => MemberTierType)
  tier!: MemberTierType;

  @Field(() => Money, { description: 'Qualifying spend of the window as it stands (purchases minus refunds)' })
  qualifyingSpend!: Money;

  @Field(() => Int, { description: 'Orders in the window' })
  qualifyingOrders!: number;

  @Field(() => Int, { description: 'Points earned in the window (never the balance)' })
  qualifyingPointsEarned!: number;

  @Field(() => MemberTierType, { nullable: true, description: 'The next tier up (null at the top)' })
  nextTier!: MemberTierType | null;

  @Field(() => Money, { nullable: true, description: 'Spend still needed to reach it' })
  spendToNextTier!: Money | null;

  @Field(() => Money, { nullable: true, description: 'Spend needed by `keepBy` to keep the tier past `tier.heldUntil`' })
  spendToKeep!: Money | null;

  @Field(() => Date, { nullable: true, description: 'The last day to spend it' })
  keepBy!: Date | null;

  @Field(() => [TierWindowDropType], { description: 'What leaves the window at the coming evaluations' })
  leavingWindow!: TierWindowDropType[];

  @Field(() => String, { description: '"Spend ¥1,200 more by 31 Mar 2028 to keep Gold. …", localized by Accept-Language' })
  explanation!: string;
}
