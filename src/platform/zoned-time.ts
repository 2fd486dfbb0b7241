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

/** Wall-clock fields of `instant` in `timeZone`. */
export function localParts(instant: Date, timeZone: string): LocalParts {
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
