import type { Logger } from './logger.js';
import { jobRunId, withRequestId } from './request-id.js';

export interface PeriodicJob {
  name: string;
  /** Milliseconds between runs. */
  everyMs: number;
  /** One run; `signal` aborts when the scheduler stops (a long run should return soon after). */
  run(signal: AbortSignal): Promise<unknown>;
}

/**
 * Runs in-process jobs on a fixed period: one run at a time per job, errors logged and
 * retried on the next tick, nothing run after `stop()` (which tells runs in flight through
 * their signal, and waits for them).
 */
export class JobScheduler {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  start(job: PeriodicJob): void {
    let running = false;
    const tick = () => {
      if (running || this.stopped) return;
      running = true;
      // Each run has an id: what it queues and what it logs carry it (see request-id.ts).
      const requestId = jobRunId(job.name);
      const run = withRequestId(requestId, () => job.run(this.stopping.signal))
        .then((result) => {
          if (result) this.logger.debug({ job: job.name, requestId, result }, 'job ran');
        })
        .catch((error: unknown) => this.logger.error({ err: error, job: job.name, requestId }, 'job failed; retrying next tick'))
        .finally(() => {
          running = false;
          this.inFlight.delete(run);
        });
      this.inFlight.add(run);
    };
    const timer = setInterval(tick, job.everyMs);
    timer.unref();
    this.timers.push(timer);
    setImmediate(tick);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.inFlight]);
  }
}
