import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import type { LocalizedText } from '../../platform/localized.js';
import { loadLoyaltyProgram } from '../loyalty-program/index.js';
import type { TestClockService } from '../test-clock/index.js';
import { computeSegments, scopeOf, type SegmentRunSummary } from './computation.js';
import { loadSegmentConfig, type SegmentConfigSnapshot } from './config-store.js';
import { ensureSchedule, nextScheduledRun } from './schedule.js';
import { SegmentKindValue, SegmentRunTrigger } from './segment.entity.js';
import { LIFECYCLE_STAGES, type SegmentConfig } from './segment-config.js';

/** Largest page of `segmentMembers`. */
export const MAX_SEGMENT_PAGE = 200;

/** A segment as the configuration defines it, with how many members are in it now. */
export interface SegmentView {
  code: string;
  kind: SegmentKindValue;
  name: LocalizedText;
  description: LocalizedText;
  members: number;
  /** The last computation of the clock asked about; null before the first. */
  computedAt: Date | null;
}

/** A member's figures and scores as of their clock's last computation. */
export interface MemberScoresView {
  memberId: string;
  testClockId: string | null;
  joinedAt: Date;
  lastActivityAt: Date | null;
  lastPurchaseAt: Date | null;
  recencyDays: number | null;
  frequency: number;
  /** Minor units of `currency`. */
  monetary: number;
  currency: string;
  recencyScore: number | null;
  frequencyScore: number | null;
  monetaryScore: number | null;
  rfmSegment: string;
  stage: string;
  computedAt: Date;
}

export interface MemberSegmentView {
  code: string;
  kind: SegmentKindValue;
  name: LocalizedText;
  enteredAt: Date;
  computedAt: Date;
}

export interface MemberSegmentsView {
  memberId: string;
  /** Null before the member's first computation. */
  scores: MemberScoresView | null;
  segments: MemberSegmentView[];
}

export interface SegmentMemberView {
  memberId: string;
  enteredAt: Date;
  scores: MemberScoresView;
}

export interface SegmentMemberPageView {
  members: SegmentMemberView[];
  /** The last member id of the page: pass it as `after` for the next. */
  endCursor: string | null;
  hasNextPage: boolean;
}

export interface SegmentMembersArgs {
  first: number;
  after: string | null;
  testClockId: string | null;
}

interface ScoreRow {
  member_id: string;
  test_clock_id: string | null;
  joined_at: Date;
  last_activity_at: Date | null;
  last_purchase_at: Date | null;
  recency_days: number | null;
  frequency: number;
  monetary: string | number;
  recency_score: number | null;
  frequency_score: number | null;
  monetary_score: number | null;
  rfm_segment: string;
  stage: string;
  computed_at: Date;
}

const SCORE_COLUMNS = `s.member_id, s.test_clock_id, s.joined_at, s.last_activity_at, s.last_purchase_at, s.recency_days, s.frequency, s.monetary,
  s.recency_score, s.frequency_score, s.monetary_score, s.rfm_segment, s.stage, s.computed_at`;

