import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, OneToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Member } from '../member/index.js';
import type { SegmentConfig } from './segment-config.js';

export enum SegmentKindValue {
  /** Named RFM segments: a partition, every member in exactly one. */
  RFM = 'RFM',
  /** Lifecycle stages: NEW, ACTIVE, DORMANT, CHURNED, every member in exactly one. */
  LIFECYCLE = 'LIFECYCLE',
  /** Value segments (HIGH_VALUE, …): a member may be in none or several. */
  VALUE = 'VALUE',
}

export enum SegmentRunTrigger {
  /** The daily computation (due work). */
  SCHEDULE = 'SCHEDULE',
  /** An admin's `recomputeSegments`. */
  ON_DEMAND = 'ON_DEMAND',
}

export enum SegmentChangeKind {
  ENTERED = 'ENTERED',
  LEFT = 'LEFT',
}

/**
 * The segments' configuration, one row per version, never edited: the newest is in force, and
 * every run records the version it used, so "why was this member AT_RISK in March" can be
 * answered with the rules of March.
 */
@Entity({
  tableName: 'segment_config',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'segment_config is append-only: add a version' using errcode = 'restrict_violation';`,
    },
  ],
})
export class SegmentConfigVersion {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  version!: number;

  /** The validated document (segment-config.ts). */
  @Property({ type: 'json' })
  document!: SegmentConfig;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * A member in a segment now: one row per member and segment they are in, as of the last
 * computation of their clock (real time or a test clock). RFM and lifecycle segments are
 * partitions, and the database says so: at most one row of each of those kinds per member.
 */
@Entity({ tableName: 'member_segment' })
@Index({ name: 'member_segment_by_code', properties: ['segmentCode', 'member'] })
@Index({
  name: 'member_segment_one_per_partition',
  expression: `create unique index "member_segment_one_per_partition" on "member_segment" ("member_id", "kind") where "kind" in ('RFM', 'LIFECYCLE')`,
})
@Index({ name: 'member_segment_on_clock', expression: `create index "member_segment_on_clock" on "member_segment" ("test_clock_id") where "test_clock_id" is not null` })
export class MemberSegment {
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @PrimaryKey({ type: 'text' })
  segmentCode!: string;

  @Enum({ items: () => SegmentKindValue, nativeEnumName: 'segment_kind' })
  kind!: SegmentKindValue;

  /** The member's test clock; null: real time (computations run per clock). */
  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  /** The computation that first found the member in it, since they last entered (on their clock). */
  @Property({ type: 'datetime' })
  enteredAt!: Date;

  /** The last computation that found them in it (on their clock). */
  @Property({ type: 'datetime' })
  computedAt!: Date;
}

/** A member's figures and scores as of the last computation of their clock. */
@Entity({ tableName: 'member_segment_score' })
@Index({ name: 'member_segment_score_on_clock', expression: `create index "member_segment_score_on_clock" on "member_segment_score" ("test_clock_id") where "test_clock_id" is not null` })
// Scores for buyers only (a buyer has a net purchase in the window), each 1-5.
@Check({
  name: 'member_segment_score_scores_for_buyers',
  expression: `(recency_score is null) = (frequency = 0) and (frequency_score is null) = (frequency = 0) and (monetary_score is null) = (frequency = 0)`,
})
@Check({
  name: 'member_segment_score_scores_in_range',
  expression: `recency_score >= 1 and recency_score <= 5 and frequency_score >= 1 and frequency_score <= 5 and monetary_score >= 1 and monetary_score <= 5`,
})
@Check({ name: 'member_segment_score_monetary', expression: `monetary >= 0` })
export class MemberSegmentScore {
  @OneToOne({ entity: () => Member, primary: true, owner: true, updateRule: 'no action' })
  member!: Rel<Member>;

  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  /** When the member joined (on their clock). */
  @Property({ type: 'datetime' })
  joinedAt!: Date;

  /** Their last activity of the kinds that count (lifecycle). */
  @Property({ type: 'datetime', nullable: true })
  lastActivityAt?: Date | null;

  /** Their last purchase in the window that refunds did not wholly reverse. */
  @Property({ type: 'datetime', nullable: true })
  lastPurchaseAt?: Date | null;

  /** Whole days since that purchase; null: none in the window. */
  @Property({ type: 'integer', nullable: true })
  recencyDays?: number | null;

  /** Purchases in the window that refunds did not wholly reverse. */
  @Property({ type: 'integer' })
  frequency!: number;

  /** Purchases minus their refunds over the window, minor units (never gross). */
  @Property({ type: 'bigint' })
  monetary!: number;

  @Property({ type: 'smallint', nullable: true })
  recencyScore?: number | null;

  @Property({ type: 'smallint', nullable: true })
  frequencyScore?: number | null;

  @Property({ type: 'smallint', nullable: true })
  monetaryScore?: number | null;

  @Property({ type: 'text' })
  rfmSegment!: string;

  /** NEW, ACTIVE, DORMANT or CHURNED. */
  @Property({ type: 'text' })
  stage!: string;

  @Property({ type: 'datetime' })
  computedAt!: Date;

  @Property({ type: 'uuid' })
  runId!: string;
}

/** Members entering and leaving segments, as computations found them. Append-only. */
@Entity({
  tableName: 'member_segment_change',
  triggers: [
    {
      name: 'append_only',
      timing: 'before',
      events: ['update', 'delete'],
      forEach: 'row',
      body: `raise exception 'member_segment_change is append-only' using errcode = 'restrict_violation';`,
    },
  ],
})
@Index({ properties: ['member', 'at'] })
export class MemberSegmentChange {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  // Part of the primary key, (id, member_id): a member-sharded table's keys include the member (docs/citus.md).
  @ManyToOne({ entity: () => Member, primary: true })
  member!: Rel<Member>;

  @Property({ type: 'text' })
  segmentCode!: string;

  @Enum({ items: () => SegmentKindValue, nativeEnumName: 'segment_kind' })
  kind!: SegmentKindValue;

  @Enum({ items: () => SegmentChangeKind, nativeEnumName: 'segment_change_kind' })
  change!: SegmentChangeKind;

  /** The computation's instant (on the member's clock). */
  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'uuid' })
  runId!: string;
}

/** One computation: what it did and how long it took. */
@Entity({ tableName: 'segment_run' })
@Index({ properties: ['scope', 'asOf'] })
export class SegmentRun {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** `real-time` or `clock:<id>`: the members it computed. */
  @Property({ type: 'text' })
  scope!: string;

  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  /** The instant it computed as of (real time, or the clock's time). */
  @Property({ type: 'datetime' })
  asOf!: Date;

  @Enum({ items: () => SegmentRunTrigger, nativeEnumName: 'segment_run_trigger' })
  trigger!: SegmentRunTrigger;

  @Property({ type: 'integer' })
  configVersion!: number;

  @Property({ type: 'integer' })
  members!: number;

  @Property({ type: 'integer' })
  entered!: number;

  @Property({ type: 'integer' })
  left!: number;

  /** Members per segment code after it. */
  @Property({ type: 'json' })
  counts!: Record<string, number>;

  @Property({ type: 'integer' })
  durationMs!: number;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/**
 * When the next scheduled computation is due: one row per clock (`real-time`, or a test clock
 * with members), created on first need. Its row lock is the computation's lock: a worker claims
 * it with `SKIP LOCKED` and computes in the same transaction; an on-demand computation waits.
 */
@Entity({ tableName: 'segment_schedule' })
export class SegmentSchedule {
  @PrimaryKey({ type: 'text' })
  scope!: string;

  @Property({ type: 'uuid', nullable: true })
  testClockId?: string | null;

  @Property({ type: 'datetime' })
  nextRunAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  lastRunAt?: Date | null;
}
