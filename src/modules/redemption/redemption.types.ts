import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { TokenProblem } from './redemption.service.js';
import { BenefitType } from '../bundle/index.js';
import { EntitlementType } from '../entitlement/index.js';

registerEnumType(TokenProblem, {
  name: 'TokenProblem',
  description: 'Why a genuine, unexpired token cannot be redeemed now',
  valuesConfig: {
    ALREADY_REDEEMED: { description: 'The token was redeemed already; a token is presented once' },
    ENTITLEMENT_INACTIVE: { description: 'The entitlement is not ACTIVE or its period is over' },
    QUOTA_EXHAUSTED: { description: 'Nothing is left in this period' },
  },
});

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

@ObjectType('PageInfo', { description: 'Where a forward page ends' })
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; null when the page is empty' })
  endCursor!: string | null;
}

@ObjectType('RedemptionConnection', { description: "A page of the partner's redemptions, newest first" })
export class RedemptionConnectionType {
  @Field(() => [RedemptionEdgeType])
  edges!: RedemptionEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@ObjectType('TokenCheck', { description: 'What a genuine token is good for, checked without redeeming it' })
export class TokenCheckType {
  @Field(() => Boolean, { description: 'True when redeeming one unit now would succeed (barring a concurrent redemption)' })
  valid!: boolean;

  @Field(() => Boolean, { description: 'True when the token was redeemed already (a voided redemption still used it up)' })
  alreadyRedeemed!: boolean;

  @Field(() => TokenProblem, { nullable: true, description: 'Why it is not valid; null when it is' })
  problem!: TokenProblem | null;

  @Field(() => EntitlementType, { description: 'The entitlement it names: status and remaining quota' })
  entitlement!: EntitlementType;

  @Field(() => BenefitType)
  benefit!: BenefitType;

  @Field(() => Date, { description: 'When the token expires' })
  expiresAt!: Date;
}
