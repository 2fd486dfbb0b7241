import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('PointsLot', { description: 'Points earned together, with their own expiry' })
export class PointsLotType {
  @Field(() => Int, { description: 'Points the lot was earned with' })
  earned!: number;

  @Field(() => Int, { description: 'Points of it left to spend' })
  remaining!: number;

  @Field(() => Date, { description: "When they were earned (the activity's time)" })
  earnedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When what is left expires (00:00 program time); null: never' })
  expiresAt!: Date | null;
}

@ObjectType('PointsRewardCount', { description: 'A reward and how many of it some points buy' })
export class PointsRewardCountType {
  @Field(() => String)
  reward!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('PointsExpiry', { description: 'Points expiring on one day, and what they would buy' })
export class PointsExpiryType {
  @Field(() => Int)
  points!: number;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => [PointsRewardCountType], { description: 'What they buy, most expensive rewards first' })
  buys!: PointsRewardCountType[];

  @Field(() => String, { description: '"1,200 points expire on 1 Aug — enough for a car wash at SparkWash and a coffee at BrewBar", localized' })
  explanation!: string;
}

@ObjectType('PointsAccount', { description: "The member's coalition points" })
export class PointsAccountType {
  @Field(() => Int, { description: 'Points the member may spend now (never below zero)' })
  balance!: number;

  @Field(() => Int, { description: 'Points refunds took back that were already spent: later earnings repay it first' })
  debt!: number;

  @Field(() => [PointsLotType], { description: 'Every lot with points left, the soonest to expire first (spending and expiry take them in this order)' })
  lots!: PointsLotType[];
}

@ObjectType('PointsPosting', { description: 'One posting of the member\'s points, and why' })
export class PointsPostingType {
  @Field(() => String)
  id!: string;

  @Field(() => String, { description: 'EARN, REVERSAL (a refund took them back), SPEND, RESTORE (given back), EXPIRY' })
  kind!: string;

  @Field(() => Date, { description: 'When it counted' })
  at!: Date;

  @Field(() => Int, { description: 'What it did to the balance (negative: points out)' })
  change!: number;

  @Field(() => Int, { description: 'What it added to the debt (a refund of points already spent)' })
  debt!: number;

  @Field(() => String, { description: 'Localized: "Purchase in store-pos (order pos-0001)", "Expired", …' })
  reason!: string;
}

@ObjectType('PointsLiabilityByExpiry', { description: 'Points members hold that expire in one program month' })
export class PointsLiabilityByExpiryType {
  @Field(() => Date, { nullable: true, description: 'The first instant of the month (program time); null: never expire' })
  month!: Date | null;

  @Field(() => Int)
  points!: number;

  @Field(() => Int)
  members!: number;
}

@ObjectType('PointsLiabilityByIssuer', { description: 'Points members hold, by who issued them' })
export class PointsLiabilityByIssuerType {
  @Field(() => String, { description: '"issued" (the program) or "partner-issued:<partner>"' })
  issuer!: string;

  @Field(() => Int)
  points!: number;
}

@ObjectType('PointsLiability', { description: 'What the program owes members in points: how much, until when, issued by whom' })
export class PointsLiabilityType {
  @Field(() => Int, { description: 'Unexpired points members hold' })
  outstanding!: number;

  @Field(() => Int)
  members!: number;

  @Field(() => Int, { description: 'Points refunds left members owing' })
  debts!: number;

  @Field(() => [PointsLiabilityByExpiryType])
  byExpiry!: PointsLiabilityByExpiryType[];

  @Field(() => [PointsLiabilityByIssuerType])
  byIssuer!: PointsLiabilityByIssuerType[];
}
