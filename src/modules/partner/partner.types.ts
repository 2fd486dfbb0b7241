import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { LocalizedTextType, Money } from '../../platform/graphql-types.js';

/** Who sees what a partner agreed with the coalition (shown as null to everyone else, like Benefit.unitPrice). */
const TERMS = 'Shown to the partner itself and to admins, product managers and finance (who configure and settle); null for everyone else';

@ObjectType("Partner", { description: "A partner company of the coalition" })
@Directive('@key(fields: "id")')
export class PartnerType {
  @Field(() => ID, { description: 'The partner slug, e.g. sparkwash: the aud of its tokens' })
  id!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;

  @Field(() => LocalizedTextType, { nullable: true, description: `Its name in every locale, as updatePartner takes it. ${TERMS}` })
  names!: LocalizedTextType | null;

  @Field(() => Money, { nullable: true, description: `What it pays per 1,000 points its till issues; null also when it issues none. ${TERMS}` })
  pointsIssuePricePer1000!: Money | null;

  @Field(() => Money, { nullable: true, description: `What we pay it per 1,000 points burned at its till; null also when none burn there. ${TERMS}` })
  pointsBurnPricePer1000!: Money | null;

  @Field(() => Date, { nullable: true, description: `When it joined the coalition. ${TERMS}` })
  createdAt!: Date | null;

  @Field(() => Date, { nullable: true, description: `When its name or agreed prices last changed (its creation until then). ${TERMS}` })
  updatedAt!: Date | null;
}
