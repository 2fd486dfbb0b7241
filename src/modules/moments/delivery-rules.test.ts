import { describe, expect, it } from 'vitest';
import { DEFAULT_STALE_HOURS, sandboxTemplateId, MOMENT_KINDS } from '../../platform/config.js';
import { decide, retryDelayMs, type MemberMessaging } from './delivery-rules.js';
import { MomentKind, MomentSkipReason } from './moment.entity.js';

const TZ = 'Asia/Shanghai';
const settings = {
  staleAfterHours: DEFAULT_STALE_HOURS,
  templates: Object.fromEntries(MOMENT_KINDS.map((k) => [k, sandboxTemplateId(k)])),
  quietHours: { start: 22 * 60, end: 8 * 60 },
};
const member: MemberMessaging = { erased: false, optOut: [], marketingOptOut: false };
// 10:00 in Shanghai.
const NOON = new Date('2026-12-07T02:00:00Z');
const earned = (hoursAgo: number) => ({ kind: MomentKind.POINTS_EARNED, occurredAt: new Date(NOON.getTime() - hoursAgo * 3_600_000), data: { points: 10, balance: 10 } });

describe('what delivery does with a due moment', () => {
  it('sends a fresh one in the day', () => {
    expect(decide(earned(0), member, NOON, settings, TZ)).toEqual({ action: 'SEND' });
  });

  it('skips a kind the member opted out of, and marketing ones after a marketing opt-out (not an expiry reminder)', () => {
    expect(decide(earned(0), { ...member, optOut: ['POINTS_EARNED'] }, NOON, settings, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.OPTED_OUT });
    expect(decide(earned(0), { ...member, marketingOptOut: true }, NOON, settings, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.OPTED_OUT });
    const expiring = { kind: MomentKind.POINTS_EXPIRING, occurredAt: NOON, data: { points: 10, expiresAt: '2027-01-01T00:00:00Z' } };
    expect(decide(expiring, { ...member, marketingOptOut: true }, NOON, settings, TZ)).toEqual({ action: 'SEND' });
  });

  it('skips points earned more than 3 days ago as stale, and an expiry reminder once the points have expired', () => {
    expect(decide(earned(71), member, NOON, settings, TZ)).toEqual({ action: 'SEND' });
    expect(decide(earned(73), member, NOON, settings, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.STALE });
    const expired = { kind: MomentKind.POINTS_EXPIRING, occurredAt: NOON, data: { points: 10, expiresAt: '2026-12-07T01:00:00Z' } };
    expect(decide(expired, member, NOON, settings, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.STALE });
  });

  it('defers to the end of quiet hours, and honours the member\'s own (or none)', () => {
    const night = new Date('2026-12-07T15:00:00Z'); // 23:00 in Shanghai
    expect(decide(earned(0), member, night, settings, TZ)).toEqual({ action: 'DEFER', until: new Date('2026-12-08T00:00:00Z') });
    expect(decide(earned(0), { ...member, quietHours: null }, night, settings, TZ)).toEqual({ action: 'SEND' });
    expect(decide(earned(0), { ...member, quietHours: { start: 23 * 60, end: 7 * 60 } }, night, settings, TZ)).toEqual({ action: 'DEFER', until: new Date('2026-12-07T23:00:00Z') });
  });

  it('skips a kind without a template, and everything for an erased member', () => {
    expect(decide(earned(0), member, NOON, { ...settings, templates: {} }, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.NO_TEMPLATE });
    expect(decide(earned(0), { ...member, erased: true }, NOON, settings, TZ)).toEqual({ action: 'SKIP', reason: MomentSkipReason.MEMBER_ERASED });
  });

  it('waits at least what the provider asked before sending again, else backs off from a minute to an hour', () => {
    expect(retryDelayMs(1, 60_000, () => 0)).toBe(60_000);
    expect(retryDelayMs(1, undefined, () => 1)).toBe(60_000);
    expect(retryDelayMs(3, undefined, () => 1)).toBe(240_000);
    expect(retryDelayMs(20, undefined, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(20, undefined, () => 0)).toBe(1_800_000);
  });
});
