// Segments as product managers configure them: RFM scoring and the named RFM segments, the
// lifecycle stages, the value segments and the schedule. Stored as one validated JSON document
// per version (segment_config), because the rules that matter hold across definitions: the RFM
// segments must partition every member (no cell of the score cube left out, none matched twice),
// codes must be unique across kinds, the churn threshold must come after the dormancy one.
import { z } from 'zod';
import { ActivityType } from '../activity/index.js';

const localized = z.object({ en: z.string().min(1).max(200), 'zh-CN': z.string().min(1).max(200) });
const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'must be 1-40 capital letters, digits or underscores, starting with a letter');
const days = z.number().int().min(1).max(3_660);
/** A score range, both ends included (1-5). */
const scoreRange = z.tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)]).refine(([lo, hi]) => lo <= hi, 'the range must be [low, high] with low <= high');

/**
 * One condition on a member's RFM scores: every range given must hold. A condition with a score
 * range matches buyers only (members with a net purchase in the window); `buyer: false` matches
 * the others; `{}` matches everyone.
 */
export const RfmCondition = z
  .object({
    buyer: z.boolean().optional(),
    r: scoreRange.optional(),
    f: scoreRange.optional(),
    m: scoreRange.optional(),
  })
  .strict()
  .refine((c) => !(c.buyer === false && (c.r || c.f || c.m)), 'a condition on scores matches buyers only: drop `buyer: false` or the ranges');
export type RfmCondition = z.infer<typeof RfmCondition>;

export const RfmSegmentDefinition = z.object({
  code,
  name: localized,
  description: localized,
  /** Any of these conditions (each a conjunction of ranges). */
  when: z.array(RfmCondition).min(1).max(20),
});
export type RfmSegmentDefinition = z.infer<typeof RfmSegmentDefinition>;

const cuts = z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]);

/** How R, F and M become scores 1-5. */
export const RfmScoring = z.discriminatedUnion('method', [
  /** Quintiles of the active buyers (members with a net purchase in the window) computed together: those on real time, or one test clock's. */
  z.object({ method: z.literal('QUINTILES') }),
  /**
   * Fixed thresholds, each the least value for scores 2, 3, 4 and 5: `frequency: [2, 3, 5, 8]`
   * gives 5 from 8 purchases. Recency is the other way round, the most days for scores 2-5:
   * `recencyDays: [180, 90, 30, 7]` gives 5 to a last purchase at most 7 days ago.
   */
  z.object({
    method: z.literal('THRESHOLDS'),
    recencyDays: cuts.refine((c) => c.every((v, i) => v >= 0 && (i === 0 || v < c[i - 1]!)), 'must be four day counts, strictly decreasing (scores 2, 3, 4, 5)'),
    frequency: cuts.refine((c) => c.every((v, i) => v >= 1 && (i === 0 || v > c[i - 1]!)), 'must be four purchase counts, strictly increasing (scores 2, 3, 4, 5)'),
    monetary: cuts.refine((c) => c.every((v, i) => v >= 1 && (i === 0 || v > c[i - 1]!)), 'must be four amounts in minor units, strictly increasing (scores 2, 3, 4, 5)'),
  }),
]);
export type RfmScoring = z.infer<typeof RfmScoring>;

