/**
 * What the web console may offer a caller, and what the guards of those operations check: one
 * table, so a page the console shows is a page the server lets the caller use. `viewer { can }`
 * reads it through {@link capabilitiesOf}; the staff operations of each capability guard with
 * `requireCapability` (src/platform/guards.ts). An admin holds every capability.
 */
import { StaffRole } from './principal.js';

export const Capability = {
  /** Edits the program: partners and their prices, catalog drafts and their preview, campaigns. */
  CONFIGURE: 'CONFIGURE',
  /** Publishes a catalog draft, or cancels a scheduled publication. */
  PUBLISH: 'PUBLISH',
  /** Reads the program figures that show no price agreed with a partner. */
  VIEW_FIGURES: 'VIEW_FIGURES',
  /** Finds a member and reads what they see (memberLookup, memberProfile). */
  LOOK_UP_MEMBERS: 'LOOK_UP_MEMBERS',
  /** Refunds a membership for a member (refundMembership, and its quote membershipRefundQuote). */
  REFUND: 'REFUND',
  /** Takes one right back (revokeEntitlement). */
  REVOKE: 'REVOKE',
  /** A member's data export for a data-subject request (memberDataExport). */
  EXPORT: 'EXPORT',
  /** Erases a member for a data-subject request (eraseMember). */
  ERASE: 'ERASE',
  /** The money agreed with partners: the figures priced at their agreed prices, and `Benefit.unitPrice`. */
  SETTLEMENT: 'SETTLEMENT',
  /** Reads the audit trail. */
  AUDIT: 'AUDIT',
  /** The partner portal: a partner's own benefits, redemptions, settlement, vouchers (a partner's API key). */
  PARTNER_PORTAL: 'PARTNER_PORTAL',
} as const;
export type Capability = (typeof Capability)[keyof typeof Capability];

/** The capabilities staff roles grant (every one but {@link Capability.PARTNER_PORTAL}). */
export type StaffCapability = Exclude<Capability, 'PARTNER_PORTAL'>;

/**
 * Who holds each capability besides an admin: the staff roles whose operations docs/contract.md
 * lists under "Roles", or `partner` for a partner's API key. Changing a row changes what the
 * guards let through and what the console shows, together.
 */
export const CAPABILITY_HOLDERS: Readonly<Record<StaffCapability, readonly StaffRole[]>> & { readonly PARTNER_PORTAL: 'partner' } = {
  CONFIGURE: [StaffRole.PRODUCT_MANAGER],
  PUBLISH: [StaffRole.PRODUCT_MANAGER],
  VIEW_FIGURES: [StaffRole.PRODUCT_MANAGER, StaffRole.FINANCE, StaffRole.ANALYST],
  LOOK_UP_MEMBERS: [StaffRole.SUPPORT],
  REFUND: [StaffRole.SUPPORT],
  REVOKE: [StaffRole.SUPPORT],
  EXPORT: [StaffRole.SUPPORT],
  ERASE: [StaffRole.SUPPORT],
  SETTLEMENT: [StaffRole.PRODUCT_MANAGER, StaffRole.FINANCE],
  AUDIT: [],
  PARTNER_PORTAL: 'partner',
};

/** Every capability, in the order `viewer { can }` lists them. */
export const CAPABILITIES: readonly Capability[] = Object.values(Capability);
