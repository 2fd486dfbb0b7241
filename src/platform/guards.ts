import { CAPABILITIES, CAPABILITY_HOLDERS, type Capability, type StaffCapability } from './capabilities.js';
import { AppError } from './errors.js';
import { StaffRole, type MemberPrincipal, type Principal } from './principal.js';

type PartnerPrincipal = Extract<Principal, { kind: 'partner' }>;
type ChannelPrincipal = Extract<Principal, { kind: 'channel' }>;

/** How a refusal names a staff role: "A support agent may not call createCampaign". */
const ROLE_LABELS: Readonly<Record<StaffRole, string>> = {
  ADMIN: 'admin',
  PRODUCT_MANAGER: 'product manager',
  SUPPORT: 'support agent',
  FINANCE: 'finance officer',
  ANALYST: 'analyst',
};

/** The caller as a refusal names it: a partner, a channel, a member, an admin, "a support agent and analyst". */
function callerLabel(principal: Exclude<Principal, { kind: 'anonymous' }>): string {
  if (principal.kind !== 'member') return principal.kind;
  if (principal.isAdmin) return ROLE_LABELS.ADMIN;
  return principal.staffRoles.length ? principal.staffRoles.map((role) => ROLE_LABELS[role]).join(' and ') : 'member';
}

function refuse(principal: Principal, operation: string): never {
  if (principal.kind === 'anonymous') throw principal.rejected ?? AppError.unauthenticated();
  throw AppError.forbidden(operation, callerLabel(principal));
}

/** The calling member (staff included: they are members too); UNAUTHENTICATED for no credential, FORBIDDEN for a partner. */
export function requireMember(principal: Principal, operation: string): MemberPrincipal {
  if (principal.kind === 'member') return principal;
  return refuse(principal, operation);
}

/** The calling partner; UNAUTHENTICATED for no credential, FORBIDDEN for a member, staff or a channel. */
export function requirePartner(principal: Principal, operation: string): PartnerPrincipal {
  if (principal.kind === 'partner') return principal;
  return refuse(principal, operation);
}

/** True for an admin, or a member holding one of `allowed`: for what a field shows, where refusing is not the answer. */
export function holdsStaffRole(principal: Principal, allowed: readonly StaffRole[]): principal is MemberPrincipal {
  return principal.kind === 'member' && (principal.isAdmin || principal.staffRoles.some((role) => allowed.includes(role)));
}

/**
 * The calling staff member: an admin always, or a holder of one of `allowed`. FORBIDDEN for
 * members without such a role (other staff included), partners and channels, naming the
 * caller's role; UNAUTHENTICATED for no credential.
 */
export function requireStaff(principal: Principal, operation: string, allowed: readonly StaffRole[]): MemberPrincipal {
  if (holdsStaffRole(principal, allowed)) return principal;
  return refuse(principal, operation);
}

/** The calling admin (a member JWT carrying the admin role), for what only admins may do; FORBIDDEN for everyone else. */
export function requireAdmin(principal: Principal, operation: string): MemberPrincipal {
  return requireStaff(principal, operation, [StaffRole.ADMIN]);
}

/** An admin, or one of our channels (which reports in its own channel only); UNAUTHENTICATED or FORBIDDEN otherwise. */
export function requireAdminOrChannel(principal: Principal, operation: string): MemberPrincipal | ChannelPrincipal {
  if (principal.kind === 'channel') return principal;
  return requireAdmin(principal, operation);
}

/** True when the caller holds `capability` ({@link CAPABILITY_HOLDERS}): what `viewer { can }` states. */
export function holdsCapability(principal: Principal, capability: Capability): boolean {
  if (capability === 'PARTNER_PORTAL') return principal.kind === CAPABILITY_HOLDERS.PARTNER_PORTAL;
  return holdsStaffRole(principal, CAPABILITY_HOLDERS[capability]);
}

/** Every capability the caller holds, in {@link CAPABILITIES} order. */
export function capabilitiesOf(principal: Principal): Capability[] {
  return CAPABILITIES.filter((capability) => holdsCapability(principal, capability));
}

/**
 * The calling staff member, for an operation of one console capability: an admin, or a holder
 * of a role {@link CAPABILITY_HOLDERS} names for it. Refuses like {@link requireStaff}.
 */
export function requireCapability(principal: Principal, operation: string, capability: StaffCapability): MemberPrincipal {
  return requireStaff(principal, operation, CAPABILITY_HOLDERS[capability]);
}
