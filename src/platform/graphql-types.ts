import { Field, Int, ObjectType } from 'type-graphql';

/** An amount of money in minor units (fen for CNY) and its ISO 4217 currency. */
@ObjectType({ description: 'An amount in minor units (fen for CNY) with its ISO 4217 currency' })
export class Money {
  @Field(() => Int, { description: 'Minor units: 19800 CNY is ¥198.00' })
  amount!: number;

  @Field(() => String)
  currency!: string;
}
