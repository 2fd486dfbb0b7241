import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppDependencies, DueSchedule, DueWorkRunner } from './context.js';
import type { Logger } from './logger.js';
import type { DueWork, ModuleSet } from './module.js';

export interface DueWorkRunnerOptions {
  orm: MikroORM;
  modules: ModuleSet;
  deps: AppDependencies;
  logger: Logger;
  /** Items per claim. @default 200 */
  batchSize?: number;
}

/** More passes than this over the same instant means a due work that never moves its rows on: a bug, stopped loudly. */
const MAX_PASSES = 1_000;

/**
 * Runs the modules' due work ({@link import('./module.js').DueWork}) for members on real time
 * (workers, every few seconds) or on one test clock (its advance). One work's run can make
 * another's rows due (a renewal materializes a month of rights), so passes repeat until one
 * runs nothing.
 */
export function createDueWorkRunner(options: DueWorkRunnerOptions): DueWorkRunner {
  const works = options.modules.dueWork();
  const limit = options.batchSize ?? 200;

  async function schedule(clockId: string | null): Promise<DueSchedule> {
    const em = options.orm.em.fork();
    const dues: Array<Date | null> = [];
    let next: Date | null = null;
    for (const work of works) {
      const due = await work.nextDue(em, clockId, options.deps);
      dues.push(due);
      if (due && (!next || due < next)) next = due;
    }
    return { next, dues };
  }

  /** Runs one work's items due by `now`, a batch at a time, until a batch is not full; returns how many ran. */
  async function drain(work: DueWork, clockId: string | null, now: Date, deps: AppDependencies): Promise<number> {
    let ran = 0;
    for (;;) {
      const em = options.orm.em.fork();
      const count = await work.runDue({ em, deps, services: options.modules.createServices(em, deps), logger: options.logger, now, clockId, limit });
      ran += count;
      if (count < limit) return ran;
    }
  }

  const stuck = (clockId: string | null, now: Date) =>
    new Error(`due work at ${now.toISOString()} (clock ${clockId ?? 'real time'}) still found work after ${MAX_PASSES} passes: a due work does not move its rows on`);

  return {
    async nextDue(clockId) {
      return (await schedule(clockId)).next;
    },

    async runDue(clockId, now) {
      const deps: AppDependencies = { ...options.deps, now: () => now };
      let total = 0;
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        let ran = 0;
        for (const work of works) ran += await drain(work, clockId, now, deps);
        total += ran;
        if (ran === 0) return total;
      }
      throw stuck(clockId, now);
    },

    schedule,

    // Each work's nextDue is at or before the instant its runDue finds something (a test clock's advance steps to
    // those instants), so the works not due by `now` are not asked: one read of the schedule per pass instead of a
    // runDue of every work, and the schedule read after the last pass is the next step's.
    async runScheduled(clockId, now, current) {
      const deps: AppDependencies = { ...options.deps, now: () => now };
      let known = current;
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        let ran = 0;
        let due = false;
        for (const [i, work] of works.entries()) {
          const at = known.dues[i];
          if (!at || at > now) continue;
          due = true;
          ran += await drain(work, clockId, now, deps);
        }
        if (!due) return known;
        known = await schedule(clockId);
        if (ran === 0) return known;
      }
      throw stuck(clockId, now);
    },
  };
}
