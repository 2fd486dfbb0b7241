import { Field, ID, Int, ObjectType } from 'type-graphql';
import { EntitlementType } from '../entitlement/entitlement.types.js';

@ObjectType('Redemption', { description: 'One accepted use of an entitlement by its partner (append-only)' })
export class RedemptionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  units!: number;

  @Field(() => EntitlementType)
  entitlement!: EntitlementType;

  @Field(() => Date)
  createdAt!: Date;
}
