import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { ActivityService, type ActivityInput } from '../activity/index.js';
import { ActivityImportLineOutcome, ActivityImportStatus } from './activity-import.entity.js';
import type { ImportedActivity } from './import-format.js';

export interface ActivityImportWorkerOptions {
  /** Lanes applied at once (each lane's lines one after another). @default 4 */
  concurrency?: number;
  /** Lines per batch: one claim renewal and one write of their outcomes. @default 100 */
  batchSize?: number;
  /** How long a claimed lane stays this worker's without a renewal (each batch renews it). @default 60_000 */
  leaseMs?: number;
  /** Failed batches in a row (an uncoded error) after which the import is FAILED. @default 5 */
  maxFailures?: number;
  /** Who holds the leases. @default this process: `host:pid:random` */
  owner?: string;
  logger?: Logger;
  /**
   * Called after each line was applied (its activity recorded or refused), before its batch's
   * outcomes are written: the window a crash would hit. Tests count applications and crash here.
   */
  onLine?: (event: { importId: string; line: number; owner: string }) => void | Promise<void>;
}

/** When a drain stops: a time budget (a job run's), and an abort (the process stopping). */
export interface DrainOptions {
  /** Stop claiming lanes and starting batches after this long. @default 60_000 */
  budgetMs?: number;
  signal?: AbortSignal;
}

interface ClaimedLane {
  importId: string;
  lane: number;
}

interface PendingLine {
  line_no: number;
  input: ImportedActivity;
}

interface LineOutcome {
  line_no: number;
  outcome: ActivityImportLineOutcome;
  error_code: string | null;
  error_message: string | null;
  activity_id: string | null;
}

/** The lease owner of this process's workers. */
const PROCESS_OWNER = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
const MAX_BACKOFF_MS = 60_000;

/**
 * Applies imported lines through `ActivityService.record`, so each line meets exactly the rules
 * and validation of `recordActivity`. Safe with several workers: a worker claims a lane (the
 * lines of some members) under a lease with `FOR UPDATE SKIP LOCKED`, so one worker at a time
 * applies a lane, in file order (a refund after its purchase); lanes run side by side, in this
 * worker (`concurrency`) and across workers.
 *
 * Each line's outcome is written once (`where outcome is null`), with the import's counters, in
 * one transaction per batch. A worker that dies mid-batch leaves the lane leased until its lease
 * runs out; the next one applies the batch's lines again, which records nothing twice (an
 * activity is unique per channel id, and `record` returns the first one for a repeat). It tells
 * a line that the dead worker had recorded (ACCEPTED) from a repeat of an older activity
 * (DUPLICATE) by when that activity was created: at or after the unfinished batch began.
 */
