import { Directive, Field, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { BillingPeriod } from './plan.entity.js';
import { PlanBenefitType } from '../bundle/index.js';

registerEnumType(BillingPeriod, { name: 'BillingPeriod' });

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
}
