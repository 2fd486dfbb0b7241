import { describe, expect, it } from 'vitest';
import { addMonths, localParts, localPartsFromFormatter, startOfMonth } from './zoned-time.js';

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

  // localParts reads each zone's offset from an hour it has seen (see offsetAt): it must agree
  // with the formatter everywhere, also in an hour whose offset changes at a minute inside it
  // (Lord Howe moves by 30 minutes at 02:00 local, 15:30 UTC; Kathmandu went from +5:30 to +5:45
  // at 18:30 UTC on 31 December 1985) and before standard time (offsets with seconds).
  it('reads the same wall clock as the formatter, also around every offset change', () => {
    const zones = [SH, 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns', 'UTC'];
    const instants: number[] = [];
    // Every 7 minutes 13.25 seconds through the hours around 2026's transitions and Kathmandu's.
    for (const around of ['2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z', '2026-03-29T01:00:00Z', '2026-04-04T15:30:00Z', '2026-10-03T15:30:00Z', '1985-12-31T18:30:00Z', '2026-04-04T14:00:00Z']) {
      const at = Date.parse(around);
      for (let t = at - 3 * 3_600_000; t < at + 3 * 3_600_000; t += 433_250) instants.push(t);
      instants.push(at - 1, at, at + 1);
    }
    // And a spread over 1890–2150 (an offset with seconds before standard time, far futures).
    let seed = 42;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      instants.push(Date.parse('1890-01-01T00:00:00Z') + (seed / 2 ** 31) * 260 * 365.25 * 86_400_000);
    }
    for (const zone of zones) {
      for (const t of instants) {
        const instant = new Date(Math.floor(t));
        expect(localParts(instant, zone), `${zone} ${instant.toISOString()}`).toEqual(localPartsFromFormatter(instant, zone));
      }
    }
  });
});
