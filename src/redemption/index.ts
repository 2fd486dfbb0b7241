export { Redemption } from './redemption.entity.js';
export { RedemptionService } from './redemption.service.js';
export type { RedeemInput } from './redemption.service.js';
