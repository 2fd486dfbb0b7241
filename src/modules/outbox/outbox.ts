import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { currentRequestId } from '../../platform/request-id.js';
import type { OutboxEventType } from './outbox-event.entity.js';

/** A queued event as a delivery worker claims it. */
export interface ClaimedEvent {
  id: string;
  partner_id: string;
  type: OutboxEventType;
  entitlement_id: string;
  /** Attempts so far, this one included. */
  attempts: number;
  /** The request or job run that queued it. */
  request_id: string | null;
}

/** A piece of SQL with its positional parameters, to be spliced into the caller's statement. */
export interface SqlPart {
  sql: string;
  params: unknown[];
}

/**
 * The provisioning outbox: the only code that writes `outbox_event`. Events are queued in the
 * transaction of the change they announce and delivered by workers (src/modules/provisioning)
 * with retries, in order per entitlement.
 */
export const Outbox = {
  /**
   * The body of a CTE that queues one `type` event per right of `rightsCte` (a CTE of the
   * caller's statement with `id` and `benefit_id` columns) held at a partner in `partners`:
   * rights and their events are written by one statement, so neither is ever without the other.
   */
  queueForRightsCte(rightsCte: string, type: OutboxEventType, partners: readonly string[]): SqlPart {
    return {
      sql: `insert into outbox_event (id, partner_id, type, entitlement_id, request_id)
            select gen_random_uuid(), b.partner_id, '${type}', r.id, ?::text
            from ${rightsCte} r join benefit b on b.id = r.benefit_id
            where b.partner_id = any(?::text[])`,
      params: [currentRequestId(), pgTextArray(partners)],
    };
  },

  /** Queues one event for one right, in the caller's transaction. */
  async queue(em: EntityManager, event: { partnerId: string; type: OutboxEventType; entitlementId: string }): Promise<void> {
    await em.execute(`insert into outbox_event (id, partner_id, type, entitlement_id, request_id) values (gen_random_uuid(), ?, ?, ?, ?)`, [
      event.partnerId,
      event.type,
      event.entitlementId,
      currentRequestId(),
    ]);
  },

  /**
   * Takes up to `limit` due events of `partners` under a lease, in one committed statement: each
   * attempt is counted and the events stay invisible to other workers until `leaseUntil`. Workers
   * never wait on each other (`SKIP LOCKED`), and an event is not due while an earlier one of the
   * same entitlement is undelivered (per-entitlement order, however many workers and lanes run):
   * a batch holds at most one event of an entitlement, its earliest undelivered one. Events created
   * at the same instant are ordered by id, so even they never travel side by side.
   */
  async claimDue(em: EntityManager, options: { partners: readonly string[]; now: Date; leaseUntil: Date; limit: number }): Promise<ClaimedEvent[]> {
    return em.execute<ClaimedEvent[]>(
      `with due as (
         select e.id from outbox_event e
         where e.delivered_at is null and e.dead_at is null and e.available_at <= ?
           and e.partner_id = any(?::text[])
           and not exists (
             select 1 from outbox_event earlier
             where earlier.entitlement_id = e.entitlement_id and earlier.delivered_at is null
               and earlier.dead_at is null and (earlier.created_at, earlier.id) < (e.created_at, e.id))
         order by e.available_at, e.created_at
         limit ?
         for update skip locked)
       update outbox_event o set attempts = o.attempts + 1, available_at = ?
       from due where o.id = due.id
       returning o.id, o.partner_id, o.type, o.entitlement_id, o.attempts, o.request_id`,
      [options.now, pgTextArray(options.partners), options.limit, options.leaseUntil],
    );
  },

  /** Marks events delivered in one statement (in the caller's transaction); returns those that were not already. */
  async markDelivered(em: EntityManager, eventIds: readonly string[], at: Date): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const rows = await em.execute<{ id: string }[]>(
      `update outbox_event set delivered_at = ?, last_error = null where id = any(?::uuid[]) and delivered_at is null returning id`,
      [at, pgTextArray(eventIds)],
    );
    return rows.map((row) => row.id);
  },

  /** Records a failed attempt: due again at `availableAt`, or parked as dead at `deadAt`. */
  async scheduleRetry(em: EntityManager, eventId: string, failure: { error: string; availableAt: Date; deadAt: Date | null }): Promise<void> {
    await em.execute(`update outbox_event set last_error = ?, available_at = ?, dead_at = ? where id = ?`, [
      failure.error.slice(0, 1000),
      failure.availableAt,
      failure.deadAt,
      eventId,
    ]);
  },
};
