import { AppError } from '../../src/shared/errors.js';
import type { PartnerProvisioning } from '../adapter.js';
import { SPARKWASH_ID, type SparkwashClient } from './client.js';

/**
 * Provisioning on SparkWash's side: a right is a car-wash pass keyed by the entitlement id,
 * so repeating a call for the same entitlement updates one pass rather than adding one.
 */
export function sparkwashProvisioning(client: SparkwashClient): PartnerProvisioning {
  return {
    async provision(right, eventId) {
      const pass = await client.putPass(right.entitlementId, {
        memberPseudonym: right.memberPseudonym,
        benefitCode: right.benefitCode,
        validFrom: right.validFrom,
        validUntil: right.validUntil,
        quota: right.quota,
        eventId,
      });
      if (pass.status === 'REVOKED') {
        throw AppError.downstream(SPARKWASH_ID, `pass ${right.entitlementId} is still revoked after provisioning`);
      }
      return { status: pass.status };
    },

    async revoke(entitlementId, eventId) {
      await client.deletePass(entitlementId, eventId);
    },

    async status(entitlementId) {
      const pass = await client.getPass(entitlementId);
      return pass ? { status: pass.status, validUntil: pass.validUntil } : { status: 'UNKNOWN' };
    },
  };
}
