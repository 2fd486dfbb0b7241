import { GraphQLSafeInt } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { BenefitType } from '../bundle/index.js';
import { PartnerType } from '../partner/index.js';

@ObjectType('SettlementAmount', {
  description: "An amount owed in minor units (fen for CNY) with its ISO 4217 currency; a 53-bit integer, since a period's total can pass what Int holds",
})
export class SettlementAmountType {
  @Field(() => GraphQLSafeInt)
  amount!: number;

  @Field(() => String)
  currency!: string;
}

@ObjectType('SettlementLine', { description: "One benefit's figures in a settlement period" })
export class SettlementLineType {
  @Field(() => BenefitType)
  benefit!: BenefitType;

  @Field(() => Int, { description: 'Redemptions in the period, voided ones included' })
  redemptions!: number;

  @Field(() => Int, { description: 'Of those, the ones voided' })
  voidedRedemptions!: number;

  @Field(() => Int, { description: 'Units redeemed in the period, net of voids' })
  units!: number;

  @Field(() => Money, { nullable: true, description: 'The unit price agreed with the partner; null when none is agreed' })
  unitPrice!: Money | null;

  @Field(() => SettlementAmountType, { nullable: true, description: 'units × unitPrice; null when no unit price is agreed' })
  amount!: SettlementAmountType | null;
}

@ObjectType('Settlement', {
  description: "A partner's settlement statement for [from, to): per benefit, the units its members redeemed in the period, net of voids, times the agreed unit price",
})
export class SettlementType {
  @Field(() => PartnerType)
  partner!: PartnerType;

  @Field(() => Date, { description: 'Start of the period (inclusive)' })
  from!: Date;

  @Field(() => Date, { description: 'End of the period (exclusive)' })
  to!: Date;

  @Field(() => String, { nullable: true, description: "The currency of the partner's agreed prices; null when none is agreed" })
  currency!: string | null;

  @Field(() => [SettlementLineType], { description: "Every benefit of the partner, by code, including those not redeemed in the period" })
  lines!: SettlementLineType[];

  @Field(() => Int)
  totalRedemptions!: number;

  @Field(() => Int)
  totalVoidedRedemptions!: number;

  @Field(() => Int, { description: 'Units net of voids, priced or not' })
  totalUnits!: number;

  @Field(() => SettlementAmountType, { nullable: true, description: 'What the partner is owed for the period: the sum of the priced lines; null when no price is agreed' })
  totalAmount!: SettlementAmountType | null;
}
