import { AppError } from '../../src/shared/errors.js';
import type { PartnerProvisioning } from '../adapter.js';
import { BREWBAR_ID, type BrewbarClient } from './client.js';

/**
 * Provisioning on BrewBar's side: a right is a member's monthly coffee allowance keyed by
 * the entitlement id, so repeating a call for the same entitlement updates one allowance
 * rather than adding one. A VOUCHER right is usable as soon as BrewBar has it: the codes
 * come from the coalition's pool, so there is nothing for BrewBar to confirm later.
 */
export function brewbarProvisioning(client: BrewbarClient): PartnerProvisioning {
  return {
    async provision(right, eventId) {
      const member = await client.putMember(right.entitlementId, {
        memberPseudonym: right.memberPseudonym,
        benefitCode: right.benefitCode,
        validFrom: right.validFrom,
        validUntil: right.validUntil,
        quota: right.quota,
        eventId,
      });
      if (member.status !== 'ACTIVE') {
        throw AppError.downstream(BREWBAR_ID, `allowance ${right.entitlementId} is still ${member.status.toLowerCase()} after provisioning`);
      }
      return { status: 'ACTIVE' };
    },

    async revoke(entitlementId, eventId) {
      await client.deleteMember(entitlementId, eventId);
    },

    async status(entitlementId) {
      const member = await client.getMember(entitlementId);
      return member ? { status: member.status, validUntil: member.validUntil } : { status: 'UNKNOWN' };
    },
  };
}
