import type { EntityManager } from '@mikro-orm/postgresql';
import { localParts, storable, zonedInstant } from '../../platform/zoned-time.js';
import type { SegmentConfig } from './segment-config.js';

/** The first scheduled instant strictly after `after`: `hour:minute` program time on some day. */
export function nextScheduledRun(after: Date, schedule: SegmentConfig['schedule'], timeZone: string): Date {
  const p = localParts(after, timeZone);
  const today = zonedInstant({ year: p.year, month: p.month, day: p.day, hour: schedule.hour, minute: schedule.minute, second: 0, millisecond: 0 }, timeZone);
  if (today > after) return storable(today);
  return storable(zonedInstant({ year: p.year, month: p.month, day: p.day + 1, hour: schedule.hour, minute: schedule.minute, second: 0, millisecond: 0 }, timeZone));
}

/**
 * Makes sure the clock has its schedule row (a first computation due at `dueAt`); a test clock
 * gets one only once it has members. Concurrent callers agree on one row.
 */
export async function ensureSchedule(em: EntityManager, scope: string, clockId: string | null, dueAt: Date): Promise<void> {
  await em.execute(
    `insert into segment_schedule (scope, test_clock_id, next_run_at)
     select ?, ?::uuid, ? where not exists (select 1 from segment_schedule where scope = ?)
       ${clockId ? 'and exists (select 1 from test_clock_member where test_clock_id = ?)' : ''}
     on conflict (scope) do nothing`,
    clockId ? [scope, clockId, dueAt, scope, clockId] : [scope, null, dueAt, scope],
  );
}
