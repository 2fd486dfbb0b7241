import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('PartnerApiKeyCreated', { description: 'A new partner API key: the key itself is shown this once' })
export class PartnerApiKeyCreatedType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String, { description: 'Send as Authorization: Bearer <key>. Only its hash is stored; it cannot be shown again.' })
  key!: string;

  @Field(() => String, { description: 'The first characters, to tell keys apart later' })
  prefix!: string;
}
