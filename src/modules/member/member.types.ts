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
  /**
   * The member's own "now" when someone else reads their view (support: the member's test
   * clock); absent for `me`, whose request already runs on the caller's clock.
   */
  asOf?: Date;
}
