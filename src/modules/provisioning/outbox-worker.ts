import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PartnerProvisioning, PartnerRight } from '../../../partners/sdk/index.js';
import { pgTextArray } from '../../platform/sql.js';
import type { Logger } from '../../platform/logger.js';
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
  /** How long a claimed event stays invisible to other workers. @default 60_000 */
  leaseMs?: number;
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
  /** The request or job run that queued it. */
  request_id: string | null;
}

interface RightRow {
  member_id: string;
  benefit_code: string;
  period_start: Date;
  period_end: Date;
  quota: number | null;
}

/**
 * Delivers outbox events to partners. An event is claimed under a lease (workers never
 * wait on each other: `FOR UPDATE SKIP LOCKED`), the partner is called outside any
 * transaction, then the event is marked delivered. A crash after the partner's 2xx leaves
 * it undelivered, so it is sent again after the lease with the same event id, which the
 * partner dedupes: at-least-once delivery, exactly-once effect. Failures are retried with
 * exponential backoff and jitter, up to an attempt limit; events of one entitlement go
 * out in order.
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
    const now = this.now();
    const event = await this.claim(now);
    if (!event) return 'idle';
    const em = this.orm.em.fork();
    const target = this.options.targets.get(event.partner_id)!;
    let acknowledged = false;
    try {
      if (event.type === 'right.activate') {
        const result = await target.provision(await this.rightOf(em, event), event.id);
        acknowledged = result.status === 'ACTIVE';
      } else {
        await target.revoke(event.entitlement_id, event.id);
      }
    } catch (error) {
      return this.scheduleRetry(em, event, error, now);
    }
    await this.options.afterPartnerAccepted?.(event.id);
    await em.transactional(async (tx) => {
      await tx.execute(`update outbox_event set delivered_at = ?, last_error = null where id = ? and delivered_at is null`, [this.now(), event.id]);
      if (acknowledged) {
        await tx.execute(`update entitlement set status = 'ACTIVE' where id = ? and status = 'PENDING_PROVISION'`, [event.entitlement_id]);
      }
    });
    this.options.logger.info(
      { eventId: event.id, requestId: event.request_id, partner: event.partner_id, type: event.type, attempts: event.attempts, acknowledged },
      'provisioning event delivered',
    );
    return 'delivered';
  }

  /**
   * Takes the next due event under a lease: its attempt is counted and it becomes invisible
   * to other workers for `leaseMs`, in one committed statement. A worker that dies holding
   * it (even after the partner's 2xx) only delays it until the lease runs out, and an event
   * that crashes its worker every time still reaches its attempt limit.
   */
  private async claim(now: Date): Promise<OutboxRow | undefined> {
    const partners = pgTextArray([...this.options.targets.keys()]);
    const leaseUntil = new Date(now.getTime() + (this.options.leaseMs ?? 60_000));
    const [event] = await this.orm.em.fork().execute<OutboxRow[]>(
      `update outbox_event set attempts = attempts + 1, available_at = ?
       where id = (
         select e.id from outbox_event e
         where e.delivered_at is null and e.dead_at is null and e.available_at <= ?
           and e.partner_id = any(?::text[])
           and not exists (
             select 1 from outbox_event earlier
             where earlier.entitlement_id = e.entitlement_id and earlier.delivered_at is null
               and earlier.dead_at is null and earlier.created_at < e.created_at)
         order by e.available_at, e.created_at
         limit 1
         for update skip locked)
       returning id, partner_id, type, entitlement_id, attempts, request_id`,
      [leaseUntil, now, partners],
    );
    return event;
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

  private async scheduleRetry(em: EntityManager, event: OutboxRow, error: unknown, now: Date): Promise<DeliveryOutcome> {
    const attempts = event.attempts;
    const maxAttempts = this.options.maxAttempts ?? 20;
    const message = error instanceof Error ? error.message : String(error);
    const dead = attempts >= maxAttempts;
    const delay = retryDelayMs(attempts, this.options.baseDelayMs ?? 1000, this.options.maxDelayMs ?? 600_000);
    await em.execute(
      `update outbox_event set last_error = ?, available_at = ?, dead_at = ? where id = ?`,
      [message.slice(0, 1000), new Date(now.getTime() + delay), dead ? now : null, event.id],
    );
    this.options.logger.warn(
      { eventId: event.id, requestId: event.request_id, partner: event.partner_id, attempts, dead, retryInMs: dead ? null : delay, error: message },
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
