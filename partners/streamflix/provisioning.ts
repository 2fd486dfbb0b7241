import { STREAMFLIX_ID, type StreamflixClient, type StreamflixRightStatus } from './client.js';
import { CodedError, type PartnerProvisioning, type PartnerRightStatus } from '../sdk/index.js';

const RIGHT_STATUS: Record<StreamflixRightStatus, PartnerRightStatus> = {
  // Streamflix holds the VIP, but it plays only once the member links a Streamflix account.
  PENDING_LINK: 'PENDING',
  ACTIVE: 'ACTIVE',
  REVOKED: 'REVOKED',
};

/**
 * Provisioning on Streamflix's side, by signed webhooks: `right.activate` and
 * `right.revoke`, each delivered with `webhook-id` = the outbox event id, which Streamflix
 * dedupes by. A fresh right answers `PENDING`: it becomes `ACTIVE` when the member links
 * their Streamflix account, which Streamflix acknowledges with a `right.acknowledged`
 * webhook (and `status` reads). Re-provisioning a right already linked answers `ACTIVE`.
 */
export function streamflixProvisioning(client: StreamflixClient): PartnerProvisioning {
  return {
    async provision(right, eventId) {
      const receipt = await client.activateRight(
        {
          entitlementId: right.entitlementId,
          memberPseudonym: right.memberPseudonym,
          benefitCode: right.benefitCode,
          validFrom: right.validFrom,
          validUntil: right.validUntil,
        },
        eventId,
      );
      if (receipt.status !== 'ACTIVE' && receipt.status !== 'PENDING_LINK') {
        throw CodedError.downstream(STREAMFLIX_ID, `right ${right.entitlementId} is ${receipt.status ?? 'unknown'} after right.activate`);
      }
      return { status: RIGHT_STATUS[receipt.status] as 'ACTIVE' | 'PENDING' };
    },

    async revoke(entitlementId, eventId) {
      await client.revokeRight(entitlementId, eventId);
    },

    async status(entitlementId) {
      const right = await client.getRight(entitlementId);
      return right ? { status: RIGHT_STATUS[right.status], validUntil: right.validUntil } : { status: 'UNKNOWN' };
    },
  };
}
