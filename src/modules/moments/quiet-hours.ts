import type { DailyWindow } from '../../platform/config.js';
import { localParts, zonedInstant } from '../../platform/zoned-time.js';

/** `22:00` → 1320. */
export function minutesOfDay(hhmm: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** 1320 → `22:00`. */
export function hhmmOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * When the quiet hours `at` falls in end, in `timeZone`; null when `at` is outside them (or
 * there are none). A window whose start is after its end runs past midnight (22:00–08:00):
 * at 23:30 it ends at 08:00 the next day, at 06:00 at 08:00 the same day. The end itself is
 * outside the window, so a message deferred to it goes out then.
 */
export function quietHoursEnd(at: Date, quiet: DailyWindow | null, timeZone: string): Date | null {
  if (!quiet || quiet.start === quiet.end) return null;
  const local = localParts(at, timeZone);
  const minute = local.hour * 60 + local.minute;
  const wraps = quiet.start > quiet.end;
  const inside = wraps ? minute >= quiet.start || minute < quiet.end : minute >= quiet.start && minute < quiet.end;
  if (!inside) return null;
  // Before midnight in a window that wraps, it ends tomorrow.
  const day = wraps && minute >= quiet.start ? local.day + 1 : local.day;
  return zonedInstant({ year: local.year, month: local.month, day, hour: Math.floor(quiet.end / 60), minute: quiet.end % 60, second: 0, millisecond: 0 }, timeZone);
}
