import { AppError } from './errors.js';
import type { Principal } from './principal.js';

type MemberPrincipal = Extract<Principal, { kind: 'member' }>;
type PartnerPrincipal = Extract<Principal, { kind: 'partner' }>;

/** The calling member; UNAUTHENTICATED for no credential, FORBIDDEN for a partner. */
export function requireMember(principal: Principal, operation: string): MemberPrincipal {
  if (principal.kind === 'member') return principal;
  if (principal.kind === 'anonymous') throw principal.rejected ?? AppError.unauthenticated();
  throw AppError.forbidden(operation, principal.kind);
}

/** The calling partner; UNAUTHENTICATED for no credential, FORBIDDEN for a member or admin. */
export function requirePartner(principal: Principal, operation: string): PartnerPrincipal {
  if (principal.kind === 'partner') return principal;
  if (principal.kind === 'anonymous') throw principal.rejected ?? AppError.unauthenticated();
  throw AppError.forbidden(operation, principal.kind === 'channel' ? 'channel' : principal.isAdmin ? 'admin' : 'member');
}

/** The calling admin (a member JWT carrying the admin role); FORBIDDEN for members without it and partners. */
export function requireAdmin(principal: Principal, operation: string): MemberPrincipal {
  if (principal.kind === 'member' && principal.isAdmin) return principal;
  if (principal.kind === 'anonymous') throw principal.rejected ?? AppError.unauthenticated();
  throw AppError.forbidden(operation, principal.kind);
}

type ChannelPrincipal = Extract<Principal, { kind: 'channel' }>;

/** An admin, or one of our channels (which reports in its own channel only); UNAUTHENTICATED or FORBIDDEN otherwise. */
export function requireAdminOrChannel(principal: Principal, operation: string): MemberPrincipal | ChannelPrincipal {
  if (principal.kind === 'channel') return principal;
  return requireAdmin(principal, operation);
}
