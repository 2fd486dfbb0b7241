import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType("Partner", { description: "A partner company of the coalition" })
@Directive('@key(fields: "id")')
export class PartnerType {
  @Field(() => ID, { description: 'The partner slug, e.g. sparkwash: the aud of its tokens' })
  id!: string;

  @Field(() => String, { description: 'Localized by Accept-Language' })
  name!: string;
}
