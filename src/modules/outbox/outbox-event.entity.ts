import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export type OutboxEventType = 'right.activate' | 'right.revoke';

/**
 * A provisioning event for a partner, written in the same transaction as the change it
 * announces (transactional outbox) and delivered by a worker with retries. Its id is the
 * event id partners dedupe on (`webhook-id`, `Idempotency-Key`). What the partner receives
 * is read from the entitlement at delivery, so a retry never sends stale data.
 */
@Entity({ tableName: 'outbox_event' })
// In claim order (available_at, created_at): a claim walks it and stops at the first event it may
// take, however many are queued (200,000 after a day of renewals), instead of sorting them all.
@Index({ name: 'outbox_event_due', expression: 'create index "outbox_event_due" on "outbox_event" ("available_at", "created_at") where "delivered_at" is null and "dead_at" is null' })
@Index({ properties: ['entitlementId'] })
export class OutboxEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'text' })
  type!: OutboxEventType;

  @Property({ type: 'uuid' })
  entitlementId!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  /** Not delivered before this instant (backoff after a failure). */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  availableAt: Opt<Date> = new Date();

  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;

  /** Given up after too many attempts; reconciliation and operators take it from there. */
  @Property({ type: 'datetime', nullable: true })
  deadAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  /** The request (gateway `x-request-id`) or job run that queued it; its delivery logs say so. */
  @Property({ type: 'text', nullable: true })
  requestId?: string | null;
}
