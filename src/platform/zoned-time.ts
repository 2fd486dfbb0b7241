// Calendar arithmetic in the program time zone; instants stay UTC `Date`s.

interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `instant` in `timeZone`, read from the formatter (slow: about 4 µs). */
function formattedParts(instant: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
    millisecond: instant.getUTCMilliseconds(),
  };
}

/** The zone's offset from UTC at `instant` in ms (wall clock minus UTC), from the formatter. */
function formattedOffset(instant: number, timeZone: string): number {
  const p = formattedParts(new Date(instant), timeZone);
  const wholeSecond = Math.floor(instant / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

const OFFSET_SPAN_MS = 3_600_000;
const OFFSET_CACHE_LIMIT = 50_000;
/**
 * Per zone, the offset that holds through a whole hour (by the hour's index since the epoch), or
 * null for an hour in which it changes. Offsets change at a zone's transitions, at most a few a
 * year: an hour whose first and last millisecond show the same offset has no transition in it
 * (two that cancel within one hour exist in no zone).
 */
const offsets = new Map<string, Map<number, number | null>>();

function offsetAt(instant: number, timeZone: string): number {
  let zone = offsets.get(timeZone);
  if (!zone) offsets.set(timeZone, (zone = new Map()));
  const hour = Math.floor(instant / OFFSET_SPAN_MS);
  let offset = zone.get(hour);
  if (offset === undefined) {
    const first = formattedOffset(hour * OFFSET_SPAN_MS, timeZone);
    offset = first === formattedOffset((hour + 1) * OFFSET_SPAN_MS - 1, timeZone) ? first : null;
    if (zone.size >= OFFSET_CACHE_LIMIT) zone.clear();
    zone.set(hour, offset);
  }
  return offset ?? formattedOffset(instant, timeZone);
}

/** Wall-clock fields of `instant` in `timeZone`. */
export function localParts(instant: Date, timeZone: string): LocalParts {
  const t = instant.getTime();
  if (!Number.isFinite(t)) return formattedParts(instant, timeZone);
  const wall = new Date(t + offsetAt(t, timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
  };
}

/** Test hook: the formatter's answer, which {@link localParts} must equal. */
export const localPartsFromFormatter = formattedParts;

/** The instant at which the wall clock in `timeZone` shows these fields (the earlier one on a DST overlap). */
export function zonedInstant(p: LocalParts, timeZone: string): Date {
  // Normalise overflowing fields (month 13, day 31 in February) the way Date.UTC does.
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.millisecond);
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const shown = localParts(new Date(guess), timeZone);
    const shownUtc = Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute, shown.second, p.millisecond);
    const drift = shownUtc - asUtc;
    if (drift === 0) break;
    guess -= drift;
  }
  return new Date(guess);
}

/** First instant of the calendar month containing `instant`, in `timeZone`. */
export function startOfMonth(instant: Date, timeZone: string): Date {
  const p = localParts(instant, timeZone);
  return zonedInstant({ ...p, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
}

/**
 * `instant` moved by whole calendar months in `timeZone`, clamping the day
 * (31 January + 1 month = 28/29 February).
 */
export function addMonths(instant: Date, months: number, timeZone: string): Date {
  const p = localParts(instant, timeZone);
  const targetMonthIndex = p.year * 12 + (p.month - 1) + months;
  const year = Math.floor(targetMonthIndex / 12);
  const month = (targetMonthIndex % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return zonedInstant({ ...p, year, month, day: Math.min(p.day, lastDay) }, timeZone);
}

/** The last instant PostgreSQL's timestamptz stores as an ISO-8601 year (9999-12-31T23:59:59.999Z). */
export const LATEST_STORABLE = new Date('9999-12-31T23:59:59.999Z');

/**
 * A computed instant (a next run, an expiry, an evaluation) kept within what the database stores:
 * past year 9999 (a test clock near the end of time) it becomes the last storable instant, which
 * no clock reaches.
 */
export function storable(instant: Date): Date {
  return instant > LATEST_STORABLE ? LATEST_STORABLE : instant;
}