export class ActivityImportWorker {
  readonly owner: string;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxFailures: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly deps: AppDependencies,
    private readonly options: ActivityImportWorkerOptions = {},
  ) {
    this.owner = options.owner ?? PROCESS_OWNER;
    this.concurrency = options.concurrency ?? 4;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxFailures = options.maxFailures ?? 5;
  }

  /** Applies queued lines until no lane is left to claim, the budget is spent or the signal aborts; returns how many lines got an outcome. */
  async drain(options: DrainOptions = {}): Promise<number> {
    const deadline = Date.now() + (options.budgetMs ?? 60_000);
    const going = () => !options.signal?.aborted && Date.now() < deadline;
    let applied = 0;
    const runner = async () => {
      while (going()) {
        const lane = await this.claim();
        if (!lane) return;
        applied += await this.runLane(lane, going);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, runner));
    return applied;
  }

  /** The next lane nobody holds, oldest import first; its import becomes RUNNING. */
  private async claim(): Promise<ClaimedLane | null> {
    const em = this.orm.em.fork();
    const [row] = await em.execute<{ import_id: string; lane: number }[]>(
      `update activity_import_lane l set lease_owner = ?, lease_until = now() + ? * interval '1 millisecond'
       where (l.import_id, l.lane) = (
         select c.import_id, c.lane from activity_import_lane c join activity_import i on i.id = c.import_id
         where c.done_at is null and (c.lease_until is null or c.lease_until < now()) and i.status in ('QUEUED', 'RUNNING')
         order by i.created_at, c.import_id, c.lane
         limit 1
         for update of c skip locked)
       returning l.import_id, l.lane`,
      [this.owner, this.leaseMs],
    );
    if (!row) return null;
    await em.execute(`update activity_import set status = 'RUNNING', started_at = coalesce(started_at, now()) where id = ? and status = 'QUEUED'`, [row.import_id]);
    return { importId: row.import_id, lane: row.lane };
  }

  /** Batches of a lane until it is done, the drain stops (the lane is released) or the lease is lost. */
  private async runLane(lane: ClaimedLane, going: () => boolean): Promise<number> {
    let applied = 0;
    try {
      for (;;) {
        if (!going()) {
          await this.release(lane);
          return applied;
        }
        const batch = await this.nextBatch(lane);
        if (!batch) return applied; // the lease was lost, or the import stopped
        if (batch.lines.length === 0) {
          await this.finish(lane);
          return applied;
        }
        const { outcomes, failure } = await this.apply(lane, batch.lines, batch.resumedThrough);
        const kept = await this.commit(lane, outcomes, failure === undefined);
        applied += outcomes.length;
        if (failure !== undefined) throw failure;
        if (!kept) return applied;
      }
    } catch (error) {
      await this.fail(lane, error);
      return applied;
    }
  }

  /**
   * The lane's next lines without an outcome, with the lease renewed and the batch marked in
   * flight (`attempt_at` kept from an unfinished earlier attempt). `resumedThrough`: the last line
   * of an unfinished attempt, whose lines may have been recorded already. Null when the lane is
   * no longer this worker's or its import is no longer running.
   */
  private nextBatch(lane: ClaimedLane): Promise<{ lines: PendingLine[]; resumedThrough: number | null } | null> {
    return this.orm.em.fork().transactional(async (tx) => {
      const [held] = await tx.execute<{ attempt_through: number | null }[]>(
        `select l.attempt_through from activity_import_lane l join activity_import i on i.id = l.import_id
         where l.import_id = ? and l.lane = ? and l.lease_owner = ? and i.status = 'RUNNING' for update of l`,
        [lane.importId, lane.lane, this.owner],
      );
      if (!held) return null;
      const lines = await tx.execute<PendingLine[]>(
        `select line_no, input from activity_import_line where import_id = ? and lane = ? and outcome is null order by line_no limit ?`,
        [lane.importId, lane.lane, this.batchSize],
      );
      if (lines.length > 0) {
        await tx.execute(
          `update activity_import_lane set attempt_at = coalesce(attempt_at, clock_timestamp()), attempt_through = greatest(coalesce(attempt_through, 0), ?),
             lease_until = now() + ? * interval '1 millisecond'
           where import_id = ? and lane = ?`,
          [lines.at(-1)!.line_no, this.leaseMs, lane.importId, lane.lane],
        );
      }
      return { lines, resumedThrough: held.attempt_through };
    });
  }

  /**
   * Records each line in order; a coded refusal is the line's outcome. Anything else stops the
   * batch there: the outcomes of the lines before it, and the error.
   */
  private async apply(lane: ClaimedLane, lines: PendingLine[], resumedThrough: number | null): Promise<{ outcomes: LineOutcome[]; failure?: unknown }> {
    const em = this.orm.em.fork();
    const activities = new ActivityService(em, this.deps);
    const key = (a: ImportedActivity) => `${a.channel.trim()}\u0000${a.externalId.trim()}`;
    // Activities the batch's channel ids name already: repeats, unless the unfinished attempt recorded them.
    const existing = new Map<string, { sinceAttempt: boolean; seen: boolean }>();
    const rows = await em.execute<{ channel: string; external_id: string; since_attempt: boolean | null }[]>(
      `select a.channel, a.external_id, a.created_at >= l.attempt_at as since_attempt
       from activity a
       join (select distinct k.channel, k.external_id from jsonb_to_recordset(?::jsonb) as k(channel text, external_id text)) k
         on a.channel = k.channel and a.external_id = k.external_id
       join activity_import_lane l on l.import_id = ? and l.lane = ?`,
      [JSON.stringify(lines.map((l) => ({ channel: l.input.channel.trim(), external_id: l.input.externalId.trim() }))), lane.importId, lane.lane],
    );
    for (const row of rows) existing.set(`${row.channel}\u0000${row.external_id}`, { sinceAttempt: row.since_attempt === true, seen: false });

    const outcomes: LineOutcome[] = [];
    for (const line of lines) {
      let outcome: LineOutcome;
      try {
        const recorded = await activities.record(activityInput(line.input));
        const before = existing.get(key(line.input));
        const resumed = resumedThrough !== null && line.line_no <= resumedThrough;
        const accepted = !before || (!before.seen && resumed && before.sinceAttempt);
        existing.set(key(line.input), { sinceAttempt: false, seen: true });
        outcome = { line_no: line.line_no, outcome: accepted ? ActivityImportLineOutcome.ACCEPTED : ActivityImportLineOutcome.DUPLICATE, error_code: null, error_message: null, activity_id: recorded.id };
      } catch (error) {
        if (!(error instanceof AppError)) return { outcomes, failure: error };
        outcome = { line_no: line.line_no, outcome: ActivityImportLineOutcome.REJECTED, error_code: error.code, error_message: error.message, activity_id: null };
      }
      try {
        await this.options.onLine?.({ importId: lane.importId, line: line.line_no, owner: this.owner });
      } catch (error) {
        return { outcomes, failure: error };
      }
      outcomes.push(outcome);
    }
    return { outcomes };
  }

  /**
   * Writes the outcomes not written yet and counts them, renewing the lease; false when the lane
   * is no longer this worker's. A batch that stopped early stays marked in flight (its failing
   * line may have been recorded).
   */
  private commit(lane: ClaimedLane, outcomes: LineOutcome[], whole: boolean): Promise<boolean> {
    if (outcomes.length === 0) return Promise.resolve(true);
    return this.orm.em.fork().transactional(async (tx) => {
      const written = await tx.execute<{ outcome: ActivityImportLineOutcome }[]>(
        `update activity_import_line l set outcome = o.outcome::activity_import_line_outcome, error_code = o.error_code, error_message = o.error_message, activity_id = o.activity_id
         from jsonb_to_recordset(?::jsonb) as o(line_no int, outcome text, error_code text, error_message text, activity_id uuid)
         where l.import_id = ? and l.line_no = o.line_no and l.outcome is null
         returning l.outcome`,
        [JSON.stringify(outcomes), lane.importId],
      );
      const count = (o: ActivityImportLineOutcome) => written.filter((w) => w.outcome === o).length;
      await tx.execute(`update activity_import set processed = processed + ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ? where id = ?`, [
        written.length,
        count(ActivityImportLineOutcome.ACCEPTED),
        count(ActivityImportLineOutcome.DUPLICATE),
        count(ActivityImportLineOutcome.REJECTED),
        lane.importId,
      ]);
      const kept = await tx.execute<{ lane: number }[]>(
        `update activity_import_lane set attempt_at = case when ? then null else attempt_at end, attempt_through = case when ? then null else attempt_through end,
           failures = 0, last_error = null, lease_until = now() + ? * interval '1 millisecond'
         where import_id = ? and lane = ? and lease_owner = ? returning lane`,
        [whole, whole, this.leaseMs, lane.importId, lane.lane, this.owner],
      );
      return kept.length > 0;
    });
  }

  /** The lane has no line left: done; the import too once every lane is (under the import's lock, so the last lane sees the others). */
  private async finish(lane: ClaimedLane): Promise<void> {
    await this.orm.em.fork().transactional(async (tx) => {
      await this.lockImport(tx, lane.importId);
      await tx.execute(`update activity_import_lane set done_at = now(), lease_owner = null, lease_until = null where import_id = ? and lane = ? and lease_owner = ?`, [
        lane.importId,
        lane.lane,
        this.owner,
      ]);
      await tx.execute(
        `update activity_import set status = ?, finished_at = now()
         where id = ? and status = 'RUNNING' and not exists (select 1 from activity_import_lane where import_id = ? and done_at is null)`,
        [ActivityImportStatus.DONE, lane.importId, lane.importId],
      );
    });
  }

  /** Gives the lane back (the drain stops): the next worker continues where this one stopped. */
  private async release(lane: ClaimedLane): Promise<void> {
    await this.orm.em.fork().execute(`update activity_import_lane set lease_owner = null, lease_until = null where import_id = ? and lane = ? and lease_owner = ?`, [
      lane.importId,
      lane.lane,
      this.owner,
    ]);
  }

  /** A batch failed (not a coded refusal: a bug, the database gone): retried later with backoff; the import FAILS at the limit. */
  private async fail(lane: ClaimedLane, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    this.options.logger?.error({ err: error, importId: lane.importId, lane: lane.lane }, 'activity import batch failed');
    try {
      await this.orm.em.fork().transactional(async (tx) => {
        await this.lockImport(tx, lane.importId);
        const [failed] = await tx.execute<{ failures: number }[]>(
          `update activity_import_lane set failures = failures + 1, last_error = ?, lease_owner = null,
             lease_until = now() + least(?, 1000 * power(2, failures)) * interval '1 millisecond'
           where import_id = ? and lane = ? and lease_owner = ? returning failures`,
          [message.slice(0, 1000), MAX_BACKOFF_MS, lane.importId, lane.lane, this.owner],
        );
        if (failed && failed.failures >= this.maxFailures) {
          await tx.execute(`update activity_import set status = ?, failure = ?, finished_at = now() where id = ? and status = 'RUNNING'`, [
            ActivityImportStatus.FAILED,
            `Lane ${lane.lane} failed ${failed.failures} times in a row; last error: ${message.slice(0, 500)}`,
            lane.importId,
          ]);
        }
      });
    } catch (recording) {
      // The lease runs out on its own; the next worker retries.
      this.options.logger?.error({ err: recording, importId: lane.importId }, 'activity import failure not recorded');
    }
  }

  private async lockImport(tx: EntityManager, importId: string): Promise<void> {
    await tx.execute(`select id from activity_import where id = ? for update`, [importId]);
  }
}

/** A stored line as `ActivityService.record` takes it. */
function activityInput(a: ImportedActivity): ActivityInput {
  return {
    memberId: a.memberId,
    type: a.type,
    channel: a.channel,
    externalId: a.externalId,
    amount: a.amount,
    refundOf: a.refundOf,
    occurredAt: a.occurredAt === null ? null : new Date(a.occurredAt),
    pointsUsed: a.pointsUsed ?? null,
  };
}
