import { describe, expect, it } from 'vitest';
import { programDay } from './figures-format.js';

describe('programDay', () => {
  it("is the program's calendar day, not UTC's, in the hours the two differ", () => {
    // 01:45 on 8 December in Shanghai is still 7 December in UTC.
    const at = new Date('2026-12-07T17:45:00Z');
    expect(programDay(at, 'Asia/Shanghai')).toBe('2026-12-08');
    expect(programDay(at, 'UTC')).toBe('2026-12-07');
    expect(programDay(new Date('2026-12-31T16:00:00Z'), 'Asia/Shanghai')).toBe('2027-01-01');
    expect(programDay(new Date('2026-12-08T03:00:00Z'), 'America/Los_Angeles')).toBe('2026-12-07');
  });

  it('falls back to the UTC day when the time zone is not known yet', () => {
    expect(programDay(new Date('2026-12-07T17:45:00Z'), undefined)).toBe('2026-12-07');
  });
});