/** Segments for admins (and, through the module's index, for campaigns): what exists, who is in it, and computing them now. */
export class SegmentService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'timeZone'>,
    private readonly testClocks: () => TestClockService,
  ) {}

  /** The definitions in force and their version; null when none is installed. */
  definitions(): Promise<SegmentConfigSnapshot | null> {
    return loadSegmentConfig(this.em);
  }

  /** Every segment the configuration defines, with its members now (on real time, or on one test clock). */
  async list(testClockId: string | null): Promise<SegmentView[]> {
    const clockId = await this.clockIdOf(testClockId);
    const snapshot = await loadSegmentConfig(this.em);
    if (!snapshot) return [];
    const counts = await this.em.execute<{ segment_code: string; n: number }[]>(
      `select segment_code, count(*)::int as n from member_segment where ${clockId ? 'test_clock_id = ?' : 'test_clock_id is null'} group by segment_code`,
      clockId ? [clockId] : [],
    );
    const byCode = new Map(counts.map((c) => [c.segment_code, c.n]));
    const [last] = await this.em.execute<{ as_of: Date }[]>(`select as_of from segment_run where scope = ? order by as_of desc, created_at desc limit 1`, [scopeOf(clockId)]);
    const computedAt = last ? new Date(last.as_of) : null;
    return definitions(snapshot.config).map((d) => ({ ...d, members: byCode.get(d.code) ?? 0, computedAt }));
  }

  /** A page of a segment's members, by member id, with their scores. */
  async members(code: string, args: SegmentMembersArgs): Promise<SegmentMemberPageView> {
    new InputValidator()
      .check(Number.isInteger(args.first) && args.first >= 1 && args.first <= MAX_SEGMENT_PAGE, 'first', `must be from 1 to ${MAX_SEGMENT_PAGE}`)
      .check(args.after === null || isUuid(args.after), 'after', 'must be the endCursor of a previous page (a member id)')
      .throwIfInvalid();
    const clockId = await this.clockIdOf(args.testClockId);
    const snapshot = await loadSegmentConfig(this.em);
    if (!snapshot || !definitions(snapshot.config).some((d) => d.code === code)) throw AppError.notFound('Segment', code);
    const currency = await this.currency();
    const params: unknown[] = [code];
    if (clockId) params.push(clockId);
    if (args.after) params.push(args.after.toLowerCase());
    params.push(args.first + 1);
    const rows = await this.em.execute<(ScoreRow & { entered_at: Date })[]>(
      `select ms.entered_at, ${SCORE_COLUMNS}
         from member_segment ms join member_segment_score s on s.member_id = ms.member_id
        where ms.segment_code = ? and ${clockId ? 'ms.test_clock_id = ?' : 'ms.test_clock_id is null'} ${args.after ? 'and ms.member_id > ?::uuid' : ''}
        order by ms.member_id limit ?`,
      params,
    );
    const page = rows.slice(0, args.first);
    return {
      members: page.map((r) => ({ memberId: r.member_id, enteredAt: new Date(r.entered_at), scores: scoresView(r, currency) })),
      endCursor: page.at(-1)?.member_id ?? null,
      hasNextPage: rows.length > args.first,
    };
  }

  /** A member's scores, stage and segments now. */
  async ofMember(memberId: string): Promise<MemberSegmentsView> {
    const [member] = isUuid(memberId) ? await this.em.execute<{ id: string }[]>(`select id from member where id = ?`, [memberId]) : [];
    if (!member) throw AppError.notFound('Member', memberId);
    const [score] = await this.em.execute<ScoreRow[]>(`select ${SCORE_COLUMNS} from member_segment_score s where s.member_id = ?`, [member.id]);
    const rows = await this.em.execute<{ segment_code: string; kind: SegmentKindValue; entered_at: Date; computed_at: Date }[]>(
      `select segment_code, kind, entered_at, computed_at from member_segment where member_id = ? order by kind, segment_code`,
      [member.id],
    );
    const snapshot = await loadSegmentConfig(this.em);
    const names = new Map((snapshot ? definitions(snapshot.config) : []).map((d) => [d.code, d.name]));
    return {
      memberId: member.id,
      scores: score ? scoresView(score, await this.currency()) : null,
      segments: rows.map((r) => ({
        code: r.segment_code,
        kind: r.kind,
        name: names.get(r.segment_code) ?? { en: r.segment_code, 'zh-CN': r.segment_code },
        enteredAt: new Date(r.entered_at),
        computedAt: new Date(r.computed_at),
      })),
    };
  }

  /**
   * Computes the segments of the members on real time (or on one test clock, at its time) now,
   * after any computation of theirs under way; the schedule is left as it is.
   */
  async recompute(testClockId: string | null): Promise<SegmentRunSummary> {
    const clockId = await this.clockIdOf(testClockId);
    const snapshot = await loadSegmentConfig(this.em);
    if (!snapshot) throw new Error('No segment configuration is installed: seed one (the demo seed does on an empty database)');
    return this.computeNow(clockId, snapshot);
  }

  private async computeNow(clockId: string | null, snapshot: SegmentConfigSnapshot): Promise<SegmentRunSummary> {
    const key = scopeOf(clockId);
    return this.em.fork().transactional(async (tx) => {
      const before = await this.nowOf(tx, clockId);
      await ensureSchedule(tx, key, clockId, nextScheduledRun(before, snapshot.config.schedule, this.deps.timeZone));
      // The schedule row is the clock's computation lock: wait for a run under way.
      await tx.execute(`select scope from segment_schedule where scope = ? for update`, [key]);
      // A test clock may have moved while we waited.
      const asOf = await this.nowOf(tx, clockId);
      return computeSegments(tx, { clockId, asOf, trigger: SegmentRunTrigger.ON_DEMAND, snapshot });
    });
  }

  private async nowOf(tx: EntityManager, clockId: string | null): Promise<Date> {
    if (!clockId) return this.deps.now?.() ?? new Date();
    const [clock] = await tx.execute<{ frozen_time: Date }[]>(`select frozen_time from test_clock where id = ?`, [clockId]);
    return new Date(clock!.frozen_time);
  }

  /** The clock asked about (NOT_FOUND for an unknown one; TEST_CLOCKS_DISABLED in production); null: real time. */
  private async clockIdOf(testClockId: string | null): Promise<string | null> {
    if (testClockId === null) return null;
    return (await this.testClocks().get(testClockId)).id;
  }

  private async currency(): Promise<string> {
    return (await loadLoyaltyProgram(this.em)).rules.currency;
  }
}

/** The segments a configuration defines, in the order it lists them: RFM by precedence, the stages, the value segments. */
function definitions(config: SegmentConfig): Array<Pick<SegmentView, 'code' | 'kind' | 'name' | 'description'>> {
  return [
    ...config.rfm.segments.map((s) => ({ code: s.code, kind: SegmentKindValue.RFM, name: s.name, description: s.description })),
    ...LIFECYCLE_STAGES.map((stage) => ({ code: stage, kind: SegmentKindValue.LIFECYCLE, ...config.lifecycle.stages[stage] })),
    ...config.value.map((s) => ({ code: s.code, kind: SegmentKindValue.VALUE, name: s.name, description: s.description })),
  ];
}

function scoresView(r: ScoreRow, currency: string): MemberScoresView {
  return {
    memberId: r.member_id,
    testClockId: r.test_clock_id,
    joinedAt: new Date(r.joined_at),
    lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at) : null,
    lastPurchaseAt: r.last_purchase_at ? new Date(r.last_purchase_at) : null,
    recencyDays: r.recency_days,
    frequency: r.frequency,
    monetary: Number(r.monetary),
    currency,
    recencyScore: r.recency_score,
    frequencyScore: r.frequency_score,
    monetaryScore: r.monetary_score,
    rfmSegment: r.rfm_segment,
    stage: r.stage,
    computedAt: new Date(r.computed_at),
  };
}
