export { lotExpiry, monthKey, monthStart, nextEvaluation, programDay, shiftMonthKey, windowMonths } from './calendar.js';
export { LoyaltyProgram, LoyaltyReward, LoyaltyTier, LoyaltyTierBenefit, PROGRAM_ID } from './loyalty-program.entity.js';
export { installLoyaltyProgram } from './install.js';
export type { LoyaltyProgramDefinition } from './install.js';
export { LoyaltyProgramService } from './loyalty-program.service.js';
export { loadLoyaltyProgram, LoyaltyProgramSnapshot } from './program.js';
export type { QualifyingMetrics, RewardOffer, TierBenefit, TierRung } from './program.js';
export { LoyaltyRules, parseLoyaltyRules } from './rules.js';
export type { EarnRules, ExpiryRules, LoyaltyRulesInput, RefundPolicy, Rounding, TierRules } from './rules.js';
