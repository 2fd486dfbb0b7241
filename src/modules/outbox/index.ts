export { OutboxEvent } from './outbox-event.entity.js';
export type { OutboxEventType } from './outbox-event.entity.js';
export { Outbox } from './outbox.js';
export type { ClaimedEvent, SqlPart } from './outbox.js';
