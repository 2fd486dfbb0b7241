import { Field, ID, ObjectType } from 'type-graphql';
import { EntitlementType } from '../entitlement/entitlement.types.js';
import { MembershipType } from '../membership/membership.types.js';

@ObjectType('Member', { description: 'The calling member' })
export class MemberType {
  @Field(() => ID)
  id!: string;

  @Field(() => MembershipType, { nullable: true, description: 'The current paid membership; null when none' })
  membership!: MembershipType | null;

  @Field(() => [EntitlementType], { description: 'Rights whose period contains now' })
  entitlements!: EntitlementType[];
}

/** What `me` resolves to before its fields are asked for. */
export interface MemberView {
  id: string;
}
