import { Field, ID, ObjectType } from 'type-graphql';

/** The calling member; other modules add its fields (membership, entitlements, …) with field resolvers. */
@ObjectType('Member', { description: 'The calling member' })
export class MemberType {
  @Field(() => ID)
  id!: string;
}

/** What `me` resolves to before its fields are asked for. */
export interface MemberView {
  id: string;
}
