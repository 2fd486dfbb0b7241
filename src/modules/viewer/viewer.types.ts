import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Capability } from '../../platform/capabilities.js';
import { PartnerType } from '../partner/index.js';

/** What kind of credential the caller presented. */
export const ViewerKind = {
  MEMBER: 'MEMBER',
  PARTNER: 'PARTNER',
  CHANNEL: 'CHANNEL',
  ANONYMOUS: 'ANONYMOUS',
} as const;
export type ViewerKind = (typeof ViewerKind)[keyof typeof ViewerKind];

registerEnumType(ViewerKind, {
  name: 'ViewerKind',
  description: "The caller's credential: a member's JWT (staff included), a partner's API key, one of our channels' API keys, or none",
});

registerEnumType(Capability, {
  name: 'Capability',
  description: 'What the web console may offer a caller; the server checks the same table on every operation',
  valuesConfig: {
    CONFIGURE: { description: 'Edit partners, catalog drafts (and preview them), campaigns' },
    PUBLISH: { description: 'Publish a catalog draft, cancel a scheduled publication' },
    VIEW_FIGURES: { description: 'Read the program figures that show no price agreed with a partner' },
    LOOK_UP_MEMBERS: { description: 'Find a member and see what they see (memberLookup, memberProfile)' },
    REFUND: { description: 'Refund a membership (refundMembership)' },
    REVOKE: { description: 'Take one right back (revokeEntitlement)' },
    EXPORT: { description: "A member's data export (memberDataExport)" },
    ERASE: { description: 'Erase a member (eraseMember)' },
    SETTLEMENT: { description: 'The money agreed with partners: priced figures, benefits\' unit prices' },
    AUDIT: { description: 'Read the audit trail' },
    PARTNER_PORTAL: { description: "The partner portal: the partner's own benefits, redemptions, settlement and vouchers" },
  },
});

@ObjectType('Viewer', { description: 'Who the caller is, and what the console may offer them' })
export class ViewerType {
  @Field(() => ViewerKind)
  kind!: ViewerKind;

  @Field(() => [String], { description: 'Staff roles by their names in the contract (admin, pm, support, finance, analyst); empty but for staff' })
  staffRoles!: string[];

  @Field(() => ID, { nullable: true, description: "A member's own id (staff included); null for other callers" })
  memberId!: string | null;

  @Field(() => PartnerType, { nullable: true, description: "A partner's API key: the partner; null for other callers" })
  partner!: unknown;

  @Field(() => String, { nullable: true, description: "A channel's API key: the channel; null for other callers" })
  channel!: string | null;

  @Field(() => [Capability], { description: 'What the caller may use, in a fixed order: the same table the server enforces' })
  can!: Capability[];
}
