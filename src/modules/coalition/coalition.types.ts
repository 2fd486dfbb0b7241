import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { ActivityObjectType, MoneyInput } from '../activity/index.js';

@ObjectType('MembershipCard', { description: "A short-lived signed membership card for one partner's till (show it as a QR code); not single-use within its lifetime" })
export class MembershipCardType {
  @Field(() => String, { description: 'Compact JWS (typ membership-card+jwt), signed with the keys of the JWKS; sub is the member\'s pseudonym for the partner' })
  token!: string;

  @Field(() => String)
  partnerId!: string;

  @Field(() => Date)
  expiresAt!: Date;
}

@ObjectType('MembershipCardCheck', { description: 'What a partner learns from a scanned card' })
export class MembershipCardCheckType {
  @Field(() => String, { description: "The member's pseudonym for the calling partner" })
  member!: string;

  @Field(() => String, { description: "The member's tier code" })
  tier!: string;

  @Field(() => Int, { description: 'Points the member may burn now' })
  pointsBalance!: number;

  @Field(() => Date)
  expiresAt!: Date;
}

@InputType('PartnerOrderInput', { description: "A purchase at the partner's till" })
export class PartnerOrderInputType {
  @Field(() => String, { description: "The partner's own order id: the same id twice is one purchase" })
  externalId!: string;

  @Field(() => MoneyInput)
  amount!: MoneyInput;

  @Field(() => Date, { nullable: true, description: 'When it happened (default: now)' })
  occurredAt?: Date | null;
}

@InputType('PartnerRefundInput', { description: "A refund of one of the partner's orders, whole or in part" })
export class PartnerRefundInputType {
  @Field(() => String, { description: "The partner's own refund id: the same id twice is one refund" })
  externalId!: string;

  @Field(() => String, { description: 'The order it refunds (its externalId)' })
  refundOf!: string;

  @Field(() => MoneyInput)
  amount!: MoneyInput;

  @Field(() => Date, { nullable: true })
  occurredAt?: Date | null;
}

@ObjectType('PartnerPointsEarning', { description: 'What a purchase or refund at a partner did to the member\'s points' })
export class PartnerPointsEarningType {
  @Field(() => String, { description: "The member's pseudonym for the calling partner" })
  member!: string;

  @Field(() => ActivityObjectType)
  activity!: ActivityObjectType;

  @Field(() => Int, { description: "The member's points balance after it" })
  pointsBalance!: number;
}

@ObjectType('PointsBurn', { description: "Points burned at a partner's till" })
export class PointsBurnType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The member's pseudonym for the calling partner" })
  member!: string;

  @Field(() => Int)
  points!: number;

  @Field(() => Int, { description: "The member's points balance after it" })
  pointsBalance!: number;

  @Field(() => Date)
  at!: Date;
}

@ObjectType('PartnerPointsSettlement', { description: "Coalition points at the partner in the period: what its till issued (it pays for them) and what was burned there (we pay for them)" })
export class PartnerPointsSettlementType {
  @Field(() => Int, { description: 'Points its till issued, net of what refunds of its orders took back' })
  issued!: number;

  @Field(() => Int, { description: 'Points members burned at its till' })
  burned!: number;

  @Field(() => Money, { nullable: true, description: 'What the partner pays per 1,000 points issued; null when none is agreed' })
  issuePricePer1000!: Money | null;

  @Field(() => Money, { nullable: true, description: 'What we pay the partner per 1,000 points burned; null when none is agreed' })
  burnPricePer1000!: Money | null;

  @Field(() => Money, { nullable: true, description: 'issued × price: what the partner owes for the points it issued (rounded to the minor unit)' })
  issuedAmount!: Money | null;

  @Field(() => Money, { nullable: true, description: 'burned × price: what the partner is owed for the points burned there' })
  burnedAmount!: Money | null;
}
