export { RewardRedemption, RewardRedemptionStatus } from './reward.entity.js';
export { RewardError } from './reward.errors.js';
export { forgetRewardKeys, RewardService, rewardValidUntil } from './reward.service.js';
export type { RewardOfferView, RewardRedemptionView } from './reward.service.js';
