import { describe, expect, it } from 'vitest';
import { addMonths, startOfMonth } from './zoned-time.js';

const SH = 'Asia/Shanghai';

describe('zoned time', () => {
  it('starts a month at local midnight in Shanghai, which is 16:00 UTC the day before', () => {
    expect(startOfMonth(new Date('2026-11-22T10:00:00Z'), SH).toISOString()).toBe('2026-10-31T16:00:00.000Z');
  });

  it('puts an instant late on the last UTC day of a month into the next Shanghai month', () => {
    expect(startOfMonth(new Date('2026-11-30T17:00:00Z'), SH).toISOString()).toBe('2026-11-30T16:00:00.000Z');
  });

  it('adds a year as twelve calendar months keeping the local time', () => {
    expect(addMonths(new Date('2026-11-22T10:15:00Z'), 12, SH).toISOString()).toBe('2027-11-22T10:15:00.000Z');
  });

  it('clamps the day when the target month is shorter', () => {
    expect(addMonths(new Date('2027-01-31T04:00:00Z'), 1, SH).toISOString()).toBe('2027-02-28T04:00:00.000Z');
  });

  it('keeps the wall-clock time across a daylight-saving change', () => {
    // 09:00 in New York on 1 March (EST, UTC-5) → 09:00 on 1 April (EDT, UTC-4).
    expect(addMonths(new Date('2026-03-01T14:00:00Z'), 1, 'America/New_York').toISOString()).toBe('2026-04-01T13:00:00.000Z');
  });
});
