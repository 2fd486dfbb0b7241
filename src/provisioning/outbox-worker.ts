import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PartnerProvisioning, PartnerRight } from '../../partners/adapter.js';
import { pgTextArray } from '../shared/db.js';
import type { Logger } from '../shared/logger.js';
import type { MemberPseudonymizer } from '../token/index.js';

export interface OutboxWorkerOptions {
  /** Provisioning per partner id. */
  targets: ReadonlyMap<string, PartnerProvisioning>;
  pseudonyms: MemberPseudonymizer;
  logger: Logger;
  now?: () => Date;
  /** Attempts before an event is parked as dead. @default 20 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, with jitter. @default 1000 */
  baseDelayMs?: number;
  /** Longest retry delay. @default 600_000 */
  maxDelayMs?: number;
  /**
   * Called after the partner accepted an event and before it is marked delivered —
   * the window a crash would hit. Tests throw here to prove redelivery is harmless.
   */
  afterPartnerAccepted?: (eventId: string) => void | Promise<void>;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'dead' | 'idle';

interface OutboxRow {
  id: string;
  partner_id: string;
  type: 'right.activate' | 'right.revoke';
  entitlement_id: string;
  attempts: number;
}

interface RightRow {
  member_id: string;
  benefit_code: string;
  period_start: Date;
  period_end: Date;
  quota: number | null;
}

/**
 * Delivers outbox events to partners, one event per transaction: the row stays locked
 * (`FOR UPDATE SKIP LOCKED`, so workers never wait on each other) while the partner is
 * called, and is marked delivered in the same transaction. A crash after the partner's
 * 2xx leaves the row undelivered, so it is sent again with the same event id, which the
 * partner dedupes: at-least-once delivery, exactly-once effect. Failures are retried with
 * exponential backoff and jitter; events of one entitlement go out in order.
 */
export class OutboxWorker {
  constructor(
    private readonly orm: MikroORM,
    private readonly options: OutboxWorkerOptions,
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Delivers due events until none is left or `max` were handled; returns how many were delivered. */
  async drain(max = 100): Promise<{ delivered: number; retrying: number; dead: number }> {
    const counts = { delivered: 0, retrying: 0, dead: 0 };
    for (let i = 0; i < max; i++) {
      const outcome = await this.deliverNext();
      if (outcome === 'idle') break;
      counts[outcome]++;
    }
    return counts;
  }

  async deliverNext(): Promise<DeliveryOutcome> {
    const partners = [...this.options.targets.keys()];
    return this.orm.em.fork().transactional(async (tx) => {
      const now = this.now();
      const [event] = await tx.execute<OutboxRow[]>(
        `select e.id, e.partner_id, e.type, e.entitlement_id, e.attempts
         from outbox_event e
         where e.delivered_at is null and e.dead_at is null and e.available_at <= ?
           and e.partner_id = any(?::text[])
           and not exists (
             select 1 from outbox_event earlier
             where earlier.entitlement_id = e.entitlement_id and earlier.delivered_at is null
               and earlier.dead_at is null and earlier.created_at < e.created_at)
         order by e.available_at, e.created_at
         limit 1
         for update skip locked`,
        [now, pgTextArray(partners)],
      );
      if (!event) return 'idle';
      const target = this.options.targets.get(event.partner_id)!;
      try {
        if (event.type === 'right.activate') {
          const right = await this.rightOf(tx, event);
          const result = await target.provision(right, event.id);
          if (result.status === 'ACTIVE') {
            await tx.execute(`update entitlement set status = 'ACTIVE' where id = ? and status = 'PENDING_PROVISION'`, [event.entitlement_id]);
          }
        } else {
          await target.revoke(event.entitlement_id, event.id);
        }
      } catch (error) {
        return this.scheduleRetry(tx, event, error, now);
      }
      await this.options.afterPartnerAccepted?.(event.id);
      await tx.execute(`update outbox_event set delivered_at = ?, attempts = attempts + 1, last_error = null where id = ?`, [now, event.id]);
      return 'delivered';
    });
  }

  private async rightOf(tx: EntityManager, event: OutboxRow): Promise<PartnerRight> {
    const [row] = await tx.execute<RightRow[]>(
      `select e.member_id, b.code as benefit_code, e.period_start, e.period_end, e.quota
       from entitlement e join benefit b on b.id = e.benefit_id where e.id = ?`,
      [event.entitlement_id],
    );
    if (!row) throw new Error(`entitlement ${event.entitlement_id} of outbox event ${event.id} is gone`);
    return {
      entitlementId: event.entitlement_id,
      memberPseudonym: this.options.pseudonyms.forPartner(row.member_id, event.partner_id),
      benefitCode: row.benefit_code,
      validFrom: new Date(row.period_start),
      validUntil: new Date(row.period_end),
      quota: row.quota,
    };
  }

  private async scheduleRetry(tx: EntityManager, event: OutboxRow, error: unknown, now: Date): Promise<DeliveryOutcome> {
    const attempts = event.attempts + 1;
    const maxAttempts = this.options.maxAttempts ?? 20;
    const message = error instanceof Error ? error.message : String(error);
    const dead = attempts >= maxAttempts;
    const delay = retryDelayMs(attempts, this.options.baseDelayMs ?? 1000, this.options.maxDelayMs ?? 600_000);
    await tx.execute(
      `update outbox_event set attempts = ?, last_error = ?, available_at = ?, dead_at = ? where id = ?`,
      [attempts, message.slice(0, 1000), new Date(now.getTime() + delay), dead ? now : null, event.id],
    );
    this.options.logger.warn(
      { eventId: event.id, partner: event.partner_id, attempts, dead, retryInMs: dead ? null : delay, error: message },
      dead ? 'provisioning event parked after too many attempts' : 'provisioning delivery failed; will retry',
    );
    return dead ? 'dead' : 'retrying';
  }
}

/**
 * Exponential backoff with jitter: uniform in [c/2, c] for c = min(max, base·2^(attempt-1)),
 * so retries of many events spread out but never come back at once.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
