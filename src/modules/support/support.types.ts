import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MemberLookupKey } from './member-lookup.js';

registerEnumType(MemberLookupKey, {
  name: 'MemberLookupKey',
  description: 'What a lookup query matched a member by',
  valuesConfig: {
    MEMBER_ID: { description: 'The member id' },
    MEMBERSHIP_ID: { description: 'The id of one of their memberships' },
    ENTITLEMENT_ID: { description: "The id of one of their entitlements (an entitlement token's `ent`)" },
    SUBJECT: { description: "The identity provider's subject (`sub`) they sign in with, under any issuer" },
  },
});

@ObjectType('EntitlementCounts', { description: "How many of a member's rights are in each status, over every period" })
export class EntitlementCountsType {
  @Field(() => Int)
  total!: number;

  @Field(() => Int)
  pendingProvision!: number;

  @Field(() => Int)
  active!: number;

  @Field(() => Int)
  suspended!: number;

  @Field(() => Int)
  revoked!: number;

  @Field(() => Int)
  expired!: number;
}

@ObjectType('SupportMember', {
  description:
    'A member as support sees them (memberLookup, memberProfile): `member` is what the member sees in `me`; the rest is what support acts on (membershipTimeline, memberSegments, memberDataExport, refundMembership, revokeEntitlement)',
})
export class SupportMemberType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date, { description: 'When the member first signed in' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the member was erased; null while they are a member' })
  erasedAt!: Date | null;

  @Field(() => [MemberLookupKey], { description: 'What the query matched them by (MEMBER_ID for memberProfile)' })
  matchedBy!: MemberLookupKey[];
}
