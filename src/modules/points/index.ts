export { debtAccount, memberAccount, partnerIssuedAccount, partnerRedeemedAccount, SYSTEM_ACCOUNTS } from './accounts.js';
export { lotDueAt, PointsLedger, requestHash } from './ledger.js';
export type { Counterparty, EarnOutcome, EarnRequest, LotMovement, PointsPosition, RestoreRequest, SpendOutcome, SpendRequest, TakeBackOutcome, TakeBackRequest } from './ledger.js';
export { PointsAccountKind, PointsJournalKind } from './points.entity.js';
export { PointsError } from './points.errors.js';
export { PointsService } from './points.service.js';
export type { PointsAccountView, PointsLotView } from './points.service.js';
export { phraseBasket, shortDate, whatPointsBuy } from './rewards-phrase.js';
