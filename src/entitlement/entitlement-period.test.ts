import { describe, expect, it } from 'vitest';
import { BenefitPeriod } from '../bundle/bundle.entity.js';
import { currentPeriod } from './entitlement-period.js';

const term = { start: new Date('2026-11-20T02:00:00Z'), end: new Date('2027-11-20T02:00:00Z') };
const SH = 'Asia/Shanghai';

describe('currentPeriod', () => {
  it('gives the whole term for a membership-term benefit', () => {
    expect(currentPeriod(BenefitPeriod.MEMBERSHIP_TERM, term, new Date('2027-03-01T00:00:00Z'), SH)).toEqual(term);
  });

  it('clips the first calendar month to the day the member joined', () => {
    expect(currentPeriod(BenefitPeriod.CALENDAR_MONTH, term, new Date('2026-11-22T00:00:00Z'), SH)).toEqual({
      start: term.start,
      end: new Date('2026-11-30T16:00:00Z'),
    });
  });

  it('gives a full Shanghai calendar month in the middle of the term', () => {
    expect(currentPeriod(BenefitPeriod.CALENDAR_MONTH, term, new Date('2027-02-10T00:00:00Z'), SH)).toEqual({
      start: new Date('2027-01-31T16:00:00Z'),
      end: new Date('2027-02-28T16:00:00Z'),
    });
  });

  it('clips the last calendar month to the end of the term', () => {
    expect(currentPeriod(BenefitPeriod.CALENDAR_MONTH, term, new Date('2027-11-19T00:00:00Z'), SH)?.end).toEqual(term.end);
  });

  it('has no period outside the term', () => {
    expect(currentPeriod(BenefitPeriod.CALENDAR_MONTH, term, term.end, SH)).toBeNull();
  });
});
