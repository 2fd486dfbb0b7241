// The program's calendar: days, months, lot expiries and evaluation dates in the program time
// zone. Instants stay UTC `Date`s; a "month key" is the first day of a program month as
// `YYYY-MM-01`, how qualifying figures are bucketed.
import { addMonths, localParts, startOfMonth, storable, zonedInstant } from '../../platform/zoned-time.js';
import type { ExpiryRules } from './rules.js';

/** `YYYY-MM-01` of the program month holding `instant`. */
export function monthKey(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-01`;
}

/** The month key `months` after (or before, negative) `key`. */
export function shiftMonthKey(key: string, months: number): string {
  const [y, m] = key.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}

/** 00:00 program time on the first day of the month `key` names. */
export function monthStart(key: string, timeZone: string): Date {
  const [y, m] = key.split('-').map(Number) as [number, number];
  return zonedInstant({ year: y, month: m, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
}

/** 00:00 program time of the day holding `instant`, and of the next day: the program day. */
export function programDay(instant: Date, timeZone: string): { start: Date; end: Date } {
  const p = localParts(instant, timeZone);
  const start = zonedInstant({ ...p, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  const end = zonedInstant({ ...p, day: p.day + 1, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  return { start, end };
}

/** When a lot earned at `earnedAt` expires (null: never). */
export function lotExpiry(earnedAt: Date, rules: ExpiryRules, timeZone: string): Date | null {
  if (rules.mode === 'NEVER') return null;
  return storable(addMonths(startOfMonth(earnedAt, timeZone), rules.months + 1, timeZone));
}

/** The first evaluation instant strictly after `after`: 00:00 program time on `day` of a month. */
export function nextEvaluation(after: Date, day: number, timeZone: string): Date {
  const p = localParts(after, timeZone);
  const thisMonth = zonedInstant({ year: p.year, month: p.month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
  if (thisMonth > after) return storable(thisMonth);
  return storable(zonedInstant({ year: p.year, month: p.month + 1, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone));
}

/**
 * The month keys of a qualifying window of `months` calendar months. At an evaluation on day 1
 * of month M it is the `months` months before M; at any other instant (a purchase that may
 * upgrade) the `months` months ending with the current one.
 */
export function windowMonths(at: Date, months: number, timeZone: string, kind: 'EVALUATION' | 'CURRENT'): { from: string; to: string } {
  const current = monthKey(at, timeZone);
  const to = kind === 'EVALUATION' ? shiftMonthKey(current, -1) : current;
  return { from: shiftMonthKey(to, -(months - 1)), to };
}
