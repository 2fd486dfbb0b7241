import { describe, expect, it } from 'vitest';
import { withinCap, type CapCandidate } from './frequency-cap.js';
import { MomentKind } from './moment.entity.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 8, minute));
const moment = (id: string, kind: MomentKind, minute = 0): CapCandidate => ({ id, kind, occurredAt: at(minute) });

describe('the frequency cap, by priority', () => {
  it('lets three points-earned messages through and not a fourth', () => {
    expect(withinCap([moment('a', MomentKind.POINTS_EARNED)], 2, 3)).toEqual(new Set(['a']));
    expect(withinCap([moment('a', MomentKind.POINTS_EARNED)], 3, 3)).toEqual(new Set());
  });

  it('never caps an expiry or a renewal reminder, even over the cap', () => {
    expect(withinCap([moment('x', MomentKind.POINTS_EXPIRING), moment('r', MomentKind.RENEWAL_DUE)], 5, 3)).toEqual(new Set(['x', 'r']));
  });

  it('gives what is left to the higher priority: a tier move before points earned, whatever came first', () => {
    const candidates = [moment('earned', MomentKind.POINTS_EARNED, 0), moment('tier', MomentKind.TIER_UP, 5), moment('day', MomentKind.MEMBER_DAY, 1)];
    expect(withinCap(candidates, 1, 3)).toEqual(new Set(['tier', 'day']));
    expect(withinCap(candidates, 2, 3)).toEqual(new Set(['tier']));
  });

  it('counts the uncapped ones against what is left for the others', () => {
    const candidates = [moment('earned', MomentKind.POINTS_EARNED), moment('expiring', MomentKind.POINTS_EXPIRING, 9)];
    expect(withinCap(candidates, 2, 3)).toEqual(new Set(['expiring']));
  });

  it('takes equals in the order they happened', () => {
    const candidates = [moment('later', MomentKind.POINTS_EARNED, 9), moment('earlier', MomentKind.POINTS_EARNED, 1)];
    expect(withinCap(candidates, 2, 3)).toEqual(new Set(['earlier']));
  });

  it('lets everything through with no cap (0)', () => {
    expect(withinCap([moment('a', MomentKind.POINTS_EARNED)], 100, 0)).toEqual(new Set(['a']));
  });
});
