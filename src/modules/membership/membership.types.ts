import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { MembershipStatus, PaymentKind, PaymentStatus, RefundStatus } from './membership.entity.js';
import { PlanChangeTiming } from './membership.service.js';
import { PlanType, RefundPolicy } from '../plan/index.js';

registerEnumType(MembershipStatus, {
  name: 'MembershipStatus',
  valuesConfig: {
    PENDING_PAYMENT: { description: 'Waiting for the payment provider to confirm' },
    TRIALING: { description: 'A free trial: converts to paid at its end unless cancelled' },
    ACTIVE: { description: 'Paid; its rights are materialized' },
    PAST_DUE: { description: 'A renewal charge failed: retried during the grace period, then the membership ends' },
    PAYMENT_FAILED: { description: 'The payment failed; never active' },
    CANCELED: { description: 'Ended by cancellation or refund' },
    EXPIRED: { description: 'Ended: not renewed, or unpaid after its grace' },
  },
});
registerEnumType(PaymentStatus, { name: 'PaymentStatus' });
registerEnumType(PaymentKind, {
  name: 'PaymentKind',
  valuesConfig: {
    INITIAL: { description: 'The first period, at subscription' },
    RENEWAL: { description: 'A renewal through the mandate (a retry too)' },
    TRIAL_CONVERSION: { description: 'The first paid period after a free trial' },
    RECOVERY: { description: 'The member paying an unpaid renewal during grace' },
    PRORATION: { description: 'The difference owed for a plan change' },
  },
});
registerEnumType(RefundStatus, { name: 'RefundStatus' });
registerEnumType(PlanChangeTiming, {
  name: 'PlanChangeTiming',
  valuesConfig: {
    IMMEDIATELY: { description: 'Now: a new period on the new plan, the unused part of the current one credited' },
    AT_PERIOD_END: { description: "At the current period's end: the renewal is on the new plan" },
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

  @Field(() => Date, { nullable: true, description: 'Start of the current period (paid, or the trial); null until paid' })
  currentPeriodStart!: Date | null;

  @Field(() => Date, { nullable: true, description: 'End of the current period; null until paid' })
  currentPeriodEnd!: Date | null;

  @Field(() => Boolean, { description: 'True when it ends at currentPeriodEnd instead of renewing' })
  cancelAtPeriodEnd!: boolean;

  @Field(() => Boolean, { description: "Renews at the period's end through the member's payment mandate; the member can turn it off and on" })
  autoRenew!: boolean;

  @Field(() => Date, { nullable: true, description: 'End of the free trial, for a membership that started with one' })
  trialEndsAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'PAST_DUE: when it ends if the renewal stays unpaid' })
  graceEndsAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it ended' })
  endedAt!: Date | null;

  @Field(() => PlanType, { nullable: true, description: 'The plan the next period will be on (a change at the period end); null: the same plan' })
  scheduledPlan!: PlanType | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType('PaymentRefund', { description: 'Money given back on a payment' })
export class PaymentRefundType {
  @Field(() => ID)
  id!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => RefundStatus)
  status!: RefundStatus;

  @Field(() => String, { description: 'MEMBER_REQUEST, ADMIN, UNWANTED_CHARGE (paid for nothing), PLAN_CHANGE' })
  reason!: string;

  @Field(() => Date)
  requestedAt!: Date;
}

@ObjectType('Payment', { description: 'A charge for a membership: the receipt the member sees' })
export class PaymentType {
  @Field(() => ID)
  id!: string;

  @Field(() => PaymentKind)
  kind!: PaymentKind;

  @Field(() => PaymentStatus)
  status!: PaymentStatus;

  @Field(() => Money)
  amount!: Money;

  @Field(() => Money, { description: 'Given back so far' })
  refunded!: Money;

  @Field(() => String, { nullable: true, description: 'The plan it paid for' })
  planCode!: string | null;

  @Field(() => Date, { nullable: true })
  periodStart!: Date | null;

  @Field(() => Date, { nullable: true })
  periodEnd!: Date | null;

  @Field(() => Date, { description: "When it was charged (on the member's clock)" })
  chargedAt!: Date;

  @Field(() => Date, { nullable: true })
  settledAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the provider refused it: DECLINED, INSUFFICIENT_FUNDS, MANDATE_INVALID, EXPIRED, OTHER' })
  failureReason!: string | null;

  @Field(() => [PaymentRefundType])
  refunds!: PaymentRefundType[];
}

@ObjectType('MembershipEvent', { description: 'One thing that happened to a membership (support timeline)' })
export class MembershipEventType {
  @Field(() => String, { description: 'SUBSCRIBED, TRIAL_STARTED, CHARGED, CHARGE_FAILED, REMINDED, RENEWED, PAST_DUE, RESUMED, PLAN_CHANGED, REFUNDED, ENDED, …' })
  type!: string;

  @Field(() => Date, { description: "On the membership's clock" })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'The figures of the event (amounts, payment and plan ids, reasons), as a JSON object' })
  details!: string | null;
}


@ObjectType('RefundQuote', { description: 'What refunding a membership now would give back (shown before the member confirms)' })
export class RefundQuoteType {
  @Field(() => RefundPolicy)
  policy!: RefundPolicy;

  @Field(() => Money, { description: 'Paid for the current period' })
  paid!: Money;

  @Field(() => Float, { description: 'The share of the period not yet lived, 0 to 1' })
  unusedShare!: number;

  @Field(() => Money, { description: 'Member-facing value of the benefits used this period' })
  usedValue!: Money;

  @Field(() => Money, { description: 'What would be refunded now: pass its amount as expectedAmount to refundMembership' })
  amount!: Money;

  @Field(() => Date)
  at!: Date;
}

@ObjectType('PlanChangeQuote', { description: 'What a plan change would cost or give back (shown before the member confirms)' })
export class PlanChangeQuoteType {
  @Field(() => String)
  fromPlanCode!: string;

  @Field(() => String)
  toPlanCode!: string;

  @Field(() => PlanChangeTiming)
  timing!: PlanChangeTiming;

  @Field(() => Money, { description: 'The unused part of the current period, credited (IMMEDIATELY)' })
  credit!: Money;

  @Field(() => Money, { description: 'Charged now: pass its amount as expectedAmount to changePlan' })
  amountDue!: Money;

  @Field(() => Money, { description: 'Given back now (a credit larger than the new price)' })
  refund!: Money;

  @Field(() => Money, { description: 'What each renewal on the new plan charges' })
  nextCharge!: Money;

  @Field(() => Date, { description: 'Start of the first period on the new plan' })
  periodStart!: Date;

  @Field(() => Date)
  periodEnd!: Date;
}
