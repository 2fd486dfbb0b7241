import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { BenefitType } from '../bundle/index.js';
import { EntitlementType } from '../entitlement/index.js';
import { TokenProblem } from './token.service.js';

registerEnumType(TokenProblem, {
  name: 'TokenProblem',
  description: 'Why a genuine, unexpired token cannot be redeemed now',
  valuesConfig: {
    ALREADY_REDEEMED: { description: 'The token was redeemed already; a token is presented once' },
    ENTITLEMENT_INACTIVE: { description: 'The entitlement is not ACTIVE or its period is over' },
    QUOTA_EXHAUSTED: { description: 'Nothing is left in this period' },
  },
});

@ObjectType('EntitlementToken', { description: 'A signed token to present to the partner once' })
export class EntitlementTokenType {
  @Field(() => String, { description: 'Compact JWS (EdDSA, typ entitlement+jwt); partners verify it against /.well-known/jwks.json' })
  token!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => EntitlementType)
  entitlement!: EntitlementType;
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
