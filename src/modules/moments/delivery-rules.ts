import type { DailyWindow, MomentsConfig } from '../../platform/config.js';
import { MOMENT_POLICIES } from './kinds.js';
import { MomentSkipReason, type MomentKind } from './moment.entity.js';
import { quietHoursEnd } from './quiet-hours.js';

/** What a member chose (their preference row, or nothing). */
export interface MemberMessaging {
  erased: boolean;
  optOut: readonly string[];
  marketingOptOut: boolean;
  /** Their own quiet hours; undefined: the program's. */
  quietHours?: DailyWindow | null;
}

/** A moment as delivery sees it. */
export interface DueMoment {
  kind: MomentKind;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/** What to do with a due moment now, before the frequency cap is looked at. */
export type Decision = { action: 'SEND' } | { action: 'SKIP'; reason: MomentSkipReason } | { action: 'DEFER'; until: Date };

/**
 * The rules, in order: nothing for an erased member; nothing the member opted out of; nothing
 * stale (older than its kind's `staleAfterHours`, or past its own date: an expiry or a renewal
 * already gone by); nothing without a template; and nothing in quiet hours, which defer it to
 * their end (never drop it). The cap comes after (see `withinCap`).
 */
export function decide(moment: DueMoment, member: MemberMessaging, now: Date, settings: Pick<MomentsConfig, 'staleAfterHours' | 'templates' | 'quietHours'>, timeZone: string): Decision {
  const policy = MOMENT_POLICIES[moment.kind];
  if (member.erased) return { action: 'SKIP', reason: MomentSkipReason.MEMBER_ERASED };
  if (member.optOut.includes(moment.kind) || (policy.marketing && member.marketingOptOut)) return { action: 'SKIP', reason: MomentSkipReason.OPTED_OUT };
  const staleHours = settings.staleAfterHours[moment.kind];
  const deadline = policy.deadline?.(moment.data) ?? null;
  if ((staleHours > 0 && now.getTime() - moment.occurredAt.getTime() > staleHours * 3_600_000) || (deadline && now >= deadline)) {
    return { action: 'SKIP', reason: MomentSkipReason.STALE };
  }
  if (!settings.templates[moment.kind]) return { action: 'SKIP', reason: MomentSkipReason.NO_TEMPLATE };
  const quietEnd = quietHoursEnd(now, member.quietHours === undefined ? settings.quietHours : member.quietHours, timeZone);
  if (quietEnd) return { action: 'DEFER', until: quietEnd };
  return { action: 'SEND' };
}

/**
 * How long to wait before sending again after the `attempt`-th send asked to retry: at least
 * what the provider asked, else a minute doubling per attempt up to an hour, with jitter
 * (uniform in [c/2, c]) so a provider's outage does not bring every message back at once.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(3_600_000, 60_000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs ?? 0, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
