import { BenefitPeriod } from '../bundle/bundle.entity.js';
import { addMonths, startOfMonth } from '../shared/zoned-time.js';

export interface Interval {
  start: Date;
  end: Date;
}

/**
 * The period of a benefit that contains `now`, within the membership term, or null when
 * `now` is outside the term. Calendar months follow the program time zone and are
 * clipped to the term, so a member who joins on the 20th gets the rest of that month.
 */
export function currentPeriod(period: BenefitPeriod, term: Interval, now: Date, timeZone: string): Interval | null {
  if (now < term.start || now >= term.end) return null;
  switch (period) {
    case BenefitPeriod.MEMBERSHIP_TERM:
      return { start: term.start, end: term.end };
    case BenefitPeriod.CALENDAR_MONTH: {
      const monthStart = startOfMonth(now, timeZone);
      const monthEnd = addMonths(monthStart, 1, timeZone);
      return {
        start: monthStart < term.start ? term.start : monthStart,
        end: monthEnd > term.end ? term.end : monthEnd,
      };
    }
  }
}
