import { BREWBAR_ID, type BrewbarClient } from './client.js';
import { rightsResourceProvisioning, type PartnerProvisioning } from '../sdk/index.js';

/**
 * Provisioning on BrewBar's side: a right is a member's monthly coffee allowance keyed by
 * the entitlement id, so repeating a call for the same entitlement updates one allowance
 * rather than adding one. A VOUCHER right is usable as soon as BrewBar has it: the codes
 * come from the coalition's pool, so there is nothing for BrewBar to confirm later.
 */
export function brewbarProvisioning(client: BrewbarClient): PartnerProvisioning {
  return rightsResourceProvisioning(BREWBAR_ID, client.members, { what: 'allowance', activeAtOnce: true });
}
