export { MAX_SETTLEMENT_DAYS, SettlementService } from './settlement.service.js';
export type { SettlementLineView, SettlementPeriod, SettlementView } from './settlement.service.js';
export { SettlementType } from './settlement.types.js';