export const LIFECYCLE_STAGES = ['NEW', 'ACTIVE', 'DORMANT', 'CHURNED'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

const described = z.object({ name: localized, description: localized });

export const ValueSegmentDefinition = z
  .object({
    code,
    name: localized,
    description: localized,
    /** Members whose monetary value over the RFM window is at least this (minor units). */
    monetaryAtLeast: z.number().int().min(1).optional(),
    /** The top share of buyers by monetary value (10: the top 10 %; ties at the edge are all in or all out). */
    topPercent: z.number().gt(0).max(100).optional(),
  })
  .refine((v) => (v.monetaryAtLeast === undefined) !== (v.topPercent === undefined), 'set exactly one of monetaryAtLeast and topPercent');
export type ValueSegmentDefinition = z.infer<typeof ValueSegmentDefinition>;

export const SegmentConfig = z
  .object({
    /** When the scheduled computation runs each day, program time. */
    schedule: z.object({ hour: z.number().int().min(0).max(23), minute: z.number().int().min(0).max(59).default(0) }),
    rfm: z.object({
      /** Days of purchases R, F and M look at, ending at the computation's instant. */
      windowDays: days.default(365),
      scoring: RfmScoring,
      /** By precedence: a member is in the first segment one of whose conditions holds. */
      segments: z.array(RfmSegmentDefinition).min(1).max(50),
    }),
    lifecycle: z.object({
      /** What counts as a member doing something (joining always does). */
      activityTypes: z.array(z.enum(Object.values(ActivityType) as [`${ActivityType}`, ...Array<`${ActivityType}`>])).min(1),
      /** NEW: joined fewer than this many days ago (0: no one is new). */
      newDays: z.number().int().min(0).max(3_660),
      /** DORMANT: nothing for at least this many days. */
      dormantAfterDays: days,
      /** CHURNED: nothing for at least this many days. */
      churnedAfterDays: days,
      stages: z.object({ NEW: described, ACTIVE: described, DORMANT: described, CHURNED: described }),
    }),
    value: z.array(ValueSegmentDefinition).max(20).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.lifecycle.churnedAfterDays <= config.lifecycle.dormantAfterDays) {
      ctx.addIssue({ code: 'custom', path: ['lifecycle', 'churnedAfterDays'], message: 'must be more than dormantAfterDays' });
    }
    const seen = new Set<string>(LIFECYCLE_STAGES);
    const codes = [...config.rfm.segments.map((s, i) => ({ code: s.code, path: ['rfm', 'segments', i, 'code'] })), ...config.value.map((s, i) => ({ code: s.code, path: ['value', i, 'code'] }))];
    for (const { code, path } of codes) {
      if (seen.has(code)) ctx.addIssue({ code: 'custom', path, message: `${code} is used twice (segment codes are unique across RFM, lifecycle and value segments)` });
      seen.add(code);
    }
    for (const problem of partitionProblems(config.rfm.segments)) ctx.addIssue({ code: 'custom', path: ['rfm', 'segments'], message: problem });
  });
export type SegmentConfig = z.infer<typeof SegmentConfig>;
/** The document as written (defaults may be left out). */
export type SegmentConfigInput = z.input<typeof SegmentConfig>;

/** Validates a configuration; throws a `ZodError` listing every problem. */
export function parseSegmentConfig(input: unknown): SegmentConfig {
  return SegmentConfig.parse(input);
}

/** Every problem of a configuration, each at its path (`rfm.segments.2.when`); none: it can be installed. */
export function segmentConfigProblems(input: unknown): Array<{ path: string; message: string }> {
  const parsed = SegmentConfig.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** A member's RFM scores; all null for a member with no net purchase in the window. */
export interface RfmScores {
  r: number | null;
  f: number | null;
  m: number | null;
}

/** The scores a member can have: the 125 of buyers, then the one of everyone else. */
export function rfmCells(): RfmScores[] {
  const cells: RfmScores[] = [];
  for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) cells.push({ r, f, m });
  cells.push({ r: null, f: null, m: null });
  return cells;
}

function inRange(score: number, range: readonly [number, number] | undefined): boolean {
  return !range || (score >= range[0] && score <= range[1]);
}

/** Whether a condition holds for these scores. */
export function conditionHolds(condition: RfmCondition, scores: RfmScores): boolean {
  const buyer = scores.r !== null;
  const wantsBuyer = condition.buyer ?? (condition.r || condition.f || condition.m ? true : undefined);
  if (wantsBuyer !== undefined && wantsBuyer !== buyer) return false;
  if (!buyer) return true;
  return inRange(scores.r!, condition.r) && inRange(scores.f!, condition.f) && inRange(scores.m!, condition.m);
}

