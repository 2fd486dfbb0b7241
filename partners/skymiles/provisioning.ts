import type { ConversionStatus, SkymilesClient } from './client.js';
import { type PartnerProvisioning, type PartnerRightStatus } from '../sdk/index.js';

// SkyMiles credits asynchronously: a credited conversion is the active right, a reversed or
// rejected one is the revoked right.
const RIGHT_STATUS: Record<ConversionStatus, PartnerRightStatus> = {
  PENDING: 'PENDING',
  CREDITED: 'ACTIVE',
  REVERSED: 'REVOKED',
  REJECTED: 'REVOKED',
};

/**
 * Provisioning on SkyMiles' side: a right is a conversion of the benefit into miles, keyed by
 * the entitlement id, for `right.quota` miles. SkyMiles confirms it later (a signed
 * `right.acknowledged` webhook), so provisioning answers `PENDING` until then.
 */
export function skymilesProvisioning(client: SkymilesClient): PartnerProvisioning {
  return {
    async provision(right, eventId) {
      const { quota } = right;
      if (quota === null || !Number.isSafeInteger(quota) || quota <= 0) {
        // A catalog mistake, not a partner failure: retrying cannot fix it.
        throw new TypeError(
          `skymiles: entitlement ${right.entitlementId} (benefit ${right.benefitCode}) has quota ${quota}; ` +
            'set the benefit quota to the number of miles to credit, a positive integer',
        );
      }
      const conversion = await client.requestConversion(
        { conversionId: right.entitlementId, memberPseudonym: right.memberPseudonym, miles: quota, validUntil: right.validUntil },
        eventId,
      );
      return { status: conversion.status === 'CREDITED' ? 'ACTIVE' : 'PENDING' };
    },

    async revoke(entitlementId, eventId) {
      await client.reverseConversion(entitlementId, eventId);
    },

    async status(entitlementId) {
      const conversion = await client.getConversion(entitlementId);
      return conversion ? { status: RIGHT_STATUS[conversion.status], validUntil: conversion.validUntil } : { status: 'UNKNOWN' };
    },
  };
}
