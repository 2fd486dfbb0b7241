import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import { computeSegments, scopeOf } from './computation.js';
import { loadSegmentConfig } from './config-store.js';
import { ensureSchedule, nextScheduledRun } from './schedule.js';
import { SegmentRunTrigger } from './segment.entity.js';

/**
 * The daily computation (at the configuration's hour, program time), per clock: one schedule
 * row for members on real time and one per test clock with members, so a test clock computes
 * its members' segments as it is advanced, at its own time. A run claims its clock's row with
 * `FOR UPDATE SKIP LOCKED` and computes in the same transaction: a second worker skips the row
 * (and, once the first commits, finds it no longer due), an on-demand computation waits for it.
 * A first computation is due at once; missed days are not replayed (the next run computes as of
 * its own instant, which is what segments are).
 */
export const segmentDueWork: DueWork = {
  name: 'segments',

  async nextDue(em: EntityManager, clockId: string | null, deps?: AppDependencies): Promise<Date | null> {
    const [row] = await em.execute<{ due: Date | null }[]>(
      clockId
        ? `select coalesce(s.next_run_at, c.frozen_time) as due from test_clock c left join segment_schedule s on s.scope = ?
            where c.id = ? and exists (select 1 from test_clock_member tm where tm.test_clock_id = c.id) and exists (select 1 from segment_config)`
        : `select coalesce((select next_run_at from segment_schedule where scope = ?), ?::timestamptz) as due where exists (select 1 from segment_config)`,
      clockId ? [scopeOf(clockId), clockId] : [scopeOf(null), deps?.now?.() ?? new Date()],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const { em, now, clockId } = scope;
    const snapshot = await loadSegmentConfig(em);
    if (!snapshot) return 0;
    const key = scopeOf(clockId);
    await ensureSchedule(em, key, clockId, now);
    const summary = await em.fork().transactional(async (tx) => {
      const [claimed] = await tx.execute<{ scope: string }[]>(`select scope from segment_schedule where scope = ? and next_run_at <= ? for update skip locked`, [key, now]);
      if (!claimed) return null;
      const run = await computeSegments(tx, { clockId, asOf: now, trigger: SegmentRunTrigger.SCHEDULE, snapshot });
      await tx.execute(`update segment_schedule set next_run_at = ?, last_run_at = ? where scope = ?`, [nextScheduledRun(now, snapshot.config.schedule, scope.deps.timeZone), now, key]);
      return run;
    });
    if (!summary) return 0;
    scope.logger.info({ scope: key, asOf: now.toISOString(), members: summary.members, entered: summary.entered, left: summary.left, durationMs: summary.durationMs }, 'segments computed');
    return 1;
  },
};
