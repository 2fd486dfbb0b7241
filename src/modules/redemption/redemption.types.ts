import { Field, ID, Int, ObjectType } from 'type-graphql';
import { BenefitType } from '../bundle/index.js';
import { EntitlementType } from '../entitlement/index.js';
import { PageInfoType } from '../../platform/graphql-types.js';

@ObjectType('Redemption', { description: 'One accepted use of an entitlement by its partner (append-only; a mistake is voided, never edited)' })
export class RedemptionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  units!: number;

  @Field(() => EntitlementType)
  entitlement!: EntitlementType;

  @Field(() => BenefitType)
  benefit!: BenefitType;

  @Field(() => String, { description: "The member as this partner knows them: the token's sub, stable for this partner, never the member id" })
  memberPseudonym!: string;

  @Field(() => Boolean, { description: 'True once the partner voided it: its units went back to the entitlement' })
  voided!: boolean;

  @Field(() => Date, { nullable: true, description: 'When it was voided; null when it stands' })
  voidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the partner voided it; null when it stands' })
  voidReason!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('RedemptionEdge')
export class RedemptionEdgeType {
  @Field(() => String, { description: 'Opaque; pass it as `after` to continue after this redemption' })
  cursor!: string;

  @Field(() => RedemptionType)
  node!: RedemptionType;
}

@ObjectType('RedemptionConnection', { description: "A page of the partner's redemptions, newest first" })
export class RedemptionConnectionType {
  @Field(() => [RedemptionEdgeType])
  edges!: RedemptionEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}
