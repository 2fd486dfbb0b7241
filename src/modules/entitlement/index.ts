export { Entitlement, EntitlementStatus } from './entitlement.entity.js';
export { entitlementLoaders } from './entitlement.loaders.js';
export { EntitlementService, isUsableAt, remainingOf } from './entitlement.service.js';
export type { EntitlementServiceOptions } from './entitlement.service.js';
export { materializeCurrentPeriods } from './materialize.js';

export { sweepEntitlementPeriods } from './entitlement-period.job.js';
export type { PeriodSweepResult } from './entitlement-period.job.js';
export { acknowledgeProvisioning, returnUnits, takeQuota } from './transitions.js';
export { revokeRights } from './revoke.js';
export type { RevocationScope, RevokedRight } from './revoke.js';
export { EntitlementError } from './entitlement.errors.js';
export { EntitlementType } from './entitlement.types.js';
