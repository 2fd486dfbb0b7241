export { MAX_SETTLEMENT_DAYS, SettlementService } from './settlement.service.js';
export type { PointsSettlementView, SettlementDocument, SettlementLineView, SettlementPeriod, SettlementView } from './settlement.service.js';
export { settlementCsv, settlementFileName, writeSettlementPdf } from './settlement-document.js';
export type { SettlementPdfOptions } from './settlement-document.js';
export { SettlementType } from './settlement.types.js';
