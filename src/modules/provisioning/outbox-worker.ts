import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PartnerProvisioning, PartnerRight } from '../../../partners/sdk/index.js';
import { acknowledgeProvisioningAll, EntitlementStatus } from '../entitlement/index.js';
import { Outbox, type ClaimedEvent } from '../outbox/index.js';
import { clockOf, type AppDependencies } from '../../platform/context.js';
import type { Logger } from '../../platform/logger.js';
import { pgTextArray } from '../../platform/sql.js';
import type { MemberPseudonymizer } from '../keys/index.js';

/** How a process delivers the outbox: batches, lanes, partner calls in flight (see {@link OutboxWorkerOptions}). */
export interface OutboxDelivery {
  batchSize: number;
  lanes: number;
  concurrency: number;
  partnerConcurrency: number;
}

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
   * Events claimed by one statement (a batch): their rights are read in one statement, they are
   * delivered side by side and marked delivered in one statement. @default 1 (one at a time)
   */
  batchSize?: number;
  /** Deliveries of a batch in flight at once, across its partners. @default 16 */
  concurrency?: number;
  /** Batches {@link OutboxWorker.run} claims and delivers side by side in this process. @default 1 */
  lanes?: number;
  /**
   * Calls in flight to one partner from this process, across its lanes: a partner's API is not
   * ours to flood (a slow one holds its own slots, not the others'). @default 16
   */
  partnerConcurrency?: number;
  /**
   * Called after the partner accepted an event and before it is marked delivered —
   * the window a crash would hit. Tests throw here to prove redelivery is harmless.
   */
  afterPartnerAccepted?: (eventId: string) => void | Promise<void>;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'dead' | 'idle';

/** What a run of deliveries came to. */
export interface DeliveryCounts {
  delivered: number;
  retrying: number;
  dead: number;
}

type OutboxRow = ClaimedEvent;

interface RightRow {
  id: string;
  member_id: string;
  benefit_code: string;
  period_start: Date;
  period_end: Date;
  quota: number | null;
}

/** One event's delivery: the partner accepted it (and said whether the right is active), or it failed. */
type Attempt = { event: OutboxRow; ok: true; acknowledged: boolean } | { event: OutboxRow; ok: false; error: unknown };

/** How long a lane that found nothing it may take waits while other lanes still deliver. */
const IDLE_LANE_MS = 20;

/**
 * Delivers outbox events to partners. Events are claimed in batches under a lease (workers and
 * lanes never wait on each other: `FOR UPDATE SKIP LOCKED`), the partners are called outside
 * any transaction, a batch's events side by side, then the batch is marked delivered. A crash
 * after a partner's 2xx leaves its event undelivered, so it is sent again after the lease with
 * the same event id, which the partner dedupes: at-least-once delivery, exactly-once effect.
 * Failures are retried one event at a time with exponential backoff and jitter, up to an attempt
 * limit; events of one entitlement go out in order (a batch holds at most one of them, and the
 * next is not claimed before the previous one is delivered).
 */
export class OutboxWorker {
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly lanes: number;
  private readonly partnerSlots: PerKeyLimit;