/** The RFM segment of these scores: the first, by precedence, one of whose conditions holds (null: none does). */
export function rfmSegmentOf(segments: readonly RfmSegmentDefinition[], scores: RfmScores): string | null {
  return segments.find((s) => s.when.some((c) => conditionHolds(c, scores)))?.code ?? null;
}

/**
 * The segment of every possible score (each of the 126 cells): what the computation joins
 * members to, so SQL and these rules can never disagree.
 */
export function rfmAssignments(segments: readonly RfmSegmentDefinition[]): Array<RfmScores & { code: string }> {
  return rfmCells().map((cell) => {
    const code = rfmSegmentOf(segments, cell);
    if (!code) throw new Error(`RFM segments leave out the scores ${JSON.stringify(cell)}: validate the configuration first`);
    return { ...cell, code };
  });
}

function describeCell(cell: RfmScores): string {
  return cell.r === null ? 'members with no purchase in the window' : `R${cell.r} F${cell.f} M${cell.m}`;
}

/**
 * What stops these segments from partitioning every member: scores no segment takes (a member
 * would be in none), and segments that earlier ones shadow entirely (never reached).
 */
export function partitionProblems(segments: readonly RfmSegmentDefinition[]): string[] {
  const problems: string[] = [];
  const reached = new Set<string>();
  const uncovered: string[] = [];
  for (const cell of rfmCells()) {
    const code = rfmSegmentOf(segments, cell);
    if (code) reached.add(code);
    else uncovered.push(describeCell(cell));
  }
  if (uncovered.length > 0) {
    const shown = uncovered.slice(0, 5).join(', ');
    problems.push(`no segment takes ${uncovered.length} of the 126 possible scores (${shown}${uncovered.length > 5 ? ', …' : ''}): end with a catch-all (when: [{}])`);
  }
  for (const s of segments) if (!reached.has(s.code)) problems.push(`${s.code} is never reached: segments before it take every score it matches`);
  return problems;
}

/**
 * Where fixed thresholds change scores, for one dimension: four cut points on a value that grows
 * with merit (recency is negated: fewer days is better). A value above `k` of them scores `k + 1`.
 */
export type Cuts = readonly [number, number, number, number];

/**
 * The quintile score (1-5) of a value among `n` values (larger is better) of which `below` are
 * smaller and `equal` the same (itself included): the fifth holding the middle of its tie group,
 * 1 + ⌊5 × (below + equal / 2) / n⌋, in whole numbers. Distinct values split into fifths; tied
 * values share the score of where they stand together, at the bottom (most buyers bought once:
 * F = 2 for 70 % of them) as at the top (half of them bought today: R = 4), never split
 * arbitrarily and never pushed to an end. The computation's SQL is this formula over window
 * functions (rank, count per value, count).
 */
export function quintileScore(below: number, equal: number, n: number): number {
  return 1 + Math.floor((5 * (2 * below + equal)) / (2 * n));
}

/** The quintile score of each distinct value of `values` (see {@link quintileScore}). */
export function quintileScores(values: readonly number[]): Map<number, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const scores = new Map<number, number>();
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    scores.set(sorted[i]!, quintileScore(i, j - i, sorted.length));
    i = j;
  }
  return scores;
}

/** The score (1-5) of a value against fixed thresholds' cut points: 1 + how many cuts it is above. */
export function scoreOf(value: number, cuts: Cuts): number {
  return 1 + cuts.filter((c) => value > c).length;
}

/**
 * Cut points of fixed thresholds (the least value for scores 2-5) on whole numbers: a value at
 * or above threshold t is above t − 1. Recency days are negated (at most d days is −days ≥ −d).
 */
export function thresholdCuts(scoring: Extract<RfmScoring, { method: 'THRESHOLDS' }>): { r: Cuts; f: Cuts; m: Cuts } {
  const minus1 = (c: readonly number[]) => c.map((v) => v - 1) as unknown as Cuts;
  return { r: minus1(scoring.recencyDays.map((d) => -d)), f: minus1(scoring.frequency), m: minus1(scoring.monetary) };
}
