import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { nextScheduledRun } from './schedule.js';
import {
  parseSegmentConfig,
  partitionProblems,
  quintileScore,
  quintileScores,
  rfmAssignments,
  rfmCells,
  rfmSegmentOf,
  scoreOf,
  thresholdCuts,
  type RfmSegmentDefinition,
  type SegmentConfigInput,
} from './segment-config.js';

const text = (en: string) => ({ en, 'zh-CN': en });
const segment = (code: string, when: RfmSegmentDefinition['when']): RfmSegmentDefinition => ({ code, name: text(code), description: text(code), when });

const SEGMENTS: RfmSegmentDefinition[] = [
  segment('CHAMPIONS', [{ r: [4, 5], f: [4, 5], m: [4, 5] }]),
  segment('LOYAL', [{ r: [3, 5], f: [3, 5] }]),
  segment('NEW_CUSTOMERS', [{ r: [4, 5], f: [1, 1] }]),
  segment('POTENTIAL', [{ r: [3, 5] }]),
  segment('AT_RISK', [
    { r: [1, 2], f: [3, 5] },
    { r: [1, 2], m: [3, 5] },
  ]),
  segment('HIBERNATING', [{ r: [1, 2] }]),
  segment('NO_PURCHASES', [{ buyer: false }]),
];

function config(overrides: Partial<SegmentConfigInput> = {}): SegmentConfigInput {
  const stage = (name: string) => ({ name: text(name), description: text(name) });
  return {
    schedule: { hour: 3 },
    rfm: { windowDays: 365, scoring: { method: 'QUINTILES' }, segments: SEGMENTS },
    lifecycle: {
      activityTypes: ['PURCHASE', 'CHECK_IN'],
      newDays: 30,
      dormantAfterDays: 90,
      churnedAfterDays: 180,
      stages: { NEW: stage('New'), ACTIVE: stage('Active'), DORMANT: stage('Dormant'), CHURNED: stage('Churned') },
    },
    value: [{ code: 'HIGH_VALUE', name: text('High value'), description: text('High value'), monetaryAtLeast: 500_000 }],
    ...overrides,
  };
}

function problemsOf(input: unknown): string[] {
  try {
    parseSegmentConfig(input);
    return [];
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
}

describe('quintile scores', () => {
  const scoresOf = (values: number[]) => {
    const scores = quintileScores(values);
    return values.map((v) => scores.get(v)!);
  };

  it('split distinct values into fifths', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const scores = scoresOf(values);
    for (let score = 1; score <= 5; score++) expect(scores.filter((s) => s === score), `score ${score}`).toHaveLength(20);
    expect(scores.slice(0, 21)).toEqual([...Array.from({ length: 20 }, () => 1), 2]);
    expect(scoresOf([50, 10, 40, 20, 30])).toEqual([5, 1, 4, 2, 3]);
    // 15 values: 3 in each fifth.
    expect(scoresOf(Array.from({ length: 15 }, (_, i) => i + 1))).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]);
  });

  it('give tied values one score, from the middle of where they stand: never split, never pushed to an end', () => {
    // Most buyers bought once: the bottom 70 %, F = 2 (the middle of 0-70 % is 35 %); twice: 70-90 %, F = 5 (80 %).
    const frequencies = [...Array.from({ length: 70 }, () => 1), ...Array.from({ length: 20 }, () => 2), ...Array.from({ length: 10 }, () => 7)];
    expect(quintileScores(frequencies)).toEqual(new Map([[1, 2], [2, 5], [7, 5]]));
    // Half of them bought today (the best recency, negated days 0): R = 4, not 3 or 1.
    const recencies = [...Array.from({ length: 50 }, () => 0), ...Array.from({ length: 50 }, (_, i) => -(i + 1))];
    expect(quintileScores(recencies).get(0)).toBe(4);
    // Everyone alike: the middle score.
    expect(quintileScores([3, 3, 3])).toEqual(new Map([[3, 3]]));
    // One buyer: the middle too (a quintile of one says nothing).
    expect(quintileScores([7])).toEqual(new Map([[7, 3]]));
  });

  it('are 1 + ⌊5 × (below + equal / 2) / n⌋ in whole numbers, always 1-5', () => {
    expect(quintileScore(0, 1, 1)).toBe(3);
    expect(quintileScore(0, 1, 1_000_000)).toBe(1);
    expect(quintileScore(999_999, 1, 1_000_000)).toBe(5);
    for (let n = 1; n <= 40; n++) {
      for (let below = 0; below < n; below++) {
        for (let equal = 1; below + equal <= n; equal++) {
          const score = quintileScore(below, equal, n);
          expect(score).toBeGreaterThanOrEqual(1);
          expect(score).toBeLessThanOrEqual(5);
        }
      }
    }
  });

  it('score recency the other way round: fewer days is better (values negated)', () => {
    const days = Array.from({ length: 100 }, (_, i) => i + 1);
    const scores = quintileScores(days.map((d) => -d));
    expect(scores.get(-1)).toBe(5);
    expect(scores.get(-20)).toBe(5);
    expect(scores.get(-21)).toBe(4);
    expect(scores.get(-100)).toBe(1);
  });
});

