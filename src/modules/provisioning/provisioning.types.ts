import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('ReconciliationFix', { description: 'One drift between a partner and us, and what was done about it' })
export class ReconciliationFixType {
  @Field(() => ID)
  entitlementId!: string;

  @Field(() => String, { description: 'Our status of the right when checked' })
  ours!: string;

  @Field(() => String, { description: "The partner's status of the right when checked" })
  theirs!: string;

  @Field(() => String, { description: 'MARKED_ACTIVE, MARKED_REVOKED, REPROVISIONED or REVOKED_AT_PARTNER' })
  action!: string;
}

@ObjectType('ReconciliationReport', { description: "What a comparison of a partner's rights with ours found and repaired" })
export class ReconciliationReportType {
  @Field(() => ID)
  partnerId!: string;

  @Field(() => Int)
  checked!: number;

  @Field(() => Int, { description: 'Rights whose partner status could not be read' })
  unreadable!: number;

  @Field(() => [ReconciliationFixType])
  fixed!: ReconciliationFixType[];
}
