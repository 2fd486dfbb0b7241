/** Who is calling, as established from the bearer credential. */
import type { AppError } from './errors.js';

/**
 * Staff roles a member JWT may carry in the role claim (`AUTH_ROLE_CLAIM`), each under the
 * claim value configured for it (`AUTH_ADMIN_ROLE`, `AUTH_PM_ROLE`, `AUTH_SUPPORT_ROLE`,
 * `AUTH_FINANCE_ROLE`, `AUTH_ANALYST_ROLE`). What each may call is the "Roles" table of
 * docs/contract.md, enforced by {@link requireStaff} and checked by the authorization matrix.
 */
export const StaffRole = {
  /** Everything: every staff operation, and the infrastructure ones (keys, subgraphs, test clocks). */
  ADMIN: 'ADMIN',
  /** Configures and publishes the program: campaigns, segments. */
  PRODUCT_MANAGER: 'PRODUCT_MANAGER',
  /** Looks a member up and acts for them: timeline, refund, revoke a right, export, erase. */
  SUPPORT: 'SUPPORT',
  /** Reads the money: points liability, payments' timelines. */
  FINANCE: 'FINANCE',
  /** Reads the program's figures, never changes anything. */
  ANALYST: 'ANALYST',
} as const;
export type StaffRole = (typeof StaffRole)[keyof typeof StaffRole];

/** Every staff role, in the order principals, audit actors and messages list them. */
export const STAFF_ROLES: readonly StaffRole[] = [StaffRole.ADMIN, StaffRole.PRODUCT_MANAGER, StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.ANALYST];

/**
 * Each role's short name: what `npm run -s dev:credential -- <name> <id>` takes, the prefix of
 * the audit actor (`support:<member id>`) and the default claim value (`AUTH_<NAME>_ROLE`).
 */
export const STAFF_ROLE_NAMES: Readonly<Record<StaffRole, string>> = {
  ADMIN: 'admin',
  PRODUCT_MANAGER: 'pm',
  SUPPORT: 'support',
  FINANCE: 'finance',
  ANALYST: 'analyst',
};

export type Principal =
  /** No usable credential; `rejected` says why a credential that was sent was refused. */
  | { kind: 'anonymous'; rejected?: AppError }
  | {
      kind: 'member';
      memberId: string;
      issuer: string;
      subject: string;
      /** The staff roles the identity provider gave the caller, in {@link STAFF_ROLES} order; empty for a plain member. */
      staffRoles: readonly StaffRole[];
      /** True when `staffRoles` holds ADMIN (kept in sync by {@link memberPrincipal}). */
      isAdmin: boolean;
    }
  | { kind: 'partner'; partnerId: string; apiKeyId: string }
  /** One of our own channels (app, online shop, store POS, mini-program) reporting members' activities. */
  | { kind: 'channel'; channel: string; apiKeyId: string };

export type MemberPrincipal = Extract<Principal, { kind: 'member' }>;

export type PrincipalKind = Principal['kind'] | 'admin';

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** A member principal, its staff roles deduplicated in {@link STAFF_ROLES} order and `isAdmin` derived from them. */
export function memberPrincipal(fields: { memberId: string; issuer: string; subject: string; staffRoles?: Iterable<StaffRole> }): MemberPrincipal {
  const held = new Set(fields.staffRoles ?? []);
  const staffRoles = STAFF_ROLES.filter((role) => held.has(role));
  return { kind: 'member', memberId: fields.memberId, issuer: fields.issuer, subject: fields.subject, staffRoles, isAdmin: held.has(StaffRole.ADMIN) };
}
