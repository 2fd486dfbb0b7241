export { Redemption } from './redemption.entity.js';
export { RedemptionVoid } from './redemption-void.entity.js';
export { redemptionLoaders } from './redemption.loaders.js';
export { RedemptionService, TokenProblem } from './redemption.service.js';
export type { RedeemInput, RedemptionServiceOptions, TokenCheckView } from './redemption.service.js';
export { MAX_PAGE_SIZE, RedemptionHistoryService } from './redemption-history.service.js';
export type { RedemptionEdgeView, RedemptionPageArgs, RedemptionPageView } from './redemption-history.service.js';
