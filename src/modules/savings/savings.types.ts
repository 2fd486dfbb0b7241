import { Field, ObjectType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';

@ObjectType('Savings', { description: 'What the membership gave the member, at member-facing value, against what it cost' })
export class SavingsType {
  @Field(() => Money, { description: 'Value received in the current period so far' })
  thisPeriod!: Money;

  @Field(() => Money, { description: 'Value received since the member first joined' })
  sinceJoined!: Money;

  @Field(() => Money, { description: 'Membership fees paid since joining, refunds deducted' })
  feesPaid!: Money;

  @Field(() => String, { description: 'The figure in words, localized: "You saved ¥356 on a ¥198 membership"' })
  summary!: string;
}
