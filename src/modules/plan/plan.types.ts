import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { BillingPeriod, GraceAccess, RefundPolicy } from './plan.entity.js';
import { PlanBenefitType } from '../bundle/index.js';

registerEnumType(BillingPeriod, { name: 'BillingPeriod' });
registerEnumType(RefundPolicy, {
  name: 'RefundPolicy',
  valuesConfig: {
    FULL: { description: 'Everything paid for the period' },
    PRO_RATA: { description: 'The unused share of the period, by time' },
    PRO_RATA_MINUS_USED: { description: 'The unused share minus the member-facing value of the benefits used this period' },
  },
});
registerEnumType(GraceAccess, {
  name: 'GraceAccess',
  description: "What a membership's rights do while a failed renewal is in grace (PAST_DUE)",
  valuesConfig: {
    USABLE: { description: 'The member keeps using them while the charge is retried' },
    SUSPENDED: { description: "Suspended until the member pays; tokens already out are refused" },
  },
});


@ObjectType('Plan', { description: 'A paid plan on sale' })
@Directive('@key(fields: "code")')
export class PlanType {
  @Field(() => String)
  code!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => Money)
  price!: Money;

  @Field(() => BillingPeriod)
  billingPeriod!: BillingPeriod;

  @Field(() => [PlanBenefitType], { description: 'The benefits of the bundle version on sale now' })
  benefits!: PlanBenefitType[];

  @Field(() => Int, { description: 'Days of free trial a new member may start (`subscribe(trial: true)`); 0: none' })
  trialDays!: number;

  @Field(() => Int, { description: 'Days a failed renewal stays PAST_DUE (retried) before the membership ends' })
  graceDays!: number;

  @Field(() => RefundPolicy, { description: 'What a refund in the middle of a paid period gives back' })
  refundPolicy!: RefundPolicy;
}