describe('fixed thresholds', () => {
  it('score from the least value for scores 2-5, recency from the most days', () => {
    const cuts = thresholdCuts({ method: 'THRESHOLDS', recencyDays: [180, 90, 30, 7], frequency: [2, 3, 5, 8], monetary: [10_000, 50_000, 200_000, 500_000] });
    expect([1, 2, 3, 4, 5, 7, 8, 20].map((f) => scoreOf(f, cuts.f))).toEqual([1, 2, 3, 3, 4, 4, 5, 5]);
    expect([9_999, 10_000, 499_999, 500_000].map((m) => scoreOf(m, cuts.m))).toEqual([1, 2, 4, 5]);
    expect([0, 7, 8, 30, 31, 90, 180, 181, 400].map((d) => scoreOf(-d, cuts.r))).toEqual([5, 5, 4, 4, 3, 3, 2, 1, 1]);
  });

  it('must be monotone', () => {
    const problems = problemsOf(config({ rfm: { scoring: { method: 'THRESHOLDS', recencyDays: [7, 30, 90, 180], frequency: [2, 2, 5, 8], monetary: [1, 2, 3, 4] }, segments: SEGMENTS } }));
    expect(problems).toEqual([
      'rfm.scoring.recencyDays: must be four day counts, strictly decreasing (scores 2, 3, 4, 5)',
      'rfm.scoring.frequency: must be four purchase counts, strictly increasing (scores 2, 3, 4, 5)',
    ]);
  });
});

describe('RFM segments by precedence', () => {
  it('put every possible score in exactly one segment: the first whose condition holds', () => {
    expect(partitionProblems(SEGMENTS)).toEqual([]);
    const assigned = rfmAssignments(SEGMENTS);
    expect(assigned).toHaveLength(126);
    expect(new Set(assigned.map((a) => `${a.r}${a.f}${a.m}`)).size).toBe(126);
    // 5-5-5 matches CHAMPIONS, LOYAL and POTENTIAL: the first wins.
    expect(rfmSegmentOf(SEGMENTS, { r: 5, f: 5, m: 5 })).toBe('CHAMPIONS');
    expect(rfmSegmentOf(SEGMENTS, { r: 5, f: 5, m: 3 })).toBe('LOYAL');
    expect(rfmSegmentOf(SEGMENTS, { r: 5, f: 1, m: 5 })).toBe('NEW_CUSTOMERS');
    expect(rfmSegmentOf(SEGMENTS, { r: 3, f: 2, m: 1 })).toBe('POTENTIAL');
    expect(rfmSegmentOf(SEGMENTS, { r: 2, f: 1, m: 4 })).toBe('AT_RISK');
    expect(rfmSegmentOf(SEGMENTS, { r: 1, f: 2, m: 2 })).toBe('HIBERNATING');
    expect(rfmSegmentOf(SEGMENTS, { r: null, f: null, m: null })).toBe('NO_PURCHASES');
  });

  it('match buyers only with a score condition, and only non-buyers with buyer: false', () => {
    expect(rfmSegmentOf([segment('ANY', [{ r: [1, 5] }])], { r: null, f: null, m: null })).toBeNull();
    expect(rfmSegmentOf([segment('NONE', [{ buyer: false }])], { r: 1, f: 1, m: 1 })).toBeNull();
    expect(rfmSegmentOf([segment('ALL', [{}])], { r: null, f: null, m: null })).toBe('ALL');
  });

  it('refuse definitions that leave scores out (a member in no segment) or that an earlier one shadows (never reached)', () => {
    const withoutCatchAll = SEGMENTS.slice(0, -1);
    expect(partitionProblems(withoutCatchAll)).toEqual(['no segment takes 1 of the 126 possible scores (members with no purchase in the window): end with a catch-all (when: [{}])']);
    const gap = [segment('TOP', [{ r: [5, 5] }]), segment('REST', [{ buyer: false }])];
    expect(partitionProblems(gap)[0]).toMatch(/^no segment takes 100 of the 126 possible scores \(R1 F1 M1, R1 F1 M2, R1 F1 M3, R1 F1 M4, R1 F1 M5, …\)/);
    const shadowed = [segment('EVERYONE', [{}]), ...SEGMENTS];
    expect(partitionProblems(shadowed)).toEqual(SEGMENTS.map((s) => `${s.code} is never reached: segments before it take every score it matches`));
    expect(() => rfmAssignments(withoutCatchAll)).toThrow(/leave out the scores/);
  });
});

