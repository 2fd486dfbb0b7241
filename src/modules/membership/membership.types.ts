import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { MembershipStatus } from './membership.entity.js';
import { PlanType } from '../plan/index.js';

registerEnumType(MembershipStatus, {
  name: 'MembershipStatus',
  valuesConfig: {
    PENDING_PAYMENT: { description: 'Waiting for the payment provider to confirm' },
    ACTIVE: { description: 'Paid; its rights are materialized' },
    PAYMENT_FAILED: { description: 'The payment failed; never active' },
    CANCELED: { description: 'Ended by cancellation' },
    EXPIRED: { description: 'The paid period is over' },
  },
});

// Named Membership, never Subscription: a type of that name becomes the subscription root.
@ObjectType('Membership', { description: "A member's paid membership of a plan" })
export class MembershipType {
  @Field(() => ID)
  id!: string;

  @Field(() => MembershipStatus)
  status!: MembershipStatus;

  @Field(() => PlanType)
  plan!: PlanType;

  @Field(() => Date, { nullable: true, description: 'Start of the paid period; null until paid' })
  currentPeriodStart!: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the paid period; null until paid' })
  currentPeriodEnd!: Date | null;

  @Field(() => Boolean, { description: 'True when it ends at currentPeriodEnd instead of renewing' })
  cancelAtPeriodEnd!: boolean;

  @Field(() => Date)
  createdAt!: Date;
}
