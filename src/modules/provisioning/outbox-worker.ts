import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PartnerProvisioning, PartnerRight } from '../../../partners/sdk/index.js';
import { acknowledgeProvisioning, EntitlementStatus } from '../entitlement/index.js';
import { Outbox, type ClaimedEvent } from '../outbox/index.js';
import type { Logger } from '../../platform/logger.js';
import type { MemberPseudonymizer } from '../keys/index.js';

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

type OutboxRow = ClaimedEvent;

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
      await Outbox.markDelivered(tx, event.id, this.now());
      if (acknowledged) await acknowledgeProvisioning(tx, event.entitlement_id, EntitlementStatus.ACTIVE);
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
  private claim(now: Date): Promise<OutboxRow | undefined> {
    return Outbox.claimNext(this.orm.em.fork(), {
      partners: [...this.options.targets.keys()],
      now,
      leaseUntil: new Date(now.getTime() + (this.options.leaseMs ?? 60_000)),
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

  private async scheduleRetry(em: EntityManager, event: OutboxRow, error: unknown, now: Date): Promise<DeliveryOutcome> {
    const attempts = event.attempts;
    const maxAttempts = this.options.maxAttempts ?? 20;
    const message = error instanceof Error ? error.message : String(error);
    const dead = attempts >= maxAttempts;
    const delay = retryDelayMs(attempts, this.options.baseDelayMs ?? 1000, this.options.maxDelayMs ?? 600_000);
    await Outbox.scheduleRetry(em, event.id, { error: message, availableAt: new Date(now.getTime() + delay), deadAt: dead ? now : null });
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