describe('the configuration document', () => {
  it('accepts a whole configuration, with defaults filled in', () => {
    const parsed = parseSegmentConfig(config());
    expect(parsed.schedule).toEqual({ hour: 3, minute: 0 });
    expect(parsed.rfm.windowDays).toBe(365);
  });

  it('reports every problem at once, those across definitions included', () => {
    const problems = problemsOf(
      config({
        rfm: { scoring: { method: 'QUINTILES' }, segments: [...SEGMENTS.slice(0, -1), segment('NEW', [{ buyer: false }]), segment('bad code', [{ buyer: false, r: [1, 2] }])] },
        lifecycle: { ...(config().lifecycle as object), dormantAfterDays: 180, churnedAfterDays: 90 } as SegmentConfigInput['lifecycle'],
        value: [
          { code: 'HIGH_VALUE', name: text('x'), description: text('x'), monetaryAtLeast: 1, topPercent: 10 },
          { code: 'LOYAL', name: text('x'), description: text('x'), topPercent: 10 },
        ],
      }),
    );
    expect(problems).toEqual([
      'rfm.segments.7.code: must be 1-40 capital letters, digits or underscores, starting with a letter',
      'rfm.segments.7.when.0: a condition on scores matches buyers only: drop `buyer: false` or the ranges',
      'value.0: set exactly one of monetaryAtLeast and topPercent',
      'lifecycle.churnedAfterDays: must be more than dormantAfterDays',
      'rfm.segments.6.code: NEW is used twice (segment codes are unique across RFM, lifecycle and value segments)',
      'value.1.code: LOYAL is used twice (segment codes are unique across RFM, lifecycle and value segments)',
      'rfm.segments: bad code is never reached: segments before it take every score it matches',
    ]);
  });
});

describe('the daily schedule', () => {
  const zone = 'Asia/Shanghai';
  it('runs next at 03:00 program time, strictly after the instant', () => {
    // 02:59 in Shanghai → 03:00 the same day; 03:00 → the next day's.
    expect(nextScheduledRun(new Date('2027-01-14T18:59:00Z'), { hour: 3, minute: 0 }, zone).toISOString()).toBe('2027-01-14T19:00:00.000Z');
    expect(nextScheduledRun(new Date('2027-01-14T19:00:00Z'), { hour: 3, minute: 0 }, zone).toISOString()).toBe('2027-01-15T19:00:00.000Z');
    // Across a month's end.
    expect(nextScheduledRun(new Date('2027-01-31T20:00:00Z'), { hour: 3, minute: 30 }, zone).toISOString()).toBe('2027-02-01T19:30:00.000Z');
    // Past year 9999 (a test clock at the end of time; found by the fuzzer): the last storable instant.
    expect(nextScheduledRun(new Date('9999-12-31T20:00:00Z'), { hour: 3, minute: 0 }, zone).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });
});

it('has the 126 cells: 125 of buyers and one of everyone else', () => {
  const cells = rfmCells();
  expect(cells).toHaveLength(126);
  expect(cells.at(-1)).toEqual({ r: null, f: null, m: null });
});