  constructor(
    private readonly orm: MikroORM,
    private readonly options: OutboxWorkerOptions,
  ) {
    this.batchSize = positiveInteger(options.batchSize ?? 1, 'batchSize');
    this.concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency');
    this.lanes = positiveInteger(options.lanes ?? 1, 'lanes');
    this.partnerSlots = new PerKeyLimit(positiveInteger(options.partnerConcurrency ?? 16, 'partnerConcurrency'));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Delivers due events, a batch at a time, until none is left or `max` were handled. */
  async drain(max = 100): Promise<DeliveryCounts> {
    const counts = { delivered: 0, retrying: 0, dead: 0 };
    let handled = 0;
    while (handled < max) {
      const outcomes = await this.deliverBatch(Math.min(this.batchSize, max - handled));
      if (outcomes.length === 0) break;
      for (const outcome of outcomes) counts[outcome]++;
      handled += outcomes.length;
    }
    return counts;
  }

  /**
   * Delivers due events on `lanes` lanes side by side, each claiming and delivering a batch after
   * another, until nothing is left that a lane may take (an entitlement's next event comes due when
   * its previous one is delivered, so a lane waits while the others still deliver) or `signal`
   * aborts.
   */
  async run(options: { signal?: AbortSignal } = {}): Promise<DeliveryCounts> {
    const counts = { delivered: 0, retrying: 0, dead: 0 };
    let delivering = 0;
    const lane = async () => {
      while (!options.signal?.aborted) {
        delivering++;
        let outcomes: Array<Exclude<DeliveryOutcome, 'idle'>>;
        try {
          outcomes = await this.deliverBatch(this.batchSize);
        } finally {
          delivering--;
        }
        for (const outcome of outcomes) counts[outcome]++;
        if (outcomes.length === 0) {
          if (delivering === 0) return;
          await delay(IDLE_LANE_MS);
        }
      }
    };
    const lanes = await Promise.allSettled(Array.from({ length: this.lanes }, lane));
    const failed = lanes.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return counts;
  }

  /** Claims and delivers one event; 'idle' when none is due. */
  async deliverNext(): Promise<DeliveryOutcome> {
    const [outcome] = await this.deliverBatch(1);
    return outcome ?? 'idle';
  }

  /**
   * Claims up to `limit` due events and delivers them, at most `concurrency` at once; returns one
   * outcome per event claimed (none when nothing was due).
   */
  async deliverBatch(limit = this.batchSize): Promise<Array<Exclude<DeliveryOutcome, 'idle'>>> {
    const now = this.now();
    const events = await this.claim(now, limit);
    if (events.length === 0) return [];
    const em = this.orm.em.fork();
    const rights = await this.rightsOf(em, events);
    const attempts = await boundedMap(events, this.concurrency, (event) => this.deliver(event, rights));
    const accepted = attempts.filter((attempt) => attempt.ok);
    if (accepted.length > 0) {
      await em.transactional(async (tx) => {
        await Outbox.markDelivered(
          tx,
          accepted.map((attempt) => attempt.event.id),
          this.now(),
        );
        const active = accepted.filter((attempt) => attempt.acknowledged).map((attempt) => attempt.event.entitlement_id);
        await acknowledgeProvisioningAll(tx, active, EntitlementStatus.ACTIVE);
      });
    }
    const outcomes: Array<Exclude<DeliveryOutcome, 'idle'>> = [];
    for (const attempt of attempts) {
      if (attempt.ok) {
        const { event, acknowledged } = attempt;
        this.options.logger.info(
          { eventId: event.id, requestId: event.request_id, partner: event.partner_id, type: event.type, attempts: event.attempts, acknowledged },
          'provisioning event delivered',
        );
        outcomes.push('delivered');
      } else {
        outcomes.push(await this.scheduleRetry(em, attempt.event, attempt.error, now));
      }
    }
    return outcomes;
  }

  /** One event to its partner: provision (the right as it stands now) or revoke. */
  private async deliver(event: OutboxRow, rights: ReadonlyMap<string, RightRow>): Promise<Attempt> {
    const target = this.options.targets.get(event.partner_id)!;
    let acknowledged = false;
    try {
      await this.partnerSlots.run(event.partner_id, async () => {
        if (event.type === 'right.activate') {
          const result = await target.provision(this.rightOf(event, rights), event.id);
          acknowledged = result.status === 'ACTIVE';
        } else {
          await target.revoke(event.entitlement_id, event.id);
        }
      });
    } catch (error) {
      return { event, ok: false, error };
    }
    await this.options.afterPartnerAccepted?.(event.id);
    return { event, ok: true, acknowledged };
  }

  /**
   * Takes due events under a lease: each attempt is counted and the events become invisible to
   * other workers for `leaseMs`, in one committed statement. A worker that dies holding them
   * (even after the partner's 2xx) only delays them until the lease runs out, and an event that
   * crashes its worker every time still reaches its attempt limit.
   */
  private claim(now: Date, limit: number): Promise<OutboxRow[]> {
    return Outbox.claimDue(this.orm.em.fork(), {
      partners: [...this.options.targets.keys()],
      now,
      leaseUntil: new Date(now.getTime() + (this.options.leaseMs ?? 60_000)),
      limit,
    });
  }

  /** The rights the batch's activations announce, read in one statement. */
  private async rightsOf(em: EntityManager, events: readonly OutboxRow[]): Promise<Map<string, RightRow>> {
    const ids = [...new Set(events.filter((event) => event.type === 'right.activate').map((event) => event.entitlement_id))];
    if (ids.length === 0) return new Map();
    const rows = await em.execute<RightRow[]>(
      `select e.id, e.member_id, b.code as benefit_code, e.period_start, e.period_end, e.quota
       from entitlement e join benefit b on b.id = e.benefit_id where e.id = any(?::uuid[])`,
      [pgTextArray(ids)],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  private rightOf(event: OutboxRow, rights: ReadonlyMap<string, RightRow>): PartnerRight {
    const row = rights.get(event.entitlement_id);
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

  private async scheduleRetry(em: EntityManager, event: OutboxRow, error: unknown, now: Date): Promise<'retrying' | 'dead'> {
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

/** The outbox worker of a process, as its settings say (`deps.outboxDelivery`). */
export function outboxWorker(orm: MikroORM, deps: AppDependencies, targets: ReadonlyMap<string, PartnerProvisioning>): OutboxWorker {
  return new OutboxWorker(orm, { targets, pseudonyms: deps.pseudonyms, logger: deps.logger, ...deps.outboxDelivery, ...clockOf(deps) });
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`OutboxWorker: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** At most `limit` tasks of one key running at once; the others wait their turn, first come first served. */
export class PerKeyLimit {
  private readonly active = new Map<string, number>();
  private readonly queued = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.active.get(key) ?? 0;
    if (running < this.limit) this.active.set(key, running + 1);
    else
      await new Promise<void>((resolve) => {
        const line = this.queued.get(key);
        if (line) line.push(resolve);
        else this.queued.set(key, [resolve]);
      });
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, or is given back.
      const next = this.queued.get(key)?.shift();
      if (next) next();
      else this.active.set(key, this.active.get(key)! - 1);
    }
  }

  /** Tasks of `key` running now (for tests). */
  running(key: string): number {
    return this.active.get(key) ?? 0;
  }
}

/** `work` over every item, at most `concurrency` at once; results in the items' order. */
async function boundedMap<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
  return results;
}

/**
 * Exponential backoff with jitter: uniform in [c/2, c] for c = min(max, base·2^(attempt-1)),
 * so retries of many events spread out but never come back at once.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
