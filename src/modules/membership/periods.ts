import { addMonths, startOfMonth } from '../../platform/zoned-time.js';
import { BillingPeriod, type Plan } from '../plan/index.js';

const DAY_MS = 86_400_000;

/** `instant` plus whole days. */
export function addDays(instant: Date, days: number): Date {
  return new Date(instant.getTime() + days * DAY_MS);
}

/** The end of a billing period that starts at `start` (calendar months in the program time zone). */
export function periodEndAfter(start: Date, billingPeriod: BillingPeriod, timeZone: string): Date {
  return addMonths(start, billingPeriod === BillingPeriod.YEAR ? 12 : 1, timeZone);
}

/** The first instant of the calendar month after the one containing `instant`. */
export function nextMonthStart(instant: Date, timeZone: string): Date {
  return addMonths(startOfMonth(instant, timeZone), 1, timeZone);
}

/** When the renewal reminder for a period ending at `periodEnd` is due. */
export function reminderAt(periodEnd: Date, plan: Pick<Plan, 'reminderDays'>): Date {
  return addDays(periodEnd, -plan.reminderDays);
}

/**
 * When the next retry of a PAST_DUE renewal is due: `retryDays[n-1]` days after the first
 * failure once `n` attempts have failed; null when the schedule is spent, the retry would fall
 * at or after the grace's end, or there is no mandate to charge.
 */
export function nextRetryAt(
  membership: { pastDueSince?: Date | null; graceEndsAt?: Date | null; failedAttempts: number; mandateId?: string | null },
  plan: Pick<Plan, 'retryDays'>,
): Date | null {
  if (!membership.mandateId || !membership.pastDueSince || !membership.graceEndsAt) return null;
  const days = plan.retryDays[membership.failedAttempts - 1];
  if (days === undefined) return null;
  const at = addDays(membership.pastDueSince, days);
  return at < membership.graceEndsAt ? at : null;
}

/** The share of a period left at `now`, between 0 and 1. */
export function unusedShare(periodStart: Date, periodEnd: Date, now: Date): number {
  const total = periodEnd.getTime() - periodStart.getTime();
  if (total <= 0) return 0;
  const left = periodEnd.getTime() - Math.max(now.getTime(), periodStart.getTime());
  return Math.min(1, Math.max(0, left / total));
}
