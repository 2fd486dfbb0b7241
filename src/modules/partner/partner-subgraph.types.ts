import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('PartnerSubgraphRegistration', { description: "A partner's own subgraph, composed into the supergraph at run time" })
export class PartnerSubgraphType {
  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  url!: string;

  @Field(() => Date)
  registeredAt!: Date;
}
