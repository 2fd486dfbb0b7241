import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EntitlementSource, EntitlementStatus } from './entitlement.entity.js';
import { BenefitType } from '../bundle/index.js';

registerEnumType(EntitlementStatus, {
  name: 'EntitlementStatus',
  valuesConfig: {
    PENDING_PROVISION: { description: 'Waiting for the partner to activate the right on its side' },
    ACTIVE: { description: 'Usable now' },
    SUSPENDED: { description: 'Temporarily unusable' },
    REVOKED: { description: 'Taken back (cancel, refund, fraud)' },
    EXPIRED: { description: 'Its period is over' },
  },
});

registerEnumType(EntitlementSource, {
  name: 'EntitlementSource',
  description: 'What granted a right',
  valuesConfig: {
    MEMBERSHIP: { description: "The paid membership's bundle" },
    REWARD: { description: 'A reward the member bought with points' },
    TIER: { description: 'The tier the member holds' },
    CAMPAIGN: { description: 'A campaign or member day' },
  },
});

@ObjectType('Entitlement', { description: "One member's right to one benefit for one period" })
@Directive('@key(fields: "id")')
export class EntitlementType {
  @Field(() => ID)
  id!: string;

  @Field(() => EntitlementStatus)
  status!: EntitlementStatus;

  @Field(() => BenefitType)
  benefit!: BenefitType;

  @Field(() => EntitlementSource, { description: 'What granted it: the membership, or the loyalty program (a reward, a tier, a campaign)' })
  source!: EntitlementSource;

  @Field(() => String, { nullable: true, description: "What granted a program's right: the reward redemption's id, the tier's code, the campaign's code; null for a membership's" })
  sourceRef!: string | null;

  @Field(() => Int, { nullable: true, description: 'Uses left in this period; null when unlimited' })
  remaining!: number | null;

  @Field(() => Int, { nullable: true, description: 'Uses granted for this period; null when unlimited' })
  quota!: number | null;

  @Field(() => Int, { description: 'Uses taken in this period' })
  used!: number;

  @Field(() => Date, { description: 'Start of the period' })
  validFrom!: Date;

  @Field(() => Date, { description: 'End of the period (exclusive)' })
  validUntil!: Date;
}
