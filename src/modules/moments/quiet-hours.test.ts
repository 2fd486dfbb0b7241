import { describe, expect, it } from 'vitest';
import { hhmmOf, minutesOfDay, quietHoursEnd } from './quiet-hours.js';

const SHANGHAI = 'Asia/Shanghai';
const NIGHT = { start: 22 * 60, end: 8 * 60 };

describe('quiet hours in the program time zone', () => {
  it('defers a moment at 23:30 Shanghai time to 08:00 the next day', () => {
    // 23:30 on 7 Dec in Shanghai is 15:30Z.
    expect(quietHoursEnd(new Date('2026-12-07T15:30:00Z'), NIGHT, SHANGHAI)?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });

  it('defers a moment at 06:00 to 08:00 the same day', () => {
    expect(quietHoursEnd(new Date('2026-12-07T22:00:00Z'), NIGHT, SHANGHAI)?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });

  it('lets a moment at 08:00 exactly, or at 21:59, go', () => {
    expect(quietHoursEnd(new Date('2026-12-08T00:00:00Z'), NIGHT, SHANGHAI)).toBeNull();
    expect(quietHoursEnd(new Date('2026-12-07T13:59:00Z'), NIGHT, SHANGHAI)).toBeNull();
  });

  it('starts the quiet hours at 22:00 exactly', () => {
    expect(quietHoursEnd(new Date('2026-12-07T14:00:00Z'), NIGHT, SHANGHAI)?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });

  it('reads the wall clock of the program time zone, not UTC (23:30 UTC is 07:30 in Shanghai)', () => {
    expect(quietHoursEnd(new Date('2026-12-07T23:30:00Z'), NIGHT, SHANGHAI)?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-12-07T23:30:00Z'), NIGHT, 'UTC')?.toISOString()).toBe('2026-12-08T08:00:00.000Z');
  });

  it('crosses a month and a year end', () => {
    expect(quietHoursEnd(new Date('2026-12-31T15:00:00Z'), NIGHT, SHANGHAI)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('ends at the local hour across a daylight-saving change (New York, 8 March 2026)', () => {
    // 23:00 EST on 7 March is 04:00Z; clocks go forward at 02:00, so 08:00 EDT on 8 March is 12:00Z.
    expect(quietHoursEnd(new Date('2026-03-08T04:00:00Z'), NIGHT, 'America/New_York')?.toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });

  it('handles a window within one day (13:00–14:00) and none at all', () => {
    const lunch = { start: 13 * 60, end: 14 * 60 };
    expect(quietHoursEnd(new Date('2026-12-07T05:30:00Z'), lunch, SHANGHAI)?.toISOString()).toBe('2026-12-07T06:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-12-07T15:30:00Z'), lunch, SHANGHAI)).toBeNull();
    expect(quietHoursEnd(new Date('2026-12-07T15:30:00Z'), null, SHANGHAI)).toBeNull();
    expect(quietHoursEnd(new Date('2026-12-07T15:30:00Z'), { start: 600, end: 600 }, SHANGHAI)).toBeNull();
  });

  it('reads and writes HH:MM', () => {
    expect(minutesOfDay('22:00')).toBe(1320);
    expect(minutesOfDay('07:05')).toBe(425);
    expect(minutesOfDay('24:00')).toBeNull();
    expect(minutesOfDay('7:05')).toBeNull();
    expect(hhmmOf(425)).toBe('07:05');
  });
});
