export { InboundPartnerEvent } from './inbound-partner-event.entity.js';
export { OutboxWorker, outboxWorker, retryDelayMs } from './outbox-worker.js';
export type { DeliveryCounts, DeliveryOutcome, OutboxDelivery, OutboxWorkerOptions } from './outbox-worker.js';
export { PartnerEventReceiver } from './partner-events.js';
export type { PartnerEventResponse } from './partner-events.js';
export { reconcilePartner } from './reconciliation.js';
export type { ReconciliationAction, ReconciliationFix, ReconciliationReport } from './reconciliation.js';
export { ProvisioningService } from './provisioning.service.js';
