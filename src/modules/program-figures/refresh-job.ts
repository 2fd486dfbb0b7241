import type { ModuleJob } from '../../platform/module.js';
import { refreshFigures } from './refresh.js';

/** How old the last refresh may get before the job rebuilds the figures. */
export const REFRESH_EVERY_MS = 60 * 60_000;

/**
 * Rebuilds the figures when the last refresh is older than an hour. Safe with several workers:
 * the refresh only tries its transaction advisory lock, so a second worker skips while one runs,
 * and finds a fresh run on its next tick.
 */
export const figuresRefreshJob: ModuleJob = {
  name: 'program-figures',
  everyMs: 5 * 60_000,
  async run({ orm, deps, now }) {
    const em = orm.em.fork();
    const [last] = await em.execute<{ as_of: Date }[]>(`select max(as_of) as as_of from figures_run`);
    if (last?.as_of && now.getTime() - new Date(last.as_of).getTime() < REFRESH_EVERY_MS) return null;
    return refreshFigures(em, { asOf: now, timeZone: deps.timeZone, trigger: 'SCHEDULE', wait: false });
  },
};
