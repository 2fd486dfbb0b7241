import { describe, expect, it } from 'vitest';
import { loadConfig, staffRoleValues } from './config.js';
import { AppError } from './errors.js';
import { CAPABILITIES, Capability } from './capabilities.js';
import { capabilitiesOf, holdsStaffRole, requireAdmin, requireAdminOrChannel, requireCapability, requireMember, requirePartner, requireStaff } from './guards.js';
import { ANONYMOUS, memberPrincipal, StaffRole, type Principal } from './principal.js';

const member = (...staffRoles: StaffRole[]) => memberPrincipal({ memberId: 'm-1', issuer: 'https://idp.test', subject: 's-1', staffRoles });
const partner: Principal = { kind: 'partner', partnerId: 'sparkwash', apiKeyId: 'k-1' };
const channel: Principal = { kind: 'channel', channel: 'app', apiKeyId: 'k-2' };

/** What a guard call does: the principal it let through, or the code and message it threw. */
function outcome(call: () => unknown): { code: string; message: string } | 'allowed' {
  try {
    call();
    return 'allowed';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('memberPrincipal', () => {
  it('keeps isAdmin in step with the ADMIN role, and lists roles once each in a fixed order', () => {
    expect(member()).toMatchObject({ staffRoles: [], isAdmin: false });
    expect(member(StaffRole.ANALYST, StaffRole.ADMIN, StaffRole.ANALYST)).toMatchObject({ staffRoles: [StaffRole.ADMIN, StaffRole.ANALYST], isAdmin: true });
    expect(member(StaffRole.FINANCE, StaffRole.SUPPORT)).toMatchObject({ staffRoles: [StaffRole.SUPPORT, StaffRole.FINANCE], isAdmin: false });
  });
});

describe('requireStaff', () => {
  const allowed = [StaffRole.PRODUCT_MANAGER, StaffRole.ANALYST];

  it('lets an admin through whatever the allowed roles', () => {
    const admin = member(StaffRole.ADMIN);
    expect(requireStaff(admin, 'createCampaign', [])).toBe(admin);
    expect(requireStaff(admin, 'createCampaign', [StaffRole.SUPPORT])).toBe(admin);
  });

  it('lets a holder of one of the allowed roles through, and returns the member', () => {
    const pm = member(StaffRole.PRODUCT_MANAGER);
    expect(requireStaff(pm, 'segments', allowed)).toBe(pm);
    const supportAndAnalyst = member(StaffRole.SUPPORT, StaffRole.ANALYST);
    expect(requireStaff(supportAndAnalyst, 'segments', allowed)).toBe(supportAndAnalyst);
  });

  it('refuses other staff with FORBIDDEN, naming their roles', () => {
    expect(outcome(() => requireStaff(member(StaffRole.SUPPORT), 'createCampaign', [StaffRole.PRODUCT_MANAGER]))).toEqual({
      code: 'FORBIDDEN',
      message: 'A support agent may not call createCampaign',
    });
    expect(outcome(() => requireStaff(member(StaffRole.FINANCE, StaffRole.ANALYST), 'refundMembership', [StaffRole.SUPPORT]))).toEqual({
      code: 'FORBIDDEN',
      message: 'A finance officer and analyst may not call refundMembership',
    });
  });

  it('refuses a member without staff roles, a partner and a channel with FORBIDDEN', () => {
    expect(outcome(() => requireStaff(member(), 'segments', allowed))).toEqual({ code: 'FORBIDDEN', message: 'A member may not call segments' });
    expect(outcome(() => requireStaff(partner, 'segments', allowed))).toEqual({ code: 'FORBIDDEN', message: 'A partner may not call segments' });
    expect(outcome(() => requireStaff(channel, 'segments', allowed))).toEqual({ code: 'FORBIDDEN', message: 'A channel may not call segments' });
  });

  it('asks an anonymous caller to authenticate, with the reason its credential was refused when it sent one', () => {
    expect(outcome(() => requireStaff(ANONYMOUS, 'segments', allowed))).toMatchObject({ code: 'UNAUTHENTICATED' });
    const rejected: Principal = { kind: 'anonymous', rejected: AppError.unauthenticated('Credential expired') };
    expect(outcome(() => requireStaff(rejected, 'segments', allowed))).toEqual({ code: 'UNAUTHENTICATED', message: 'Credential expired' });
  });
});

describe('the other guards with staff roles', () => {
  it('requireAdmin refuses every other staff role, naming it', () => {
    expect(requireAdmin(member(StaffRole.ADMIN), 'createTestClock')).toMatchObject({ isAdmin: true });
    for (const [role, label] of [
      [StaffRole.PRODUCT_MANAGER, 'product manager'],
      [StaffRole.SUPPORT, 'support agent'],
      [StaffRole.FINANCE, 'finance officer'],
      [StaffRole.ANALYST, 'analyst'],
    ] as const) {
      const article = role === StaffRole.ANALYST ? 'An' : 'A';
      expect(outcome(() => requireAdmin(member(role), 'createTestClock'))).toEqual({ code: 'FORBIDDEN', message: `${article} ${label} may not call createTestClock` });
    }
  });

  it('requireAdminOrChannel lets a channel and an admin through, no other staff', () => {
    expect(requireAdminOrChannel(channel, 'recordActivity')).toBe(channel);
    expect(outcome(() => requireAdminOrChannel(member(StaffRole.SUPPORT), 'recordActivity'))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('requireMember lets staff through (they are members too); requirePartner names their role', () => {
    expect(requireMember(member(StaffRole.ANALYST), 'me')).toMatchObject({ memberId: 'm-1' });
    expect(outcome(() => requirePartner(member(StaffRole.ANALYST), 'redeemEntitlement'))).toEqual({ code: 'FORBIDDEN', message: 'An analyst may not call redeemEntitlement' });
    expect(outcome(() => requirePartner(member(StaffRole.ADMIN), 'redeemEntitlement'))).toEqual({ code: 'FORBIDDEN', message: 'An admin may not call redeemEntitlement' });
  });

  it('holdsStaffRole answers without throwing', () => {
    expect(holdsStaffRole(member(StaffRole.FINANCE), [StaffRole.FINANCE])).toBe(true);
    expect(holdsStaffRole(member(StaffRole.ADMIN), [])).toBe(true);
    expect(holdsStaffRole(member(StaffRole.SUPPORT), [StaffRole.FINANCE])).toBe(false);
    expect(holdsStaffRole(partner, [StaffRole.FINANCE])).toBe(false);
  });
});

describe('staff role configuration', () => {
  it('reads each role claim value, with the short names as defaults', () => {
    expect(staffRoleValues(loadConfig({}).auth)).toEqual({ ADMIN: 'admin', PRODUCT_MANAGER: 'pm', SUPPORT: 'support', FINANCE: 'finance', ANALYST: 'analyst' });
    expect(staffRoleValues(loadConfig({ AUTH_PM_ROLE: 'loyalty-pm', AUTH_ANALYST_ROLE: 'bi-reader' }).auth)).toMatchObject({ PRODUCT_MANAGER: 'loyalty-pm', ANALYST: 'bi-reader' });
  });

  it('refuses to start when two roles share a claim value', () => {
    expect(() => loadConfig({ AUTH_SUPPORT_ROLE: 'admin' })).toThrow('Invalid configuration: AUTH_ADMIN_ROLE and AUTH_SUPPORT_ROLE are both "admin"; give each staff role its own value');
  });
});

describe('capabilitiesOf', () => {
  it('gives an admin every staff capability, a partner the portal alone, channels and anonymous callers none', () => {
    expect(capabilitiesOf(member(StaffRole.ADMIN))).toEqual(CAPABILITIES.filter((c) => c !== Capability.PARTNER_PORTAL));
    expect(capabilitiesOf(partner)).toEqual([Capability.PARTNER_PORTAL]);
    expect(capabilitiesOf(channel)).toEqual([]);
    expect(capabilitiesOf(ANONYMOUS)).toEqual([]);
    expect(capabilitiesOf(member())).toEqual([]);
  });

  it('unions what several roles grant, and requireCapability lets exactly the holders through', () => {
    const both = member(StaffRole.SUPPORT, StaffRole.ANALYST);
    expect(capabilitiesOf(both)).toEqual([Capability.VIEW_FIGURES, Capability.LOOK_UP_MEMBERS, Capability.REFUND, Capability.REVOKE, Capability.EXPORT, Capability.ERASE]);
    expect(outcome(() => requireCapability(both, 'refundMembership', Capability.REFUND))).toBe('allowed');
    expect(outcome(() => requireCapability(both, 'publishCatalogDraft', Capability.PUBLISH))).toMatchObject({ code: 'FORBIDDEN' });
  });
});
