import { SPARKWASH_ID, type SparkwashClient } from './client.js';
import { rightsResourceProvisioning, type PartnerProvisioning } from '../sdk/index.js';

/**
 * Provisioning on SparkWash's side: a right is a car-wash pass keyed by the entitlement id,
 * so repeating a call for the same entitlement updates one pass rather than adding one.
 * A pass may wait PENDING for SparkWash's confirmation.
 */
export function sparkwashProvisioning(client: SparkwashClient): PartnerProvisioning {
  return rightsResourceProvisioning(SPARKWASH_ID, client.passes, { what: 'pass', activeAtOnce: false });
}
