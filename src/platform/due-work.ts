import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppDependencies, DueWorkRunner } from './context.js';
import type { Logger } from './logger.js';
import type { ModuleSet } from './module.js';

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
  return {
    async nextDue(clockId) {
      const em = options.orm.em.fork();
      let earliest: Date | null = null;
      for (const work of works) {
        const due = await work.nextDue(em, clockId, options.deps);
        if (due && (!earliest || due < earliest)) earliest = due;
      }
      return earliest;
    },

    async runDue(clockId, now) {
      const deps: AppDependencies = { ...options.deps, now: () => now };
      let total = 0;
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        let ran = 0;
        for (const work of works) {
          for (;;) {
            const em = options.orm.em.fork();
            const count = await work.runDue({
              em,
              deps,
              services: options.modules.createServices(em, deps),
              logger: options.logger,
              now,
              clockId,
              limit,
            });
            ran += count;
            if (count < limit) break;
          }
        }
        total += ran;
        if (ran === 0) return total;
      }
      throw new Error(`due work at ${now.toISOString()} (clock ${clockId ?? 'real time'}) still found work after ${MAX_PASSES} passes: a due work does not move its rows on`);
    },
  };
}
