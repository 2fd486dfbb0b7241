export { Redemption } from './redemption.entity.js';
export { RedemptionVoid } from './redemption-void.entity.js';
export { redemptionLoaders } from './redemption.loaders.js';
export { RedemptionService } from './redemption.service.js';
export type { RedeemInput, RedemptionServiceOptions } from './redemption.service.js';
export { MAX_PAGE_SIZE, RedemptionHistoryService } from './redemption-history.service.js';
export type { RedemptionEdgeView, RedemptionPageArgs, RedemptionPageView } from './redemption-history.service.js';
