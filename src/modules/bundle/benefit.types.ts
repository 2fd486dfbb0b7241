import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../../platform/graphql-types.js';
import { BenefitKind, BenefitPeriod } from './bundle.entity.js';
import { PartnerType } from '../partner/index.js';

registerEnumType(BenefitKind, {
  name: 'BenefitKind',
  valuesConfig: {
    ACCESS: { description: 'Access for a period (a streaming VIP)' },
    QUOTA: { description: 'N uses per period (4 car washes a year)' },
    VOUCHER: { description: 'Codes from the partner pool, N per period' },
    DISCOUNT: { description: 'A price reduction at the partner' },
    CONVERSION: { description: 'Turned into the partner currency (airline miles), confirmed by the partner' },
  },
});
registerEnumType(BenefitPeriod, { name: 'BenefitPeriod' });

@ObjectType('Benefit', { description: 'A right a partner grants to members' })
@Directive('@key(fields: "code")')
export class BenefitType {
  @Field(() => String)
  code!: string;

  @Field(() => BenefitKind)
  kind!: BenefitKind;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  description!: string;

  @Field(() => PartnerType)
  partner!: PartnerType;

  @Field(() => Money, {
    nullable: true,
    description: 'What the partner is paid per unit redeemed, as agreed with it: shown to that partner and to admins only; null otherwise or when no price is agreed',
  })
  unitPrice!: Money | null;
}

@ObjectType('PlanBenefit', { description: 'A benefit as a plan\'s bundle grants it' })
export class PlanBenefitType {
  @Field(() => BenefitType)
  benefit!: BenefitType;

  @Field(() => Int, { nullable: true, description: 'Uses per period; null when unlimited' })
  quota!: number | null;

  @Field(() => BenefitPeriod)
  period!: BenefitPeriod;

  @Field(() => String, { nullable: true, description: 'Only for members holding this loyalty tier or a higher one; null: every member of the plan' })
  minTier!: string | null;

  @Field(() => [String], { nullable: true, description: 'Only for members in one of these segments when its period starts; null: every member of the plan' })
  segments!: string[] | null;
}
