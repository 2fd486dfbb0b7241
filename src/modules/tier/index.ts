export { sumWindow, TierBook } from './tier-book.js';
export type { MonthlyFigures, TierMove, TierState } from './tier-book.js';
export { MemberTier, TierChange, TierChangeReason, TierQualifyingMonth } from './tier.entity.js';
export { TierService } from './tier.service.js';
export type { MemberTierView, TierProgressView } from './tier.service.js';
export { syncTierRights, tierRightsDueNow } from './tier-rights.js';
