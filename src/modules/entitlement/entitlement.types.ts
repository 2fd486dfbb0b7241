import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { EntitlementStatus } from './entitlement.entity.js';
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

@ObjectType('Entitlement', { description: "One member's right to one benefit for one period" })
@Directive('@key(fields: "id")')
export class EntitlementType {
  @Field(() => ID)
  id!: string;

  @Field(() => EntitlementStatus)
  status!: EntitlementStatus;

  @Field(() => BenefitType)
  benefit!: BenefitType;

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
